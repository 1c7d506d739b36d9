#!/bin/sh
# A registry with token authentication (a bearer challenge, JWTs from a token server on
# 127.0.0.1): imagec gets a token with the user's credentials and pulls; wrong credentials are
# a clear error.
. tests/imagec/lib.sh

TOKEN_SERVER="$BUILD/host/token-server"
[ -x "$TOKEN_SERVER" ] || fail "$TOKEN_SERVER is not built (make $TOKEN_SERVER)"

busybox_image "$WORK/layout" latest
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=token-test \
	-keyout "$WORK/token.key" -out "$WORK/token.crt" 2>/dev/null
"$TOKEN_SERVER" "$WORK/token.key" "$WORK/token.crt" test-issuer bob:hunter2 \
	>"$WORK/token-port" 2>"$WORK/token-log" &
REGISTRY_PIDS="$REGISTRY_PIDS $!"
for _ in $(seq 50); do
	[ -s "$WORK/token-port" ] && break
	sleep 0.1
done
token_port=$(cat "$WORK/token-port")
[ -n "$token_port" ] || fail "token server did not start: $(cat "$WORK/token-log")"

start_registry token "auth:
  token:
    realm: http://127.0.0.1:$token_port/token
    service: test-registry
    issuer: test-issuer
    rootcertbundle: $WORK/token.crt"
skopeo copy -q --dest-tls-verify=false --dest-creds bob:hunter2 "oci:$WORK/layout:latest" \
	"docker://$REGISTRY/secure/bb:1"

id=$("$IMAGEC" pull --insecure-http --creds bob:hunter2 "$REGISTRY/secure/bb:1")
assert_eq "pulled" "$id" "$("$IMAGEC" inspect "$REGISTRY/secure/bb:1" | sed -n 's/^  "id": "\(.*\)",/\1/p')"
"$IMAGEC" verify >/dev/null

assert_fails_with "token server 'http://127.0.0.1:$token_port/token' answered 401: wrong credentials" \
	"$IMAGEC" --store "$WORK/other" pull --insecure-http --creds bob:nope "$REGISTRY/secure/bb:1"
# Without credentials the token server refuses too (it grants nothing anonymously).
assert_fails_with "answered 401: wrong credentials" \
	"$IMAGEC" --store "$WORK/other" pull --insecure-http "$REGISTRY/secure/bb:1"
echo ok
