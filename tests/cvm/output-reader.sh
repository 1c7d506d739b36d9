#!/bin/sh
# The reader of cvm's output sets the pace, and cvm never waits on it blindly: a reader that
# goes away (| head) gives the workload SIGPIPE, as a pipe would; a reader that takes nothing
# holds the workload's writes back while --timeout and SIGTERM still stop the run.
set -eu
. tests/cvm/lib.sh

# | head -n 3: the endless writer ends with SIGPIPE's status (timeout only guards the test).
{
	status=0
	timeout 120 "$CVM" run busybox sh -c 'while :; do echo line; done' 2>"$WORK/err" ||
		status=$?
	echo "$status" >"$WORK/status"
} | head -n 3 >"$WORK/out"
assert_eq "what head took" "line line line" "$(paste -sd' ' "$WORK/out")"
assert_eq "status with the reader gone" 141 "$(cat "$WORK/status")"

# A reader that never reads (it holds a FIFO open and sleeps): --timeout still ends the run.
mkfifo "$WORK/fifo"
# shellcheck disable=SC2217 # the point: a reader that holds the FIFO and reads nothing
sleep 600 <"$WORK/fifo" &
reader=$!
status=0
"$CVM" run --timeout 6 --stop-timeout 2 busybox yes >"$WORK/fifo" 2>"$WORK/err" || status=$?
assert_status 143
grep -q 'timeout: the VM ran 6 s' "$WORK/err" || fail "no word of the timeout: $(cat "$WORK/err")"

# The same with SIGTERM to cvm.
"$CVM" run --events "$WORK/events" --stop-timeout 2 busybox yes >"$WORK/fifo" 2>"$WORK/err" &
cvm_pid=$!
wait_started "$WORK/events"
sleep 1
kill -TERM "$cvm_pid"
status=0
wait "$cvm_pid" || status=$?
assert_status 143
kill "$reader"

# A reader that is slow but takes everything gets every byte, in order.
"$CVM" run busybox sh -c 'seq 1 200000' | { sleep 3; cat; } >"$WORK/slow"
assert_eq "what the slow reader got" "$(seq 1 200000 | sha256sum)" "$(sha256sum <"$WORK/slow")"
assert_no_temp_dirs
