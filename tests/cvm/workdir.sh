#!/bin/sh
# The working directory is inside the container root: one that resolves outside it (here
# /proc/1/root, which is tether's own root) is refused before the user switch would keep the
# workload there, for a user and for root alike.
set -eu
. tests/cvm/lib.sh

for user in app root; do
	cvm_run -u "$user" -w /proc/1/root busybox pwd
	assert_status 125
	grep -q "working directory '/proc/1/root': it is outside the container root" "$WORK/err" ||
		fail "as $user: $(cat "$WORK/err")"
done
cvm_run -u app -w /tmp busybox pwd
assert_status 0
assert_eq "a working directory inside the root" /tmp "$(cat "$WORK/out")"
assert_no_temp_dirs
