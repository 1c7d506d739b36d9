#!/bin/sh
# A registry with basic auth (htpasswd): pulls with --creds and --creds-file work; no
# credentials and wrong credentials are clear errors.
. tests/imagec/lib.sh

busybox_image "$WORK/layout" latest
htpasswd -Bbn alice s3cret >"$WORK/htpasswd"
start_registry basic "auth:
  htpasswd:
    realm: test-realm
    path: $WORK/htpasswd"
skopeo copy -q --dest-tls-verify=false --dest-creds alice:s3cret "oci:$WORK/layout:latest" \
	"docker://$REGISTRY/private/bb:1"

assert_fails_with "registry '$REGISTRY' wants credentials (--creds)" \
	"$IMAGEC" pull --insecure-http "$REGISTRY/private/bb:1"
assert_fails_with "registry '$REGISTRY' refused manifest '1' of 'private/bb' (401 UNAUTHORIZED" \
	"$IMAGEC" pull --insecure-http --creds alice:wrong "$REGISTRY/private/bb:1"
assert_fails_with "credentials must be USER:PASS" \
	"$IMAGEC" pull --insecure-http --creds alice "$REGISTRY/private/bb:1"
# Long credentials are sent (and refused: they are wrong), not taken for a lack of memory.
assert_fails_with "registry '$REGISTRY' refused manifest '1' of 'private/bb' (401 UNAUTHORIZED" \
	"$IMAGEC" pull --insecure-http --creds "alice:$(printf '%0900d' 0)" "$REGISTRY/private/bb:1"
# Control characters (RFC 7617 allows none) are refused before anything is sent.
assert_fails_with "pull '$REGISTRY/private/bb:1': the credentials hold a control character" \
	"$IMAGEC" pull --insecure-http --creds "$(printf 'alice:s3\033cret')" "$REGISTRY/private/bb:1"

id=$("$IMAGEC" pull --insecure-http --creds alice:s3cret "$REGISTRY/private/bb:1")
printf 'alice:s3cret\n' >"$WORK/creds"
assert_eq "with --creds-file" "$id" \
	"$("$IMAGEC" --store "$WORK/second" pull --insecure-http --creds-file "$WORK/creds" "$REGISTRY/private/bb:1")"
"$IMAGEC" --store "$WORK/second" verify >/dev/null
echo ok
