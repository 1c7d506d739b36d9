#!/bin/sh
# The host's side of the channel: late, absent, gone and back, silent about the exit; and
# what it asks for (a signal, a stop) reaching the workload.
set -eu
. tests/boot/lib.sh

# no_gaps: every event from hello on arrived, numbered 1..N, none dropped.
no_gaps() {
	[ "$(jq -s '[.[].seq] | unique | . == [range(1; length + 1)]' "$events")" = true ] ||
		fail "sequence numbers are not 1..N: $(jq -c .seq "$events" | tr '\n' ' ')"
	assert_event shutdown '.events_dropped' 0
}

# The host connects 8 s after QEMU starts: the workload has run long before, and nothing
# was lost meanwhile.
# shellcheck disable=SC2016 # $(...) is for the workload's shell
host_busybox '--connect-delay 8000' \
	'["sh", "-c", "echo uptime-at-start $(cut -d \" \" -f 1 /proc/uptime); sleep 5; exit 3"]'
assert_clean_exit 3
assert_event_types 'hello disks config image mounts started exit timings shutdown'
no_gaps
started_at=$(sed -n 's/^uptime-at-start \([0-9]*\)\..*/\1/p' "$console")
if [ -z "$started_at" ] || [ "$started_at" -ge 7 ]; then
	fail "the workload started at uptime '$started_at' s, not before the host came"
fi

# No host at all on the port: the workload runs, the exit waits for an acknowledgement
# only until tether.channel_timeout, and the VM powers off.
channel_ports control
attach_busybox '["sh", "-c", "echo ran-without-host; exit 5"]'
boot_kernel 'tether.timeout=20 tether.channel_timeout=2'
assert_clean_exit 5
assert_console '^ran-without-host$'
assert_console 'tether: channel: events not sent after 2000 ms, going on'

# No channel at all (tether.channel=none): nothing is waited for, and nothing said about it.
detach_channel
attach_busybox '["sh", "-c", "echo ran-without-channel; exit 5"]'
boot_kernel 'tether.timeout=20 tether.channel=none tether.debug'
assert_clean_exit 5
assert_console '^ran-without-channel$'
refute_console 'channel: events not sent'
refute_console 'channel: exit not acknowledged'

# The host goes away after the hello and comes back: a new hello starts the new
# connection, and what was queued meanwhile follows it.
host_busybox '--reconnect' '["sh", "-c", "sleep 4; exit 4"]'
assert_clean_exit 4
[ "$(jq -s '[.[] | select(.type == "hello") | .seq] == [1, 1]' "$events")" = true ] ||
	fail "no second hello (seq 1) after the reconnection: $(jq -c '[.type, .seq]' "$events" | tr '\n' ' ')"
assert_event exit '.status' 4
assert_event shutdown '.exit_status' 4
assert_console 'tether: channel: host gone'

# A host that never acknowledges the exit gets it again every second, until the timeout.
BOOT_APPEND='tether.channel_timeout=3' host_busybox '--no-ack' '["sh", "-c", "exit 6"]'
assert_clean_exit 6
[ "$(jq -s '[.[] | select(.type == "exit")] | (length >= 2) and (map(.seq) | unique | length == 1)' "$events")" = true ] ||
	fail "the exit event was not repeated under one seq: $(jq -c '[.type, .seq]' "$events" | tr '\n' ' ')"
assert_console 'tether: channel: exit not acknowledged after 3000 ms, going on'

# signal TERM from the host reaches the workload.
host_busybox '--on-started signal:TERM --action-delay 500' \
	'["sh", "-c", "trap \"echo got-term; exit 3\" TERM; while :; do sleep 0.1; done"]'
assert_clean_exit 3
assert_console '^got-term$'
assert_console 'tether: host: signal SIGTERM'
assert_event exit '[.status, .stop_requested]' '[3,false]'

# stop with a 1 s grace on a workload that ignores TERM: SIGKILL after the grace, though
# the configured one is 60 s.
host_busybox '--on-started stop:1000 --action-delay 500' '["sh", "-c", "trap \"\" TERM; sleep 100"]' \
	'"stop": {"grace_seconds": 60}'
assert_clean_exit 137
assert_event exit '[.status, .code, .signal, .stop_requested]' '[137,null,"SIGKILL",true]'
assert_console 'tether: workload killed by SIGKILL \(exit status 137\), after a stop request$'
run_us=$(jq -s '(map(select(.type == "exit"))[0].ts_us) - (map(select(.type == "started"))[0].ts_us)' "$events")
if [ "$run_us" -lt 1500000 ] || [ "$run_us" -ge 20000000 ]; then
	fail "the stopped workload ran $run_us us: not the host's grace"
fi

# 2000 requests for USR1 then one for TERM, in one burst once the workload has set its
# traps: signals asked for again before they went are sent once, nothing is dropped, and
# TERM arrives.
for _ in $(seq 2000); do
	echo '{"type":"signal","seq":1,"ts_us":0,"signal":"USR1"}'
done >"$WORK/burst.ndjson"
echo '{"type":"signal","seq":2,"ts_us":0,"signal":"TERM"}' >>"$WORK/burst.ndjson"
host_busybox "--send-on-started $WORK/burst.ndjson --action-delay 1000" \
	'["sh", "-c", "trap \"\" USR1; trap \"echo got-term; exit 3\" TERM; while :; do sleep 0.1; done"]'
assert_clean_exit 3
assert_console '^got-term$'
refute_console 'dropped'

# A stop that comes before the workload starts is applied as it starts.
echo '{"type":"stop","seq":1,"ts_us":0,"grace_ms":500}' >"$WORK/early-stop.ndjson"
host_busybox "--send $WORK/early-stop.ndjson" '["sleep", "100"]'
assert_clean_exit 143
assert_event exit '[.status, .stop_requested]' '[143,true]'
run_us=$(jq -s '(map(select(.type == "exit"))[0].ts_us) - (map(select(.type == "started"))[0].ts_us)' "$events")
if [ "$run_us" -ge 10000000 ]; then
	fail "the workload ran $run_us us after an early stop with a 500 ms grace"
fi
