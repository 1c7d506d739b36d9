#!/bin/sh
# A stop request (SIGTERM to PID 1) sends the configured stop signal to the workload, then
# SIGKILL after the grace period; other signals to PID 1 are forwarded.
set -eu
. tests/boot/lib.sh

run_busybox '["sh", "-c", "trap \"echo got-usr1\" USR1; trap \"echo got-term\" TERM; kill -USR1 1; sleep 1; kill -TERM 1; sleep 1; echo still-here; sleep 30"]' \
	'"stop": {"grace_seconds": 2}'
assert_console '^got-usr1$'
assert_console '^got-term$'
assert_console '^still-here$'
assert_console 'tether: workload killed by SIGKILL \(exit status 137\), after a stop request$'
assert_clean_exit 137

run_busybox '["sh", "-c", "trap \"echo stopping; exit 7\" INT; kill -TERM 1; sleep 30"]' \
	'"stop": {"signal": "SIGINT", "grace_seconds": 10}'
assert_console '^stopping$'
assert_console 'tether: workload exited with code 7, after a stop request$'
assert_clean_exit 7
