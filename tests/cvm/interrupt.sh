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

# SIGINT after the workload's exit, while tether still shuts down (here a leftover process
# ignores SIGTERM, so tether waits out the grace before it kills it, writes back and unmounts
# the volume): cvm lets the shutdown finish, and what the workload wrote is all there.
rm -f "$WORK/events"
"$CVM" run --events "$WORK/events" --stop-timeout 4 -v kept:/data busybox sh -c \
	'(trap "" TERM; exec sleep 60) & head -c 20000000 /dev/urandom >/data/f; sha256sum /data/f' \
	>"$WORK/out" 2>"$WORK/err" &
cvm_pid=$!
for _ in $(seq 600); do
	grep -q '"type":"exit"' "$WORK/events" 2>/dev/null && break
	sleep 0.1
done
grep -q '"type":"exit"' "$WORK/events" || fail "no exit event in 60 s"
kill -INT "$cvm_pid"
status=0
wait "$cvm_pid" || status=$?
assert_status 0
grep -q 'waiting for the VM to write back its volumes' "$WORK/err" ||
	fail "no word of the wait: $(cat "$WORK/err")"
grep -q '"type":"shutdown"' "$WORK/events" || fail "no shutdown event: the VM was cut short"
written=$(cut -d' ' -f1 "$WORK/out")
cvm_run -v kept:/data busybox sh -c 'wc -c </data/f; sha256sum /data/f'
assert_status 0
assert_eq "the volume's file" "20000000 $written" "$(cut -d' ' -f1 "$WORK/out" | paste -sd' ')"
assert_no_temp_dirs
