#!/bin/sh
# 'layers' mode: read-only squashfs layers under an overlay. A file the upper layer deletes
# (whiteout) is gone, one it replaces is replaced; the workload's writes land on the scratch
# disk and are there again in a second boot with the same scratch disk.
set -eu
. tests/boot/lib.sh

scratch=$(volume_disk scratch.ext4 32M)
layers_config() {
	root='"root": {"mode": "layers", "layers": [{"serial": "layer0"}, {"serial": "layer1"}]'
	[ -n "$1" ] && root="$root, \"scratch\": {\"serial\": \"scratch\"}"
	detach_disks
	config_disk "{\"version\": 1, $root}, \"process\": {\"args\": [\"sh\", \"-c\", \"$2\"]}}"
	attach_disk "$IMAGE/layer0.sqfs" layer0 ro
	attach_disk "$IMAGE/layer1.sqfs" layer1 ro
	[ -z "$1" ] || attach_disk "$1" scratch
}

layers_config "$scratch" 'cat /etc/issue; test -e /etc/motd || echo motd-gone; cat /etc/layer1; echo persisted > /root/note; rm /etc/layer1; grep -o \"^overlay / overlay [^ ]*\" /proc/mounts'
boot_kernel 'tether.timeout=20'
assert_console '^issue of layer 1$'
assert_console '^motd-gone$'
assert_console '^added by layer 1$'
# Top layer first, as overlayfs lists lower directories.
assert_console '^overlay / overlay rw,.*lowerdir=/run/tether/layers/1:/run/tether/layers/0,upperdir=/run/tether/scratch/upper,'
assert_clean_exit 0
debugfs -R 'cat /upper/root/note' "$scratch" 2>/dev/null | grep -qx persisted ||
	fail "the write did not land in upper/ on the scratch disk"

layers_config "$scratch" 'cat /root/note; test -e /etc/layer1 || echo layer1-deleted; cat /etc/issue'
boot_kernel 'tether.timeout=20'
assert_console '^persisted$'
assert_console '^layer1-deleted$'
assert_console '^issue of layer 1$'
assert_clean_exit 0

# No scratch disk: the upper is a tmpfs; writes work for this boot only.
layers_config '' 'echo scratchless > /root/t && cat /root/t; test -e /root/note || echo clean-upper'
boot_kernel 'tether.timeout=20'
assert_console '^scratchless$'
assert_console '^clean-upper$'
assert_clean_exit 0
