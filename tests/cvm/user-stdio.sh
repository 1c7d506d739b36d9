#!/bin/sh
# A workload that is not root opens its own stdio again (/dev/stdout, /dev/stderr, as apps that
# log there do), as under a container runtime; and the smallest memory cvm accepts boots.
set -eu
. tests/cvm/lib.sh

cvm_run -m 128M -u app busybox sh -c 'echo out >/dev/stdout && echo err >/dev/stderr && id -u'
assert_status 0
assert_eq "stdout, through /dev/stdout" "out 1000" "$(paste -sd' ' "$WORK/out")"
assert_eq "stderr, through /dev/stderr" err "$(cat "$WORK/err")"
assert_no_temp_dirs
