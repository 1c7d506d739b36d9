#!/bin/sh
# The host's filesystem under the VM's disks fills up: the guest gets I/O errors (QEMU's
# werror=report), so the workload sees its write fail and the run ends, instead of QEMU
# pausing the VM for good. Needs root (a small tmpfs as TMPDIR, where the scratch disk is).
set -eu
. tests/cvm/lib.sh

full="$WORK/full"
mkdir -p "$full"
mount -t tmpfs -o size=40m tmpfs "$full"
trap 'umount "$full" 2>/dev/null || true' EXIT
status=0
TMPDIR="$full" timeout 300 "$CVM" run --events "$WORK/events" busybox sh -c \
	'dd if=/dev/zero of=/tmp/big bs=1M count=100 conv=fsync 2>&1; echo "dd status $?"' \
	>"$WORK/out" 2>"$WORK/err" || status=$?
[ "$status" != 124 ] || fail "cvm still ran after 300 s: the VM was paused"
grep -q '"type":"exit"' "$WORK/events" || fail "no exit event (status $status): $(cat "$WORK/err")"
grep -q 'dd status [1-9]' "$WORK/out" || fail "dd did not see its write fail: $(cat "$WORK/out")"
