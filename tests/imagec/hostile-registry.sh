#!/bin/sh
# A registry that misbehaves (tests/imagec/hostile-registry.py): each misbehaviour is a
# clear error naming the object and what was wrong, found at once rather than retried, and
# leaves no partial blob under a digest nor a temporary file behind.
. tests/imagec/lib.sh

busybox_image "$WORK/layout" t

# hostile MODE: start the registry misbehaving as MODE; sets HOSTILE (host:port) and
# HOSTILE_LOG (its requests).
hostile() {
	HOSTILE_LOG="$WORK/hostile-$1.log"
	port_file="$WORK/hostile-$1.port"
	python3 tests/imagec/hostile-registry.py "$WORK/layout" "$1" >"$port_file" \
		2>"$HOSTILE_LOG" &
	REGISTRY_PIDS="$REGISTRY_PIDS $!"
	for _ in $(seq 50); do
		[ -s "$port_file" ] && break
		sleep 0.1
	done
	[ -s "$port_file" ] || fail "hostile registry $1 did not start: $(cat "$HOSTILE_LOG")"
	HOSTILE="127.0.0.1:$(cat "$port_file")"
}

# nothing_left STORE: no blob and no temporary file (lock files aside) in a store.
nothing_left() {
	assert_eq "blobs in $1" 0 "$(blob_count "$1")"
	assert_eq "temporary files in $1" "" "$(find "$1/tmp" -type f ! -name '*.lock')"
}

manifest=$(jq -r '.manifests[0].digest' "$WORK/layout/index.json")
config=$(jq -r .config.digest "$WORK/layout/blobs/sha256/${manifest#sha256:}")
config_size=$(jq -r .config.size "$WORK/layout/blobs/sha256/${manifest#sha256:}")
layer=$(jq -r '.layers[0].digest' "$WORK/layout/blobs/sha256/${manifest#sha256:}")
layer_size=$(jq -r '.layers[0].size' "$WORK/layout/blobs/sha256/${manifest#sha256:}")

# no_partial_layer STORE: the layer is not in STORE (its config may be), and no temporary file
# is left.
no_partial_layer() {
	[ ! -e "$1/blobs/sha256/${layer#sha256:}" ] || fail "a partial layer was stored in $1"
	assert_eq "temporary files in $1" "" "$(find "$1/tmp" -type f ! -name '*.lock')"
}

# A blob without end: refused at the first byte past its descriptor's size, not retried.
hostile endless-layer
assert_fails_with "blob '$layer' is larger than the $layer_size bytes its descriptor says" \
	timeout 20 "$IMAGEC" --store "$WORK/s-endless" pull --insecure-http "$HOSTILE/x:t"
assert_eq "GETs of an endless layer" 1 "$(grep -c "^GET /v2/x/blobs/$layer " "$HOSTILE_LOG")"
no_partial_layer "$WORK/s-endless"
hostile endless-config
assert_fails_with "blob '$config' is larger than the $config_size bytes its descriptor says" \
	timeout 20 "$IMAGEC" --store "$WORK/s-endless-config" pull --insecure-http "$HOSTILE/x:t"
nothing_left "$WORK/s-endless-config"

# A manifest over the cap of a JSON document, a token answer over its cap: said as such,
# asked for once.
hostile long-manifest
assert_fails_with "pull '$HOSTILE/x:t': manifest 't' of 'x' is larger than the limit of 4194304 bytes" \
	"$IMAGEC" --store "$WORK/s-long" pull --insecure-http "$HOSTILE/x:t"
assert_eq "GETs of a long manifest" 1 "$(grep -c '^GET /v2/x/manifests/t ' "$HOSTILE_LOG")"
nothing_left "$WORK/s-long"
# A config larger than a JSON document may be is not fetched.
hostile big-config
assert_fails_with "pull '$HOSTILE/x:t': config '$config' is 5242880 bytes, larger than the limit of 4194304 bytes" \
	"$IMAGEC" --store "$WORK/s-long" pull --insecure-http "$HOSTILE/x:t"
assert_eq "GETs of a config too large" 0 "$(grep -c "^GET /v2/x/blobs/$config " "$HOSTILE_LOG")"
nothing_left "$WORK/s-long"
hostile token-long
assert_fails_with "answer of token server 'http://$HOSTILE/token' is larger than the limit of 1048576 bytes" \
	"$IMAGEC" --store "$WORK/s-long" pull --insecure-http "$HOSTILE/x:t"
assert_eq "GETs of a long token" 1 "$(grep -c '^GET /token' "$HOSTILE_LOG")"

# A token that would add headers (CR LF) or hold other bytes a header cannot carry: refused
# before any request carries it.
hostile token-crlf
assert_fails_with "token server 'http://$HOSTILE/token' gave Bearer credentials with a byte an HTTP header cannot carry (0x0d" \
	"$IMAGEC" --store "$WORK/s-token" pull --insecure-http "$HOSTILE/x:t"
grep -v ' - - -$' "$HOSTILE_LOG" | grep . && fail "a request carried what the token server gave"
nothing_left "$WORK/s-token"
hostile token-escape
assert_fails_with "gave Bearer credentials with a byte an HTTP header cannot carry (0x1b" \
	"$IMAGEC" --store "$WORK/s-token" pull --insecure-http "$HOSTILE/x:t"
# A header with a control character is not taken in (nor printed).
hostile challenge-escape
assert_fails_with "manifest 't' of 'x': the 'WWW-Authenticate' header holds a control character" \
	"$IMAGEC" --store "$WORK/s-token" pull --insecure-http "$HOSTILE/x:t"

# A transfer that breaks off, then a registry that ignores Range: said what, at which byte,
# why; the blob is started over once, then the pull gives up.
hostile cut-no-range
assert_fails_with "blob '$layer' broke off at $((layer_size / 2)) bytes (GET 'http://$HOSTILE/v2/x/blobs/$layer': Transferred a partial file) and the registry did not resume it: asked for the rest, it sent the whole blob, twice" \
	"$IMAGEC" --store "$WORK/s-cut" pull --insecure-http "$HOSTILE/x:t"
assert_eq "GETs of a layer cut short" 4 "$(grep -c "^GET /v2/x/blobs/$layer " "$HOSTILE_LOG")"
no_partial_layer "$WORK/s-cut"
# What a registry says goes to the terminal with its control characters escaped.
hostile error-escape
assert_fails_with "has no manifest 't' of 'x' (404 MANIFEST_UNKNOWN: no \\\\x1b\\[2J such manifest)" \
	"$IMAGEC" --store "$WORK/s-error" pull --insecure-http "$HOSTILE/x:t"
grep -q "$(printf '\033')" "$WORK/err" && fail "an escape character reached stderr"

# A registry that answers a Range with other bytes than those asked for: the same.
hostile cut-bad-range
assert_fails_with "blob '$layer' broke off at $((layer_size / 2)) bytes (GET 'http://$HOSTILE/v2/x/blobs/$layer': Transferred a partial file) and the registry did not resume it: asked for the rest, it sent 'bytes 0-$((layer_size - 1))/$layer_size', twice" \
	"$IMAGEC" --store "$WORK/s-cut" pull --insecure-http "$HOSTILE/x:t"
[ -e "$WORK/s-cut/blobs/sha256/${layer#sha256:}" ] && fail "a partial layer was stored"
echo ok
