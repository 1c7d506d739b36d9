#!/bin/sh
# Images and workloads that try to hang or fool PID 1: stopped console output, FIFOs where
# tether reads or binds files, a dangling systemd-style resolv.conf link, device nodes in the
# image, a workload that powers the VM off behind tether's back.
set -eu
. tests/boot/lib.sh

# image_with COMMANDS: a copy of the busybox root disk changed with debugfs commands (its
# mknod takes a name in the current directory, not a path).
image_with() {
	disk=$(copy_disk "$IMAGE/rootfs.ext4" hostile.ext4)
	printf '%s\n' "$@" | debugfs -w -f - "$disk" >/dev/null 2>&1
	echo "$disk"
}

boot_image() {
	detach_disks
	config_disk "{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": \"root\"}},
		\"process\": {\"args\": $2}}"
	attach_disk "$1" root
	boot_kernel 'tether.timeout=20'
}

# A non-root workload stops console output and exits: tether must not wait on the console.
musl-gcc -static -Os -o "$WORK/tcooff" tests/boot/data/tcooff.c
disk=$(image_with "write $WORK/tcooff /bin/tcooff" 'sif /bin/tcooff mode 0100755')
detach_disks
config_disk '{"version": 1, "root": {"mode": "disk", "disk": {"serial": "root"}},
	"process": {"args": ["sh", "-c", "/bin/tcooff; echo stopped"], "user": "app"}}'
attach_disk "$disk" root
boot_kernel 'tether.timeout=20'
assert_console 'tether: workload exited with code 0'
assert_clean_exit 0

# /etc/passwd is a FIFO: read as absent, with a warning; the workload runs as root. (It must
# not read the FIFO itself, as busybox id would.)
boot_image "$(image_with 'rm /etc/passwd' 'cd /etc' 'mknod passwd p')" \
	'["grep", "^Uid:", "/proc/self/status"]'
assert_console "tether: '/etc/passwd' in the image: not a regular file, reading it as absent"
assert_console '^Uid:.0.0.0.0$'
assert_clean_exit 0

# /etc/hostname is a FIFO: refused with a message, never a hang.
boot_image "$(image_with 'cd /etc' 'mknod hostname p')" '["true"]'
assert_console "tether: container view: bind '/run/tether/etc/hostname' over '/etc/hostname' in the root: the image has something other than a file there"
assert_clean_exit 125

# resolv.conf links into a directory the image lacks: tether's file is there all the same.
boot_image "$(image_with 'symlink /etc/resolv.conf ../run/systemd/resolve/stub-resolv.conf')" \
	'["cat", "/etc/resolv.conf"]'
assert_console '^# this VM has no network$'
assert_clean_exit 0

# A block device node in the image stays inert, even for root.
boot_image "$(image_with 'mknod rawdisk b 254 0' 'sif /rawdisk mode 060666')" \
	'["sh", "-c", "head -c 5 /rawdisk || echo refused"]'
assert_console '^refused$'
assert_clean_exit 0

# The workload powers the VM off itself: no exit status from tether, and qemu-boot says so.
boot_image "$(image_with)" '["poweroff", "-f"]'
refute_console 'tether: .*exit status'
grep -q 'qemu-boot: the guest powered off without tether reporting an exit status' \
	"$WORK/qemu-boot.err" || fail "qemu-boot did not say the exit status was missing"
assert_status 125
