#!/bin/sh
# Several imagec processes share one store: 4 pulls of one image at once leave one copy of each
# blob and a clean verify; a pull killed with SIGKILL in the middle of a layer leaves no blob
# under a wrong digest, and the next pull completes.
. tests/imagec/lib.sh

# A layer of 64 MiB of random bytes, so that a pull is still busy when it is killed.
umoci init --layout "$WORK/layout"
umoci new --image "$WORK/layout:big"
umoci unpack --image "$WORK/layout:big" "$WORK/bundle"
busybox_rootfs "$WORK/bundle/rootfs"
head -c 67108864 /dev/urandom >"$WORK/bundle/rootfs/random"
umoci repack --image "$WORK/layout:big" "$WORK/bundle"
rm -rf "$WORK/bundle"
start_registry plain
push layout:big big:1

pids=""
for n in 1 2 3 4; do
	"$IMAGEC" pull --insecure-http "$REGISTRY/big:1" >"$WORK/pull-$n" 2>&1 &
	pids="$pids $!"
done
for pid in $pids; do
	wait "$pid" || fail "a concurrent pull failed: $(cat "$WORK"/pull-*)"
done
id=$(cat "$WORK/pull-1")
for n in 2 3 4; do
	assert_eq "pull $n" "$id" "$(cat "$WORK/pull-$n")"
done
assert_eq "blobs (manifest, config, layer)" 3 "$(blob_count "$STORE")"
assert_eq "index entries" 1 "$(grep -c '"digest"' "$STORE/index.json")"
"$IMAGEC" verify >/dev/null

# Killed mid-layer: wait until the layer's temporary file has bytes, then SIGKILL.
killed="$WORK/killed"
"$IMAGEC" --store "$killed" pull --insecure-http "$REGISTRY/big:1" >/dev/null 2>&1 &
pid=$!
partial=""
for _ in $(seq 500); do
	partial=$(find "$killed/tmp" -name 'blob-*' -size +1k 2>/dev/null | head -n 1)
	[ -n "$partial" ] && break
	sleep 0.01
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
[ -n "$partial" ] || fail "the pull finished before it could be killed"
for blob in "$killed"/blobs/sha256/*; do
	[ -e "$blob" ] || continue
	assert_eq "blob $(basename "$blob")" "$(basename "$blob")" "$(sha256sum <"$blob" | cut -d' ' -f1)"
done
assert_eq "index after the kill" '{"schemaVersion":2,"manifests":[]}' "$(cat "$killed/index.json")"
assert_eq "pull after the kill" "$id" "$("$IMAGEC" --store "$killed" pull --insecure-http "$REGISTRY/big:1")"
"$IMAGEC" --store "$killed" verify >/dev/null
# gc removes what the killed pull left in tmp/.
"$IMAGEC" --store "$killed" gc | grep -q '^removed 0 blobs, 0 disks, [1-9][0-9]* temporary files\{0,1\}$' ||
	fail "gc did not remove the killed pull's temporary file"
echo ok
