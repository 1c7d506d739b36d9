#!/bin/sh
# The store: imports from an OCI layout, an OCI archive and docker-save archives (legacy and
# with an OCI layout inside) give the same image; tags, host tags, untag, rm, gc; verify finds
# corruption; skopeo and umoci read the store; a bad digest never becomes a path.
. tests/imagec/lib.sh

busybox_image "$WORK/layout" latest
id=$("$IMAGEC" import --tag busybox:1 "oci:$WORK/layout:latest")
assert_eq "ID is the manifest digest" \
	"$(sed 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/' "$WORK/layout/index.json")" "$id"

# Same image through an OCI archive: same manifest, so the same ID; no new blobs.
skopeo copy -q "oci:$WORK/layout:latest" "oci-archive:$WORK/image.tar:v1"
blobs=$(blob_count "$STORE")
assert_eq "oci-archive ID" "$id" "$("$IMAGEC" import --tag archive:v1 "oci-archive:$WORK/image.tar:v1")"
assert_eq "blobs after the second import" "$blobs" "$(blob_count "$STORE")"

# A legacy docker-save archive: a new manifest (uncompressed layers), the same config and
# diffIDs; its RepoTags name it when no --tag is given.
skopeo copy -q "oci:$WORK/layout:latest" "docker-archive:$WORK/docker.tar:example.com/team/app:7"
docker_id=$("$IMAGEC" import "docker-archive:$WORK/docker.tar")
"$IMAGEC" inspect example.com/team/app:7 >"$WORK/docker.json"
"$IMAGEC" inspect busybox:1 >"$WORK/oci.json"
assert_eq "docker-archive config" "$(grep configDigest "$WORK/oci.json")" \
	"$(grep configDigest "$WORK/docker.json")"
assert_eq "docker-archive chainID" "$(grep chainID "$WORK/oci.json")" \
	"$(grep chainID "$WORK/docker.json")"
grep -q '"mediaType": "application/vnd.oci.image.layer.v1.tar"' "$WORK/docker.json" ||
	fail "docker-archive layer is not an uncompressed tar"

# Tags that hold a colon themselves, as skopeo splits them (at the first colon where the path
# ends) and as this store writes them: one store imports from another; a docker archive's
# RepoTags match however the name is written.
assert_eq "oci: from another store, full name" "$id" \
	"$("$IMAGEC" --store "$WORK/second" import "oci:$STORE:docker.io/library/busybox:1")"
assert_eq "oci: from another store, short name" "$id" \
	"$("$IMAGEC" --store "$WORK/second" import "oci:$STORE:busybox:1")"
skopeo copy -q "oci:$WORK/layout:latest" "oci-archive:$WORK/colon.tar:team/app:v2"
assert_eq "oci-archive tag with a colon" "$id" \
	"$("$IMAGEC" --store "$WORK/second" import "oci-archive:$WORK/colon.tar:team/app:v2")"
skopeo copy -q "oci:$WORK/layout:latest" "docker-archive:$WORK/hub.tar:imp/bb:1"
tar -xOf "$WORK/hub.tar" manifest.json | grep -qF '"RepoTags":["docker.io/imp/bb:1"]' ||
	fail "skopeo wrote other RepoTags: $(tar -xOf "$WORK/hub.tar" manifest.json)"
"$IMAGEC" --store "$WORK/second" import "docker-archive:$WORK/hub.tar:imp/bb:1" >/dev/null
assert_fails_with "docker.tar:example.com/team/app:8: no image 'example.com/team/app:8'" \
	"$IMAGEC" --store "$WORK/second" import "docker-archive:$WORK/docker.tar:example.com/team/app:8"
# An archive with two RepoTags: the image is tagged with the one asked for, however written.
skopeo copy -q --additional-tag b/two:2 "oci:$WORK/layout:latest" "docker-archive:$WORK/two.tar:b/two:1"
"$IMAGEC" --store "$WORK/third" import "docker-archive:$WORK/two.tar:b/two:2" >/dev/null
"$IMAGEC" --store "$WORK/third" import "docker-archive:$WORK/two.tar:docker.io/b/two:1" >/dev/null
assert_eq "tagged as the RepoTag asked for" "docker.io/b/two:1,docker.io/b/two:2" \
	"$("$IMAGEC" --store "$WORK/third" list | awk 'NR > 1 { $1 = ""; print }' | xargs -n1 | sort |
		paste -sd,)"

# Docker 25+ writes an OCI layout beside manifest.json: the original manifest is kept.
mkdir -p "$WORK/d25"
skopeo copy -q "oci:$WORK/layout:latest" "oci:$WORK/d25:latest"
config=$(grep -o '"configDigest": "sha256:[0-9a-f]*"' "$WORK/oci.json" | cut -d'"' -f4)
layer=$(grep -o '"digest": "sha256:[0-9a-f]*"' "$WORK/oci.json" | head -n1 | cut -d'"' -f4)
printf '[{"Config":"blobs/sha256/%s","RepoTags":["d25:new"],"Layers":["blobs/sha256/%s"]}]' \
	"${config#sha256:}" "${layer#sha256:}" >"$WORK/d25/manifest.json"
# Another manifest in its index, whose config digest is short, is passed over.
printf '{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"s","size":2},"layers":[]}' \
	>"$WORK/short-config"
short=$(sha256sum <"$WORK/short-config" | cut -d' ' -f1)
cp "$WORK/short-config" "$WORK/d25/blobs/sha256/$short"
sed -i "s/\"manifests\":\[/&{\"mediaType\":\"application\/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$short\",\"size\":$(wc -c <"$WORK/short-config")},/" \
	"$WORK/d25/index.json"
grep -q "$short" "$WORK/d25/index.json" || fail "no short-config manifest in $(cat "$WORK/d25/index.json")"
tar -C "$WORK/d25" -cf "$WORK/d25.tar" .
assert_eq "Docker 25 archive ID" "$id" "$("$IMAGEC" import "docker-archive:$WORK/d25.tar")"

# inspect: the exact metadata of the image.
"$IMAGEC" inspect busybox:1 >"$WORK/oci.json"
grep -q '"cmd": \[' "$WORK/oci.json" || fail "no cmd"
tr -d ' \n' <"$WORK/oci.json" >"$WORK/oci.flat"
for expected in '"cmd":["sh","-c","echohello"]' '"env":["GREETING=hello"]' \
	'"workingDir":"/etc"' '"user":"1000:1000"' '"labels":{"purpose":"test"}' \
	'"architecture":"amd64"' '"os":"linux"' '"entrypoint":null'; do
	grep -qF "$expected" "$WORK/oci.flat" || fail "inspect lacks $expected: $(cat "$WORK/oci.json")"
done
grep -qF '"tags":["docker.io/library/busybox:1","docker.io/library/archive:v1","docker.io/library/d25:new"]' "$WORK/oci.flat" ||
	fail "inspect tags: $(cat "$WORK/oci.json")"

# References: a tag, name@digest, an ID prefix; a short or ambiguous prefix is refused.
assert_eq "by digest" "$id" "$("$IMAGEC" inspect "busybox@sha256:$id" | sed -n 's/^  "id": "\(.*\)",/\1/p')"
short=$(echo "$id" | cut -c1-6)
assert_eq "by prefix" "$id" "$("$IMAGEC" inspect "$short" | sed -n 's/^  "id": "\(.*\)",/\1/p')"
assert_fails_with "no image 'abc' in the store '$STORE' (an ID prefix has 4 hex digits at least)" \
	"$IMAGEC" inspect abc
assert_fails_with "no image 'abcd' in the store '$STORE'\$" "$IMAGEC" inspect abcd
assert_fails_with "'busybox@sha256:12': 'sha256:12' is not a sha256 digest" \
	"$IMAGEC" inspect busybox@sha256:12

# Host tags are seen by their host only.
"$IMAGEC" --host alpha tag busybox:1 mine:1
"$IMAGEC" --host alpha inspect mine:1 >/dev/null
assert_fails_with "no image 'mine:1'" "$IMAGEC" inspect mine:1
assert_fails_with "no image 'mine:1'" "$IMAGEC" --host beta inspect mine:1
[ -f "$STORE/hosts/alpha/tags.json" ] || fail "no hosts/alpha/tags.json"
"$IMAGEC" --host alpha inspect busybox:1 | grep -q '"docker.io/library/mine:1"' ||
	fail "inspect for host alpha lacks its tag"
if "$IMAGEC" inspect busybox:1 | grep -q 'mine:1'; then
	fail "a host tag shows without --host"
fi
"$IMAGEC" list --json | tr -d ' \n' | grep -qF '"hostTags":{"alpha":["docker.io/library/mine:1"]}' ||
	fail "list --json lacks the host tags"
short_id=$(echo "$id" | cut -c1-12)
"$IMAGEC" --host alpha list | grep -qx "$short_id  docker.io/library/busybox:1 docker.io/library/archive:v1 docker.io/library/d25:new docker.io/library/mine:1 (host alpha)" ||
	fail "list for host alpha: $("$IMAGEC" --host alpha list)"
"$IMAGEC" list | grep -qx "$short_id  docker.io/library/busybox:1 docker.io/library/archive:v1 docker.io/library/d25:new" ||
	fail "list: $("$IMAGEC" list)"
assert_fails_with "host name '../x'" "$IMAGEC" --host ../x list

# skopeo and umoci read the store as an OCI layout.
skopeo inspect "oci:$STORE:docker.io/library/busybox:1" | grep -q "\"Digest\": \"sha256:$id\"" ||
	fail "skopeo cannot read the store"
umoci ls --layout "$STORE" | grep -qx 'docker.io/library/busybox:1' || fail "umoci ls"

# untag keeps the image; rm drops it and gc frees its blobs (docker_id shares only layers'
# diffIDs, not blobs).
"$IMAGEC" untag archive:v1
assert_fails_with "no image 'archive:v1'" "$IMAGEC" inspect archive:v1
"$IMAGEC" rm example.com/team/app:7 >/dev/null
assert_fails_with "no image '$docker_id'" "$IMAGEC" inspect "$docker_id"
"$IMAGEC" gc >"$WORK/gc"
assert_eq "gc" "removed 2 blobs, 0 disks, 0 temporary files" "$(cat "$WORK/gc")"
"$IMAGEC" verify >"$WORK/verify"
assert_eq "verify" "verified 3 blobs and 1 image" "$(cat "$WORK/verify")"

# Corruption: a flipped byte in a layer is found by verify.
blob="$STORE/blobs/sha256/${layer#sha256:}"
chmod u+w "$blob"
printf 'X' | dd of="$blob" bs=1 seek=100 conv=notrunc 2>/dev/null
assert_fails_with "blob '$layer' hashes to" "$IMAGEC" verify
echo ok

# An index.json entry the catalog cannot read stops every command with where it is.
"$IMAGEC" --store "$WORK/bad-index" import --tag busybox:1 "oci:$WORK/layout:latest" >/dev/null
sed -i 's/"manifests": \[/&{"mediaType": "application\/vnd.oci.image.manifest.v1+json", "size": 1, "digest": 7},/' \
	"$WORK/bad-index/index.json"
for command in "tag busybox:1 other:1" "rm busybox:1" "list" "import oci:$WORK/layout:latest" "gc"; do
	# shellcheck disable=SC2086 # the command's words
	assert_fails_with "index.json': manifests\[0\] has no sha256 \"digest\"" \
		"$IMAGEC" --store "$WORK/bad-index" $command
done

# One host's tags file that cannot be read: listing without that host still works; rm says
# which file stops it before it changes anything; once mended, rm drops every host's tags.
hosts="$WORK/hosts"
"$IMAGEC" --store "$hosts" import --tag a:1 "oci:$WORK/layout:latest" >/dev/null
"$IMAGEC" --store "$hosts" --host good tag a:1 mine:1
mkdir -p "$hosts/hosts/broken"
echo '{"tags": {"x": "y", "x": "z"}}' >"$hosts/hosts/broken/tags.json"
"$IMAGEC" --store "$hosts" list | grep -q 'docker.io/library/a:1' || fail "list with a broken host"
"$IMAGEC" --store "$hosts" --host good list | grep -q 'mine:1 (host good)' || fail "list --host good"
assert_fails_with "hosts/broken/tags.json" "$IMAGEC" --store "$hosts" rm a:1
"$IMAGEC" --store "$hosts" inspect a:1 >/dev/null || fail "a failed rm removed the image"
grep -q "mine:1" "$hosts/hosts/good/tags.json" || fail "a failed rm changed another host's tags"
rm -r "$hosts/hosts/broken"
"$IMAGEC" --store "$hosts" rm a:1 >/dev/null
assert_eq "the good host's tags after rm" '{"tags": {}}' "$(tr -d ' \n' <"$hosts/hosts/good/tags.json" | sed 's/:/: /')"

# A call that does not fit its command is a usage error (status 2), told before any store
# is opened or made.
for call in "inspect" "tag onlyone" "list extra" "commit x:1" "commit --parent p:1 x:1" "gc x"; do
	status=0
	# shellcheck disable=SC2086 # the call's words
	"$IMAGEC" --store "$WORK/never" $call 2>"$WORK/err" || status=$?
	assert_eq "status of '$call'" 2 "$status"
	grep -q "^imagec: usage: imagec ${call%% *}" "$WORK/err" || fail "'$call' said: $(cat "$WORK/err")"
	[ ! -e "$WORK/never" ] || fail "'$call' made the store"
done

# A reference that is not one says so, instead of "no image".
assert_fails_with "reference 'base:': bad tag ''" "$IMAGEC" inspect base:
assert_fails_with "reference 'Base:1': bad repository 'library/Base'" "$IMAGEC" inspect Base:1
assert_fails_with "reference 'a//b:1': bad repository 'a//b'" "$IMAGEC" inspect a//b:1
assert_fails_with "no image 'nosuch:1' in the store" "$IMAGEC" inspect nosuch:1
