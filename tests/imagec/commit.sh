#!/bin/sh
# imagec commit: a layer tar (as tether writes it) on top of an image gives a new image whose
# config and manifest say so; umoci unpacks it to what the layer left; commits chain; skopeo
# copies the result to a registry and a pull of it gives the same digests.
. tests/imagec/lib.sh

busybox_image "$WORK/layout" latest
parent=$("$IMAGEC" import --tag busybox:1 "oci:$WORK/layout:latest")

# A layer that deletes /etc/issue, adds /new and /dir/f, and replaces /bin/ls with a file.
mkdir -p "$WORK/l1/etc" "$WORK/l1/dir" "$WORK/l1/bin"
: >"$WORK/l1/etc/.wh.issue"
echo new >"$WORK/l1/new"
echo f >"$WORK/l1/dir/f"
echo 'not ls' >"$WORK/l1/bin/ls"
tar --format=pax --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 \
	-C "$WORK/l1" -cf "$WORK/l1.tar" etc dir new bin/ls
diff1=sha256:$(sha256sum <"$WORK/l1.tar" | cut -d' ' -f1)

id1=$("$IMAGEC" commit --from "$WORK/l1.tar" --parent busybox:1 --author tester \
	--message 'first commit' committed:1)
"$IMAGEC" inspect committed:1 >"$WORK/c1.json"
"$IMAGEC" inspect busybox:1 >"$WORK/p.json"
assert_eq "id is the manifest digest" "sha256:$id1" "$(jq -r .manifestDigest "$WORK/c1.json")"
assert_eq "diffIDs" "$(jq -c ".diffIDs + [\"$diff1\"]" "$WORK/p.json")" \
	"$(jq -c .diffIDs "$WORK/c1.json")"
assert_eq "layers" 2 "$(jq '.layers | length' "$WORK/c1.json")"
assert_eq "new layer media type" application/vnd.oci.image.layer.v1.tar+gzip \
	"$(jq -r '.layers[1].mediaType' "$WORK/c1.json")"
assert_eq "image config kept" "$(jq -c '[.cmd, .env, .workingDir, .user, .labels]' "$WORK/p.json")" \
	"$(jq -c '[.cmd, .env, .workingDir, .user, .labels]' "$WORK/c1.json")"
config=$(jq -r .configDigest "$WORK/c1.json")
jq -e '.history[-1] | .author == "tester" and .comment == "first commit"' \
	"$STORE/blobs/sha256/${config#sha256:}" >/dev/null || fail "history entry"
assert_eq "parent untouched" "$parent" "$("$IMAGEC" inspect busybox:1 | jq -r .id)"

# umoci, the reference, unpacks it to what the layer says.
umoci unpack --image "$STORE:docker.io/library/committed:1" "$WORK/u1" >/dev/null
[ ! -e "$WORK/u1/rootfs/etc/issue" ] || fail "/etc/issue still there"
assert_eq "/new" new "$(cat "$WORK/u1/rootfs/new")"
assert_eq "/dir/f" f "$(cat "$WORK/u1/rootfs/dir/f")"
assert_eq "/bin/ls" 'not ls' "$(cat "$WORK/u1/rootfs/bin/ls")"
[ -x "$WORK/u1/rootfs/bin/busybox" ] || fail "the parent's files are gone"

# A second commit on top: three levels.
mkdir -p "$WORK/l2"
: >"$WORK/l2/.wh.new"
tar --format=pax --numeric-owner --sort=name --mtime=@0 -C "$WORK/l2" -cf "$WORK/l2.tar" .wh.new
"$IMAGEC" commit --from "$WORK/l2.tar" --parent committed:1 committed:2 >/dev/null
assert_eq "three layers" 3 "$("$IMAGEC" inspect committed:2 | jq '.diffIDs | length')"
umoci unpack --image "$STORE:docker.io/library/committed:2" "$WORK/u2" >/dev/null
[ ! -e "$WORK/u2/rootfs/new" ] || fail "/new was deleted in the third layer"
assert_eq "/dir/f in the third level" f "$(cat "$WORK/u2/rootfs/dir/f")"
"$IMAGEC" verify >/dev/null || fail "verify after commits"

# skopeo takes it to a registry; a pull into another store gives the same digests.
start_registry plain
skopeo copy -q --dest-tls-verify=false "oci:$STORE:docker.io/library/committed:2" \
	"docker://$REGISTRY/committed:2"
pulled=$("$IMAGEC" --store "$WORK/store2" pull --insecure-http "$REGISTRY/committed:2")
assert_eq "pulled manifest" "$("$IMAGEC" inspect committed:2 | jq -r .id)" "$pulled"
assert_eq "pulled diffIDs" "$("$IMAGEC" inspect committed:2 | jq -c .diffIDs)" \
	"$("$IMAGEC" --store "$WORK/store2" inspect "$REGISTRY/committed:2" | jq -c .diffIDs)"

# A tar whose first bytes are bzip2's magic is a tar: committed, verified and made a disk of.
echo notes >"$WORK/BZh91AY&SY-notes.txt"
tar --format=ustar -C "$WORK" -cf "$WORK/bz.tar" 'BZh91AY&SY-notes.txt'
"$IMAGEC" commit --from "$WORK/bz.tar" --parent busybox:1 bz:1 >/dev/null
"$IMAGEC" verify >/dev/null || fail "verify of a layer that begins with bzip2's magic"
top=$("$IMAGEC" disk bz:1 | tail -n 1)
assert_eq "its disk" "BZh91AY&SY-notes.txt" "$(rdsquashfs -l / "$top" | awk '{ print $NF }')"

# Bad input: nothing is written.
blobs=$(blob_count "$STORE")
head -c 2048 /dev/urandom >"$WORK/garbage.tar"
assert_fails_with "layer '$WORK/garbage.tar': not a tar: Unrecognized archive format" \
	"$IMAGEC" commit --from "$WORK/garbage.tar" --parent busybox:1 bad:1
head -c 1000 /dev/zero >"$WORK/short.tar"
assert_fails_with "short.tar': 1000 bytes is not a tar" \
	"$IMAGEC" commit --from "$WORK/short.tar" --parent busybox:1 bad:1
assert_fails_with "open '$WORK/missing.tar'" \
	"$IMAGEC" commit --from "$WORK/missing.tar" --parent busybox:1 bad:1
assert_fails_with "nosuch" "$IMAGEC" commit --from "$WORK/l1.tar" --parent nosuch:1 bad:1
assert_fails_with "usage: imagec commit" "$IMAGEC" commit --from "$WORK/l1.tar" bad:1
assert_eq "blobs after the failures" "$blobs" "$(blob_count "$STORE")"
