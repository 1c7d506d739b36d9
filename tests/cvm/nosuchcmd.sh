#!/bin/sh
# A command the image does not have: 127, with tether's message naming it.
set -eu
. tests/cvm/lib.sh

cvm_run busybox nosuchcmd
assert_status 127
assert_eq stderr "cvm: workload: exec 'nosuchcmd': No such file or directory (exit status 127)" \
	"$(cat "$WORK/err")"
assert_eq stdout '' "$(cat "$WORK/out")"
assert_no_temp_dirs
