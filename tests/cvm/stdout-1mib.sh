#!/bin/sh
# 1 MiB of random bytes from a volume disk through the workload's stdout: byte-exact, and as
# many bytes as the exit event announces.
set -eu
. tests/cvm/lib.sh

mkdir -p "$WORK/blob"
head -c 1048576 /dev/urandom >"$WORK/blob/random"
mke2fs -q -t ext4 -d "$WORK/blob" -F "$WORK/blob.ext4" 8M >/dev/null

cvm_run --events "$WORK/events" -v "$WORK/blob.ext4:/blob:ro" busybox cat /blob/random
assert_status 0
cmp "$WORK/blob/random" "$WORK/out" ||
	fail "stdout: $(stat -c %s "$WORK/out") bytes, not the 1 MiB the workload wrote"
assert_eq "exit event" '[0,1048576,0]' \
	"$(jq -c 'select(.type == "exit") | [.status, .stdout_bytes, .stderr_bytes]' \
		"$WORK/events" | head -n 1)"
assert_no_temp_dirs
