#!/bin/sh
# cvm exits with the workload's status: a code as it is, a signal as 128+n.
set -eu
. tests/cvm/lib.sh

cvm_run busybox sh -c 'echo out; echo err >&2; exit 42'
assert_status 42
assert_eq stdout out "$(cat "$WORK/out")"
assert_eq stderr err "$(cat "$WORK/err")"

cvm_run busybox sh -c 'kill -9 $$'
assert_status 137
assert_eq stderr '' "$(cat "$WORK/err")"
assert_no_temp_dirs
