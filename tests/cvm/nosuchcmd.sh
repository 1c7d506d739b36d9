#!/bin/sh
# A command the image does not have: 127, with tether's message naming it. The console kept
# with --console holds the kernel's and tether's messages, the same one among them.
set -eu
. tests/cvm/lib.sh

cvm_run --console "$WORK/console" busybox nosuchcmd
assert_status 127
assert_eq stderr "cvm: workload: exec 'nosuchcmd': No such file or directory (exit status 127)" \
	"$(cat "$WORK/err")"
assert_eq stdout '' "$(cat "$WORK/out")"
grep -q 'Linux version' "$WORK/console" || fail "no kernel messages on the console"
grep -q "tether: workload: exec 'nosuchcmd': No such file or directory" "$WORK/console" ||
	fail "no tether message on the console: $(tail -n 20 "$WORK/console")"
assert_no_temp_dirs

# A name with an escape sequence in it is shown, not sent to the terminal.
cvm_run busybox "$(printf 'no\033[31mcmd')"
assert_status 127
grep -qF "exec 'no\\x1b[31mcmd'" "$WORK/err" || fail "the name not escaped: $(od -c "$WORK/err")"
if grep -q "$(printf '\033')" "$WORK/err"; then
	fail "an escape character reached stderr"
fi
