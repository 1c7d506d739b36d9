#!/bin/sh
# -i: cvm's stdin is the workload's, up to its end; without -i the workload reads nothing.
set -eu
. tests/cvm/lib.sh

out=$(echo hi | "$CVM" run -i busybox cat)
assert_eq "echo hi | cvm run -i busybox cat" hi "$out"

head -c 300000 /dev/urandom >"$WORK/input"
"$CVM" run -i busybox sha256sum <"$WORK/input" >"$WORK/out"
assert_eq "sha256 of 300000 bytes through stdin" "$(sha256sum <"$WORK/input")" "$(cat "$WORK/out")"

out=$(echo hi | "$CVM" run busybox wc -c)
assert_eq "stdin without -i" 0 "$out"
assert_no_temp_dirs

# Started with stdin closed (<&-, as some CI runners do), -i reads end of file at once
# (timeout only guards the test: cvm once read its own signalfd there and never ended).
status=0
timeout 120 "$CVM" run -i busybox cat <&- >"$WORK/out" 2>"$WORK/err" || status=$?
assert_status 0
assert_eq "what cat read from a closed stdin" "" "$(cat "$WORK/out")"
