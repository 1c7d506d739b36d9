#!/bin/sh
# A volume is written by one VM at a time: while one cvm has it, a second cvm that wants it
# exits 125 naming the busy volume, before it boots; read-only users share it with each other
# but not with a writer. Once the first cvm ends, the volume is free again.
set -eu
. tests/cvm/lib.sh

"$CVM" run --events "$WORK/events" -v shared:/data busybox \
	sh -c 'echo one > /data/f; echo written; sleep 30' >"$WORK/first.out" 2>"$WORK/first.err" &
first=$!
wait_started "$WORK/events"
for _ in $(seq 100); do
	grep -q written "$WORK/first.out" && break
	sleep 0.1
done

cvm_run -v shared:/data busybox cat /data/f
assert_status 125
assert_eq "stderr of a second writer" "cvm: volume 'shared' is in use by another VM" \
	"$(cat "$WORK/err")"
cvm_run -v shared:/data:ro busybox cat /data/f
assert_status 125
assert_eq "stderr of a reader" "cvm: volume 'shared' is in use by another VM that writes it" \
	"$(cat "$WORK/err")"

kill -INT "$first"
status=0
wait "$first" || status=$?
assert_status 143

# Free again: two readers at once are fine.
"$CVM" run --events "$WORK/events2" -v shared:/data:ro busybox sh -c 'cat /data/f; sleep 30' \
	>"$WORK/reader.out" 2>"$WORK/reader.err" &
reader=$!
wait_started "$WORK/events2"
for _ in $(seq 100); do
	grep -q one "$WORK/reader.out" && break
	sleep 0.1
done
cvm_run -v shared:/data:ro busybox cat /data/f
assert_status 0
assert_eq "a second reader's output" one "$(cat "$WORK/out")"
kill -INT "$reader"
wait "$reader" || true
assert_eq "the first reader's output" one "$(cat "$WORK/reader.out")"
assert_no_temp_dirs

# A named volume given by its disk's path as well is the same disk twice, not another VM's.
cvm_run -v shared:/a -v "$TETHER_STORE/volumes/shared.ext4:/b" busybox true
assert_status 125
assert_eq "a volume and its own disk" \
	"cvm: 'shared' and '$TETHER_STORE/volumes/shared.ext4' are the same disk, given twice" \
	"$(cat "$WORK/err")"
assert_no_temp_dirs
