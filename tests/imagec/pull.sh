#!/bin/sh
# Pull from a real docker-registry on 127.0.0.1: by tag and by digest, OCI and Docker
# schema-2 media types, gzip and zstd layers, the right platform of a multi-arch index; a
# missing tag and a corrupted blob are clear errors that leave nothing behind.
. tests/imagec/lib.sh

busybox_image "$WORK/layout" latest
start_registry plain

# By tag (OCI types): the stored manifest is the pushed one, byte for byte.
push layout:latest oci/bb:1 --format oci
id=$("$IMAGEC" pull --insecure-http "$REGISTRY/oci/bb:1")
pushed=$(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/oci/bb:1" | sha256sum | cut -d' ' -f1)
assert_eq "manifest digest" "$pushed" "$id"
"$IMAGEC" inspect "$REGISTRY/oci/bb:1" | grep -q '"mediaType": "application/vnd.oci.image.manifest.v1+json"' ||
	fail "not an OCI manifest"

# By digest: the same image, and no tag is added.
assert_eq "pull by digest" "$id" "$("$IMAGEC" pull --insecure-http "$REGISTRY/oci/bb@sha256:$id")"

# Docker schema 2.
push layout:latest docker/bb:1 --format v2s2
docker_id=$("$IMAGEC" pull --insecure-http "$REGISTRY/docker/bb:1")
"$IMAGEC" inspect "$docker_id" >"$WORK/docker.json"
grep -q '"mediaType": "application/vnd.docker.distribution.manifest.v2+json"' "$WORK/docker.json" ||
	fail "not a Docker schema 2 manifest: $(cat "$WORK/docker.json")"
grep -q '"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"' "$WORK/docker.json" ||
	fail "not a Docker layer"

# zstd layers: the diffID (of the uncompressed tar) is the same as the gzip image's.
skopeo copy -q --dest-compress-format zstd "oci:$WORK/layout:latest" "oci:$WORK/zstd:latest"
push zstd:latest zstd/bb:1
zstd_id=$("$IMAGEC" pull --insecure-http "$REGISTRY/zstd/bb:1")
"$IMAGEC" inspect "$zstd_id" >"$WORK/zstd.json"
grep -q '"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd"' "$WORK/zstd.json" ||
	fail "not a zstd layer: $(cat "$WORK/zstd.json")"
assert_eq "zstd chainID" "$(grep chainID "$WORK/docker.json")" "$(grep chainID "$WORK/zstd.json")"

# A multi-arch index: amd64 and arm64 images (different configs); each platform gets its own.
cp -r "$WORK/layout" "$WORK/multi"
umoci config --image "$WORK/multi:latest" --tag arm --architecture arm64
skopeo inspect --raw "oci:$WORK/multi:latest" >"$WORK/m-amd"
skopeo inspect --raw "oci:$WORK/multi:arm" >"$WORK/m-arm"
amd_digest=$(sha256sum <"$WORK/m-amd" | cut -d' ' -f1)
amd_size=$(wc -c <"$WORK/m-amd")
arm_digest=$(sha256sum <"$WORK/m-arm" | cut -d' ' -f1)
arm_size=$(wc -c <"$WORK/m-arm")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' \
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$arm_digest\",\"size\":$arm_size,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}" \
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$amd_digest\",\"size\":$amd_size,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}" \
	>"$WORK/index-blob"
index_digest=$(sha256sum <"$WORK/index-blob" | cut -d' ' -f1)
cp "$WORK/index-blob" "$WORK/multi/blobs/sha256/$index_digest"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"multi"}}]}' \
	"$index_digest" "$(wc -c <"$WORK/index-blob")" >"$WORK/multi/index.json"
# Imported from the layout, a tag naming the index gives each platform its manifest.
assert_eq "import amd64 from the index" "$amd_digest" \
	"$("$IMAGEC" --store "$WORK/from-layout" import --platform linux/amd64 "oci:$WORK/multi:multi")"
assert_eq "import arm64 from the index" "$arm_digest" \
	"$("$IMAGEC" --store "$WORK/from-layout" import --platform linux/arm64 "oci:$WORK/multi:multi")"
"$IMAGEC" --store "$WORK/from-layout" gc >/dev/null
skopeo copy -q --all --dest-tls-verify=false "oci:$WORK/multi:multi" "docker://$REGISTRY/multi/bb:1"
assert_eq "amd64 from the index" "$amd_digest" \
	"$("$IMAGEC" pull --insecure-http --platform linux/amd64 "$REGISTRY/multi/bb:1")"
assert_eq "arm64 from the index" "$arm_digest" \
	"$("$IMAGEC" pull --insecure-http --platform linux/arm64 "$REGISTRY/multi/bb:1")"
"$IMAGEC" inspect "$arm_digest" | grep -q '"architecture": "arm64"' || fail "arm64 config"
assert_fails_with "no manifest for platform linux/s390x in the index (it has: linux/arm64, linux/amd64)" \
	"$IMAGEC" pull --insecure-http --platform linux/s390x "$REGISTRY/multi/bb:1"

# A missing tag: a clear error, and nothing written to a fresh store.
assert_fails_with "registry '$REGISTRY' has no manifest 'nope' of 'oci/bb' (404 MANIFEST_UNKNOWN" \
	"$IMAGEC" --store "$WORK/empty" pull --insecure-http "$REGISTRY/oci/bb:nope"
assert_eq "blobs after a missing tag" "" "$(ls "$WORK/empty/blobs/sha256")"
assert_eq "index after a missing tag" '{"schemaVersion":2,"manifests":[]}' "$(cat "$WORK/empty/index.json")"

# HTTPS to a registry that speaks HTTP: a hint (and no retries, which cannot mend it).
assert_fails_with "GET 'https://$REGISTRY/v2/oci/bb/manifests/1': SSL connect error (a registry that speaks plain HTTP needs --insecure-http)" \
	"$IMAGEC" --store "$WORK/empty" pull "$REGISTRY/oci/bb:1"

# A URL is not a reference: said so, with what to write instead.
assert_fails_with "pull 'http://127.0.0.1:1/x:t': reference 'http://127.0.0.1:1/x:t' has a scheme: a reference is \[HOST\[:PORT\]/\]NAME\[:TAG\]\[@sha256:HEX\], without 'https://' (for plain HTTP, --insecure-http)" \
	"$IMAGEC" --store "$WORK/empty" pull http://127.0.0.1:1/x:t

# A digest that is not hex never becomes a request or a path.
assert_fails_with "digest 'sha256:../../x' is not sha256: and 64 lowercase hex" \
	"$IMAGEC" pull --insecure-http "$REGISTRY/oci/bb@sha256:../../x"

# A layer and a config that rotted in the store (verify finds them) are fetched again by the
# next pull and replaced.
rotted_layer=$(jq -r '.layers[0].digest' "$WORK/docker.json")
rotted_config=$(jq -r '.configDigest' "$WORK/docker.json")
for blob in "$rotted_layer" "$rotted_config"; do
	printf 'X' | dd of="$STORE/blobs/sha256/${blob#sha256:}" bs=1 seek=100 conv=notrunc 2>/dev/null
done
assert_fails_with "blob '$rotted_layer' hashes to" "$IMAGEC" verify
blobs=$(blob_count "$STORE")
assert_eq "pull over rotted blobs" "$docker_id" "$("$IMAGEC" pull --insecure-http "$REGISTRY/docker/bb:1")"
"$IMAGEC" verify >/dev/null
assert_eq "blobs after repairing" "$blobs" "$(blob_count "$STORE")"

# A layer the registry serves with other bytes: refused, and not stored under its digest.
layer=$(grep -o '"digest": "sha256:[0-9a-f]*"' "$WORK/docker.json" | sed -n 1p | cut -d'"' -f4)
hex=${layer#sha256:}
data=$(find "$WORK/registry-plain/data" -path "*/blobs/sha256/*/$hex/data")
[ -n "$data" ] || fail "layer $layer not found in the registry's storage"
printf 'X' | dd of="$data" bs=1 seek=200 conv=notrunc 2>/dev/null
assert_fails_with "content of '$layer' hashes to 'sha256:" \
	"$IMAGEC" --store "$WORK/bad" pull --insecure-http "$REGISTRY/docker/bb:1"
[ -e "$WORK/bad/blobs/sha256/$hex" ] && fail "the corrupted layer was stored under its digest"
assert_eq "temporary files after a bad blob" "" "$(find "$WORK/bad/tmp" -type f ! -name '*.lock')"

"$IMAGEC" verify >/dev/null
echo ok
