#!/bin/sh
# A cvm killed with SIGKILL cannot clean up: its QEMU dies with it, and its temporary
# directory (scratch disk and all) is removed by the next cvm that starts. The directory of a
# cvm still running is left alone.
set -eu
. tests/cvm/lib.sh

"$CVM" run --events "$WORK/events" busybox sleep 100 >/dev/null 2>&1 &
killed=$!
wait_started "$WORK/events"
stale=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'cvm-*')
[ -n "$stale" ] || fail "no temporary directory while cvm runs"
qemu_pid=$(pgrep -f "$stale/" | head -n 1)
kill -KILL "$killed"
wait "$killed" || true
for _ in $(seq 50); do
	kill -0 "$qemu_pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$qemu_pid" 2>/dev/null && fail "QEMU (PID $qemu_pid) outlived its cvm"
[ -d "$stale" ] || fail "the killed cvm's directory is gone already"

# A cvm running beside the next one keeps its directory.
"$CVM" run --events "$WORK/events2" busybox sleep 100 >/dev/null 2>&1 &
running=$!
wait_started "$WORK/events2"
[ ! -d "$stale" ] || fail "the stale directory '$stale' is still there"
live=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'cvm-*')
[ -n "$live" ] || fail "the running cvm's directory was removed"

cvm_run busybox true
assert_status 0
[ -d "$live" ] || fail "the running cvm's directory '$live' was removed by another cvm"
kill -INT "$running"
wait "$running" || true
assert_no_temp_dirs
