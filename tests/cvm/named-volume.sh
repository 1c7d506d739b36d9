#!/bin/sh
# A named volume is made in the store on first use and keeps its data for the next run.
set -eu
. tests/cvm/lib.sh

cvm_run -v data:/data busybox sh -c 'echo x > /data/f'
assert_status 0
[ -f "$TETHER_STORE/volumes/data.ext4" ] || fail "no volume disk in the store"

cvm_run -v data:/data busybox cat /data/f
assert_status 0
assert_eq "the second run's output" x "$(cat "$WORK/out")"

cvm_run -v data:/data:ro busybox sh -c 'echo y > /data/f'
assert_status 1
case $(cat "$WORK/err") in
*"Read-only file system"*) ;;
*) fail "writing a read-only volume: $(cat "$WORK/err")" ;;
esac
assert_no_temp_dirs
