#!/bin/sh
# --timeout counts from cvm's start: a workload still running then is stopped like Ctrl-C
# stops it (143, stop requested); one that has not started yet gives 125 and says so.
set -eu
. tests/cvm/lib.sh

cvm_run --timeout 1 busybox echo never
assert_status 125
assert_eq "stderr of a timeout before the start" \
	"cvm: timeout: the workload had not started after 1 s, stopping the VM" "$(cat "$WORK/err")"
assert_eq "stdout of a timeout before the start" "" "$(cat "$WORK/out")"

cvm_run --timeout 15 --events "$WORK/events" busybox sh -c 'echo up; sleep 100'
assert_status 143
assert_eq "stdout of a timed out workload" up "$(cat "$WORK/out")"
assert_eq "stderr of a timed out workload" "cvm: timeout: the VM ran 15 s, stopping it" \
	"$(cat "$WORK/err")"
assert_eq "exit event" '[143,"SIGTERM",true]' \
	"$(jq -c 'select(.type == "exit") | [.status, .signal, .stop_requested]' "$WORK/events" |
		head -n 1)"
assert_no_temp_dirs
