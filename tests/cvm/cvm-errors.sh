#!/bin/sh
# What cvm can tell by itself is said by cvm, plainly: a config.json larger than tether reads
# before any VM boots; an events file that cannot be written fails the run (125) instead of
# leaving a CI job a short file without a word; a volume tether names by its serial is named
# as the -v it is.
set -eu
. tests/cvm/lib.sh

big=$(head -c 100000 /dev/zero | tr '\0' a)
set --
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	set -- "$@" -e "VAR$i=$big"
done
cvm_run "$@" busybox true
assert_status 125
grep -q "config.json would be [0-9]* bytes, more than the 1048576 tether reads" "$WORK/err" ||
	fail "a config over the limit: $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || fail "a VM ran: $(cat "$WORK/out")"

cvm_run --events /dev/full busybox sh -c 'exit 3'
assert_status 125
grep -q "events file '/dev/full': No space left on device: events were lost" "$WORK/err" ||
	fail "an events file that fills: $(cat "$WORK/err")"

# tether names a volume by its disk's serial; cvm says which -v that is.
truncate -s 10M "$WORK/nofs.img"
cvm_run -v "data:/data" -v "$WORK/nofs.img:/raw" busybox true
assert_status 125
grep -q "cvm: volume serial 'vol-1' ('/dev/vd[a-z]'): no filesystem on it" "$WORK/err" ||
	fail "no tether message: $(cat "$WORK/err")"
grep -qF "cvm: (disk 'vol-1' is -v $WORK/nofs.img:/raw: a disk image)" "$WORK/err" ||
	fail "which -v it is, not said: $(cat "$WORK/err")"
assert_no_temp_dirs

# Tools that cannot be run are named, with why.
status=0
QEMU=/nonexistent/qemu "$CVM" run busybox true >"$WORK/out" 2>"$WORK/err" || status=$?
assert_status 125
grep -qx "cvm: start QEMU '/nonexistent/qemu': No such file or directory" "$WORK/err" ||
	fail "QEMU that cannot run: $(cat "$WORK/err")"
status=0
IMAGEC=/nonexistent/imagec "$CVM" run busybox true >"$WORK/out" 2>"$WORK/err" || status=$?
assert_status 125
grep -qx "cvm: cannot run '/nonexistent/imagec': No such file or directory" "$WORK/err" ||
	fail "imagec that cannot run: $(cat "$WORK/err")"
assert_no_temp_dirs
