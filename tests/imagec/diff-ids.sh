#!/bin/sh
# A pull checks what every layer unpacks to against the config's diffID while the layer
# downloads (and again from the store when the layer was there already): a config that lies
# and a layer that does not decompress are refused, naming the layer, and nothing is listed.
# Progress: one JSON line per change of state with --json, a bar per layer on a terminal.
. tests/imagec/lib.sh

busybox_image "$WORK/layout" good
start_registry main

# retarget LAYOUT TAG JQ-FILTER: rewrite the image's config with the filter and point its
# manifest and index entry at the new config.
retarget() {
	blobs="$WORK/$1/blobs/sha256"
	manifest=$(jq -r --arg t "$2" \
		'.manifests[] | select(.annotations."org.opencontainers.image.ref.name" == $t) | .digest' \
		"$WORK/$1/index.json" | cut -d: -f2)
	config=$(jq -r .config.digest "$blobs/$manifest" | cut -d: -f2)
	jq -c "$3" "$blobs/$config" >"$WORK/config.new"
	new_config=$(sha256sum <"$WORK/config.new" | cut -d' ' -f1)
	mv "$WORK/config.new" "$blobs/$new_config"
	jq -c --arg d "sha256:$new_config" --argjson s "$(stat -c %s "$blobs/$new_config")" \
		'.config.digest = $d | .config.size = $s' "$blobs/$manifest" >"$WORK/manifest.new"
	new_manifest=$(sha256sum <"$WORK/manifest.new" | cut -d' ' -f1)
	mv "$WORK/manifest.new" "$blobs/$new_manifest"
	jq -c --arg t "$2" --arg d "sha256:$new_manifest" \
		--argjson s "$(stat -c %s "$blobs/$new_manifest")" \
		'(.manifests[] | select(.annotations."org.opencontainers.image.ref.name" == $t)) |=
			(.digest = $d | .size = $s)' "$WORK/$1/index.json" >"$WORK/index.new"
	mv "$WORK/index.new" "$WORK/$1/index.json"
}

# skopeo may compress a layer anew as it pushes: layers are named as the registry has them.
layer='sha256:[0-9a-f]\{64\}'
lie=sha256:$(printf 'not this layer' | sha256sum | cut -d' ' -f1)

# A config whose diffID is not what the layer unpacks to: refused while downloading.
umoci tag --image "$WORK/layout:good" liar
retarget layout liar ".rootfs.diff_ids = [\"$lie\"]"
push layout:liar liar:1
assert_fails_with "layer '$layer' unpacks to diffID 'sha256:.*', the config says '$lie'" \
	"$IMAGEC" --store "$WORK/s1" pull --insecure-http "$REGISTRY/liar:1"
assert_eq "images after a lying config" '{"schemaVersion":2,"manifests":[]}' \
	"$(cat "$WORK/s1/index.json")"

# The same, with the layer already in the store from a good image: checked from the store.
push layout:good good:1
"$IMAGEC" --store "$WORK/s2" pull --insecure-http "$REGISTRY/good:1" >/dev/null
assert_fails_with "layer '$layer' unpacks to diffID 'sha256:.*', the config says '$lie'" \
	"$IMAGEC" --store "$WORK/s2" pull --insecure-http "$REGISTRY/liar:1"
assert_eq "images after a lying config over a stored layer" 1 \
	"$(jq '.manifests | length' "$WORK/s2/index.json")"

# A layer blob that is not gzip data although its media type says so: the decompression
# error names the layer.
mkdir -p "$WORK/broken"
cp -r "$WORK/layout/." "$WORK/broken/"
printf '\037\213\010\000garbage that is not deflate data' >"$WORK/garbage"
garbage=$(sha256sum <"$WORK/garbage" | cut -d' ' -f1)
cp "$WORK/garbage" "$WORK/broken/blobs/sha256/$garbage"
manifest=$(jq -r '.manifests[0].digest' "$WORK/broken/index.json" | cut -d: -f2)
jq -c --arg d "sha256:$garbage" --argjson s "$(stat -c %s "$WORK/garbage")" \
	'.layers[0].digest = $d | .layers[0].size = $s' "$WORK/broken/blobs/sha256/$manifest" \
	>"$WORK/manifest.new"
new_manifest=$(sha256sum <"$WORK/manifest.new" | cut -d' ' -f1)
mv "$WORK/manifest.new" "$WORK/broken/blobs/sha256/$new_manifest"
jq -c --arg d "sha256:$new_manifest" --argjson s "$(stat -c %s "$WORK/broken/blobs/sha256/$new_manifest")" \
	'.manifests[0].digest = $d | .manifests[0].size = $s' "$WORK/broken/index.json" >"$WORK/index.new"
mv "$WORK/index.new" "$WORK/broken/index.json"
push broken:good broken:1
assert_fails_with "layer 'sha256:$garbage': cannot decompress: gzip decompression failed" \
	"$IMAGEC" --store "$WORK/s3" pull --insecure-http "$REGISTRY/broken:1"
assert_eq "images after a broken layer" '{"schemaVersion":2,"manifests":[]}' \
	"$(cat "$WORK/s3/index.json")"

# --json: waiting, downloading, done for the layer, with its size, then the image.
"$IMAGEC" --store "$WORK/s4" pull --insecure-http --json "$REGISTRY/good:1" >"$WORK/progress"
layer=$("$IMAGEC" --store "$WORK/s4" inspect "$REGISTRY/good:1" | jq -r '.layers[0].digest')
size=$("$IMAGEC" --store "$WORK/s4" inspect "$REGISTRY/good:1" | jq -r '.layers[0].size')
assert_eq "JSON progress" \
	"waiting $size 0 downloading $size 0 done $size $size pulled" \
	"$(jq -r 'if .event == "blob" then "\(.status) \(.size) \(.bytes)" else .event end' \
		"$WORK/progress" | grep -v "^downloading $size [1-9]" | tr '\n' ' ' | sed 's/ $//')"
jq -se --arg l "$layer" 'map(select(.event == "blob")) | all(.digest == $l)' "$WORK/progress" \
	>/dev/null ||
	fail "progress names another blob: $(cat "$WORK/progress")"
# A second pull finds the layer present (checked against its diffID from the store).
"$IMAGEC" --store "$WORK/s4" pull --insecure-http --json "$REGISTRY/good:1" >"$WORK/progress"
assert_eq "JSON progress of a stored layer" "waiting verifying present pulled" \
	"$(jq -r 'if .event == "blob" then .status else .event end' "$WORK/progress" |
		tr '\n' ' ' | sed 's/ $//')"

# On a terminal (script(1) gives one, 80 columns): the layer's bar, full, on stderr, no
# line wider than the terminal, and the ID alone on stdout.
script -qec "stty cols 80; '$IMAGEC' --store '$WORK/s5' pull --insecure-http '$REGISTRY/good:1' \
	>'$WORK/id'" "$WORK/bars" >/dev/null
tr '\r' '\n' <"$WORK/bars" | sed 's/\x1b\[[0-9]*[AK]//g' | grep '^[0-9a-f]\{12\} \[' >"$WORK/bar-lines"
tail -n 1 "$WORK/bar-lines" | grep -q "^$(echo "$layer" | cut -c8-19) \[=*\] .* done *$" ||
	fail "no full bar for the layer: $(cat "$WORK/bar-lines")"
[ "$(tail -n 1 "$WORK/bar-lines" | tr -cd = | wc -c)" = 24 ] || fail "bar not full: $(cat "$WORK/bar-lines")"
awk 'length($0) >= 80 { exit 1 }' "$WORK/bar-lines" || fail "a line as wide as the terminal"
assert_eq "ID on stdout" "$(cat "$WORK/id")" "$(jq -r .id "$WORK/progress" | tail -n 1)"

# More layers (8) than a terminal of 4 rows has room for: the display keeps to 3 lines,
# redrawn in place (nothing scrolls into the scrollback), the last counting the layers it
# does not show.
umoci new --image "$WORK/layout:many"
for i in 1 2 3 4 5 6 7 8; do
	mkdir -p "$WORK/layer-$i"
	echo "$i" >"$WORK/layer-$i/file-$i"
	tar -C "$WORK/layer-$i" -cf "$WORK/layer-$i.tar" "file-$i"
	umoci raw add-layer --image "$WORK/layout:many" "$WORK/layer-$i.tar"
done
push layout:many many:1
# What script(1) prints is what the terminal was sent (its file has lines of its own).
script -qec "stty rows 4 cols 80; '$IMAGEC' --store '$WORK/s6' pull --insecure-http '$REGISTRY/many:1' \
	>'$WORK/id'" /dev/null >"$WORK/many-bars"
python3 tests/imagec/screen.py 4 "$WORK/many-bars" >"$WORK/screen"
"$IMAGEC" --store "$WORK/s6" inspect "$REGISTRY/many:1" >"$WORK/many.json"
first=$(jq -r '.layers[0].digest' "$WORK/many.json" | cut -c8-19)
second=$(jq -r '.layers[1].digest' "$WORK/many.json" | cut -c8-19)
sed -n 1p "$WORK/screen" | grep -qx -- "--" || fail "bars in the scrollback: $(cat "$WORK/screen")"
sed -n 2p "$WORK/screen" | grep -q "^$first \[=\{24\}\] .* done$" ||
	fail "first line: $(cat "$WORK/screen")"
sed -n 3p "$WORK/screen" | grep -q "^$second \[=\{24\}\] .* done$" ||
	fail "second line: $(cat "$WORK/screen")"
assert_eq "the line for the layers not shown" "+ 6 more layers: 6 done" "$(sed -n 4p "$WORK/screen")"
assert_eq "the last row" "" "$(sed -n 5p "$WORK/screen")"
