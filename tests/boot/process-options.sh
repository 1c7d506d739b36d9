#!/bin/sh
# Resource limits, no_new_privs and the controlling terminal from the process fields.
# The workload's shell expands the $ in these scripts, not this one.
# shellcheck disable=SC2016
set -eu
. tests/boot/lib.sh

run_busybox '["sh", "-c", "echo nofile=$(ulimit -n)/$(ulimit -Hn); grep NoNewPrivs /proc/self/status; if [ -t 0 ]; then echo stdin-is-a-tty; fi; echo TERM=$TERM"]' '' \
	'"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 256, "hard": 512}], "no_new_privs": true, "terminal": true'
assert_console '^nofile=256/512$'
assert_console '^NoNewPrivs:.1$'
assert_console '^stdin-is-a-tty$'
assert_console '^TERM=xterm$'
assert_clean_exit 0

run_busybox '["sh", "-c", "grep NoNewPrivs /proc/self/status; echo TERM=${TERM:-unset}"]'
assert_console '^NoNewPrivs:.0$'
assert_console '^TERM=unset$'
assert_clean_exit 0
