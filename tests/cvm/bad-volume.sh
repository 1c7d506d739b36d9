#!/bin/sh
# Bad volume specs: 125 and a message saying what is wrong, before anything is made (no
# temporary directory, so no disk and no VM).
set -eu
. tests/cvm/lib.sh

check() {
	cvm_run -v "$1" busybox true
	assert_status 125
	assert_eq "stderr of -v '$1'" "cvm: volume '$1': $2
cvm: see 'cvm --help'" "$(cat "$WORK/err")"
	assert_no_temp_dirs
}

check data:relative "target 'relative' is not an absolute path"
check data "expected SOURCE:TARGET[:ro|rw]"
check data:/data:rx "mode 'rx' is not 'ro' or 'rw'"
check ./disk.img:/data "'./disk.img' is neither an absolute path to a disk image nor a volume \
name (a letter or digit, then letters, digits, '_', '.', '-')"
check data:/ "a volume cannot be mounted at '/'"
[ ! -e "$TETHER_STORE/volumes" ] || fail "a volume was made: $(ls "$TETHER_STORE/volumes")"
