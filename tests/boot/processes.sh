#!/bin/sh
# PID 1 reaps orphans at once, the workload gets default signal dispositions (SIGPIPE ends
# 'yes'), and processes left behind by the entry point do not keep the VM up.
# The workload's shell expands the $ in these scripts, not this one.
# shellcheck disable=SC2016
set -eu
. tests/boot/lib.sh

# An orphaned grandchild exits while the workload still runs: no zombie may be left.
run_busybox '["sh", "-c", "sh -c \"sleep 0.3 &\"; sleep 1.5; echo zombies=$(ps -o stat | grep -c ^Z)"]'
assert_console '^zombies=0$'
assert_clean_exit 0

run_busybox '["sh", "-c", "yes | head -n 1; echo pipeline-done"]'
assert_console '^y$'
assert_console '^pipeline-done$'
assert_clean_exit 0

# A background process that ignores SIGTERM is killed after the grace period. The entry point
# waits until the trap is set, or the TERM could come first.
run_busybox '["sh", "-c", "(trap \"\" TERM; touch /tmp/ready; exec sleep 1000) & while [ ! -e /tmp/ready ]; do sleep 0.1; done; echo left-behind"]' \
	'"stop": {"grace_seconds": 1}'
assert_console '^left-behind$'
assert_console 'tether: processes ignored SIGTERM and were killed'
assert_clean_exit 0
