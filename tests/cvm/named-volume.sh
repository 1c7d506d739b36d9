#!/bin/sh
# A named volume is made in the store on first use and keeps its data for the next run.
set -eu
. tests/cvm/lib.sh

cvm_run -v data:/data busybox sh -c 'echo x > /data/f'
assert_status 0
[ -f "$TETHER_STORE/volumes/data.ext4" ] || fail "no volume disk in the store"

cvm_run -v data:/data busybox cat /data/f
assert_status 0
assert_eq "the second run's output" x "$(cat "$WORK/out")"

cvm_run -v data:/data:ro busybox sh -c 'echo y > /data/f'
assert_status 1
case $(cat "$WORK/err") in
*"Read-only file system"*) ;;
*) fail "writing a read-only volume: $(cat "$WORK/err")" ;;
esac
assert_no_temp_dirs

# A new volume takes the owner and mode of the image's directory it covers (/tmp: 1777, so
# the user app may write it); a volume used before keeps its own.
cvm_run -u app -v scratchpad:/tmp busybox sh -c 'echo mine >/tmp/f && stat -c "%u:%g %a" /tmp'
assert_status 0
assert_eq "a new volume's owner and mode" "0:0 1777" "$(cat "$WORK/out")"
cvm_run -v scratchpad:/tmp busybox sh -c 'chown 1000:1000 /tmp && chmod 700 /tmp'
assert_status 0
cvm_run -v scratchpad:/tmp busybox stat -c "%u:%g %a" /tmp
assert_eq "a used volume's owner and mode" "1000:1000 700" "$(cat "$WORK/out")"
assert_no_temp_dirs

# Nested volumes, the inner one given first: the outer is mounted first, so neither hides
# the other.
cvm_run -v inner:/x/y -v outer:/x busybox sh -c \
	'echo in >/x/y/f && cut -d" " -f2 /proc/mounts | grep "^/x"'
assert_status 0
assert_eq "nested volumes, outer first" "/x /x/y" "$(paste -sd' ' "$WORK/out")"
assert_no_temp_dirs
