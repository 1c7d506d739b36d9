#!/bin/sh
# The workload's stdio on ports of their own, with cvm as the host: byte-exact both ways,
# all of the output before the exit event, and nothing of it on the console.
set -eu
. tests/boot/lib.sh

mkdir -p "$WORK/blob"
head -c 1048576 /dev/urandom >"$WORK/blob/random"
mke2fs -q -t ext4 -d "$WORK/blob" -F "$WORK/blob.ext4" 8M >/dev/null
printf 'hello stdin\nsecond line\n' >"$WORK/stdin.txt"

status=0
TMPDIR="$WORK" "$BUILD/cvm" run --kernel "$BUILD/vmlinuz" \
	--initrd "${BUILD_INITRAMFS:-$BUILD/initramfs.cpio.gz}" --console "$console.raw" \
	--events "$events" --rootfs "$(copy_disk "$IMAGE/rootfs.ext4" root.ext4)" \
	-v "$(cd "$WORK" && pwd)/blob.ext4:/blob:ro" -i \
	sh -c 'cat /blob/random; echo err-line >&2; tr a-z A-Z >&2; exit 7' \
	<"$WORK/stdin.txt" >"$WORK/stdout.bin" 2>"$WORK/stderr.bin" || status=$?
strip_console

[ "$status" = 7 ] || fail "cvm exited with status $status, expected 7: $(cat "$WORK/stderr.bin")"
[ "$(sha256sum <"$WORK/stdout.bin")" = "$(sha256sum <"$WORK/blob/random")" ] ||
	fail "stdout: $(stat -c %s "$WORK/stdout.bin") bytes, not the 1 MiB the workload wrote"
printf 'err-line\nHELLO STDIN\nSECOND LINE\n' | cmp - "$WORK/stderr.bin" ||
	fail "stderr: '$(cat "$WORK/stderr.bin")'"
assert_event exit '[.status, .stdout_bytes, .stderr_bytes]' '[7,1048576,33]'
assert_event_types 'hello disks config image mounts started exit timings shutdown'
refute_console '^err-line$'
refute_console '^SECOND LINE$'
refute_console 'Kernel panic'

# A host that reads 64 KiB of stdout and closes the port is a reader gone, as "| head" is:
# the workload's next write gets EPIPE (here SIGPIPE, 141), and the VM ends.
attach_busybox '["sh", "-c", "head -c 1048576 /dev/zero; echo status=$? >&2"]'
channel_ports control stdout
start_host --stdout "$WORK/stdout.sock" "$WORK/stdout-head.bin" --stdout-limit 65536
boot_kernel 'tether.timeout=20'
wait_host
assert_clean_exit 0
assert_console '^status=141$'
assert_console "tether: port 'org.tether.stdout': the host closed it"
