#!/bin/sh
# A real Debian image end to end: a debootstrap minbase tree of bookworm made into an OCI
# image with umoci (scripts/mkimage-debian), pushed by skopeo to a docker-registry on
# 127.0.0.1, pulled by imagec, and run by cvm: dpkg, apt-get and perl work, a user from its
# passwd runs a command, and a named volume keeps data across runs.
set -eu
. tests/cvm/lib.sh

scripts/mkimage-debian "$BUILD/images/debian-oci"

start_registry
skopeo copy -q --dest-tls-verify=false "oci:$BUILD/images/debian-oci:bookworm" \
	"docker://127.0.0.1:$port/debian:bookworm"
"$BUILD/imagec" pull --insecure-http "127.0.0.1:$port/debian:bookworm" >/dev/null
"$BUILD/imagec" tag "127.0.0.1:$port/debian:bookworm" debian:bookworm

cvm_run debian:bookworm dpkg -l
assert_status 0
grep -q '^ii  dpkg ' "$WORK/out" || fail "dpkg -l does not list dpkg: $(head "$WORK/out")"
grep -q '^ii  apt ' "$WORK/out" || fail "dpkg -l does not list apt"
packages=$(grep -c '^ii ' "$WORK/out")
[ "$packages" -ge 80 ] || fail "dpkg -l lists $packages packages"

cvm_run debian:bookworm apt-get --version
assert_status 0
grep -q '^apt [0-9]' "$WORK/out" || fail "apt-get --version: $(head -n 2 "$WORK/out")"

# shellcheck disable=SC2016 # for perl
cvm_run debian:bookworm perl -e 'print join(",", map { $_ * 7 } 1 .. 3), "\n"'
assert_status 0
assert_eq "perl" "7,14,21" "$(cat "$WORK/out")"

# shellcheck disable=SC2016 # for the workload's shell
cvm_run -u app debian:bookworm sh -c 'echo "$(id -un) $(id -u) $HOME"'
assert_status 0
assert_eq "the user from the image's passwd" "app 1000 /home/app" "$(cat "$WORK/out")"

cvm_run -v debdata:/srv/data debian:bookworm sh -c 'echo kept > /srv/data/f'
assert_status 0
cvm_run -v debdata:/srv/data debian:bookworm cat /srv/data/f
assert_status 0
assert_eq "the named volume's data" kept "$(cat "$WORK/out")"
assert_no_temp_dirs
