#!/bin/sh
# SIGINT asks tether to stop the workload: cvm exits within the stop timeout with the
# workload's status (143: SIGTERM), and its QEMU is gone.
set -eu
. tests/cvm/lib.sh

"$CVM" run --events "$WORK/events" --stop-timeout 8 busybox sleep 100 >"$WORK/out" \
	2>"$WORK/err" &
cvm_pid=$!
wait_started "$WORK/events"
# The QEMU that this cvm started: the one whose command line names its temporary directory.
qemu_pid=$(pgrep -f "$TMPDIR/cvm-" | head -n 1)
[ -n "$qemu_pid" ] || fail "no QEMU found"

start=$(date +%s%N)
kill -INT "$cvm_pid"
status=0
wait "$cvm_pid" || status=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_status 143
[ "$elapsed_ms" -lt 8000 ] || fail "cvm took $elapsed_ms ms to stop, the stop timeout is 8 s"
if kill -0 "$qemu_pid" 2>/dev/null; then
	fail "QEMU (PID $qemu_pid) still runs"
fi
assert_eq "exit event" '[143,"SIGTERM",true]' \
	"$(jq -c 'select(.type == "exit") | [.status, .signal, .stop_requested]' "$WORK/events" |
		head -n 1)"
assert_no_temp_dirs
