#!/bin/sh
# Bad volume specs: 125 and a message saying what is wrong, before anything is made (no
# temporary directory, so no disk and no VM). A volume given twice, or two volumes at one
# target, are bad specs too.
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

# check_pair SPEC SPEC MESSAGE: two volumes that cannot go together.
check_pair() {
	cvm_run -v "$1" -v "$2" busybox true
	assert_status 125
	assert_eq "stderr of -v '$1' -v '$2'" "cvm: $3
cvm: see 'cvm --help'" "$(cat "$WORK/err")"
	assert_no_temp_dirs
}

check_pair data:/a data:/b:ro "volume 'data' is given twice"
check_pair data:/a other:/a/ "two volumes at '/a/'"
check_pair data:/srv//a other:/srv/a "two volumes at '/srv/a'"
check_pair data:/data other:/./data "two volumes at '/./data'"
check_pair data:/data other:/x/../data "two volumes at '/x/../data'"

# The same disk image twice, also through another name: refused before anything is made.
mke2fs -q -t ext4 -F "$WORK/disk.img" 8M >/dev/null
ln "$WORK/disk.img" "$WORK/same.img"
cvm_run -v "$WORK/disk.img:/a" -v "$WORK/same.img:/b" busybox true
assert_status 125
assert_eq "stderr of one disk twice" \
	"cvm: '$WORK/disk.img' and '$WORK/same.img' are the same disk, given twice" \
	"$(cat "$WORK/err")"
assert_no_temp_dirs
[ ! -e "$TETHER_STORE/volumes" ] || fail "a volume was made: $(ls "$TETHER_STORE/volumes")"
