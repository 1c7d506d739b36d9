#!/bin/sh
# --commit with a name the store cannot take is refused before the VM boots (125, imagec's
# reason); a commit that fails after the workload ran exits 125 too, whatever the workload's
# own status was.
set -eu
. tests/cvm/lib.sh

check_refused() {
	cvm_run --commit "$1" busybox sh -c 'echo ran; exit 4'
	assert_status 125
	assert_eq "stdout with --commit '$1'" "" "$(cat "$WORK/out")"
	grep -q "^imagec: commit on 'busybox' as '$1': " "$WORK/err" ||
		fail "no reason from imagec: $(cat "$WORK/err")"
	grep -qx "cvm: --commit '$1': imagec refused it (see above)" "$WORK/err" ||
		fail "no message from cvm: $(cat "$WORK/err")"
	assert_no_temp_dirs
}

check_refused 'Bad Tag'
check_refused 'UPPER:1'
check_refused 'ok:bad tag'

# An imagec whose commit fails (everything else goes to the real one).
cat >"$WORK/imagec" <<WRAPPER
#!/bin/sh
for arg; do
	[ "\$arg" = --from ] && { echo "imagec: commit: disk full" >&2; exit 1; }
done
exec "$BUILD/imagec" "\$@"
WRAPPER
chmod +x "$WORK/imagec"
status=0
IMAGEC="$WORK/imagec" "$CVM" run --commit mine:1 busybox sh -c 'echo ran; exit 4' \
	>"$WORK/out" 2>"$WORK/err" </dev/null || status=$?
assert_status 125
assert_eq "the workload's output" ran "$(cat "$WORK/out")"
grep -qx "cvm: commit 'mine:1': imagec commit failed" "$WORK/err" ||
	fail "no message about the commit: $(cat "$WORK/err")"
"$BUILD/imagec" inspect mine:1 >/dev/null 2>&1 && fail "mine:1 exists after a failed commit"
assert_no_temp_dirs
