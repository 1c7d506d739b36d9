#!/bin/sh
# Helpers for the imagec tests: images built with umoci from Debian's busybox-static, a
# docker-registry on 127.0.0.1, and listings to compare trees. Sourced by each test; WORK is
# the test's own directory (tests/run makes it) and BUILD the build directory.
# shellcheck disable=SC2034 # variables used by the tests that source this file
set -eu
: "${BUILD:?}" "${WORK:?}"
# Absolute: the helpers change directory.
WORK=$(cd "$WORK" && pwd)
BUILD=$(cd "$BUILD" && pwd)

# The imagec-asan suite runs these tests against build/imagec-asan.
IMAGEC="$BUILD/${IMAGEC_BINARY:-imagec}"
STORE="$WORK/store"
export TETHER_STORE="$STORE"
BUSYBOX=/bin/busybox
APPLETS="sh ls cat echo true false mkdir rm ln"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# assert_fails_with PATTERN COMMAND...: the command fails and its stderr matches PATTERN.
assert_fails_with() {
	pattern=$1
	shift
	if "$@" >"$WORK/out" 2>"$WORK/err"; then
		fail "'$*' succeeded, expected an error matching '$pattern'"
	fi
	grep -q -- "$pattern" "$WORK/err" || fail "'$*' said '$(cat "$WORK/err")', expected '$pattern'"
}

# blob_count STORE: the number of blobs in a store.
blob_count() {
	find "$1/blobs/sha256" -type f | wc -l
}

# A rootfs with busybox and its applet links at DIR.
busybox_rootfs() {
	mkdir -p "$1/bin" "$1/etc"
	cp "$BUSYBOX" "$1/bin/busybox"
	for applet in $APPLETS; do
		ln -sf busybox "$1/bin/$applet"
	done
	echo "busybox image" >"$1/etc/issue"
}

# busybox_image LAYOUT TAG: a one-layer busybox image with a command and environment.
busybox_image() {
	layout=$1
	[ -d "$layout" ] || umoci init --layout "$layout"
	umoci new --image "$layout:$2"
	umoci unpack --image "$layout:$2" "$WORK/bundle-$2"
	busybox_rootfs "$WORK/bundle-$2/rootfs"
	umoci repack --image "$layout:$2" "$WORK/bundle-$2"
	umoci config --image "$layout:$2" --config.cmd sh --config.cmd -c \
		--config.cmd 'echo hello' --config.env GREETING=hello --config.workingdir /etc \
		--config.user 1000:1000 --config.label purpose=test
	rm -rf "$WORK/bundle-$2"
}

REGISTRY_PIDS=""
stop_registries() {
	for pid in $REGISTRY_PIDS; do
		kill "$pid" 2>/dev/null || true
	done
}
trap stop_registries EXIT

# start_registry NAME [EXTRA-YAML]: a docker-registry on 127.0.0.1 with its storage in WORK;
# sets REGISTRY (host:port).
start_registry() {
	dir="$WORK/registry-$1"
	mkdir -p "$dir/data"
	for _ in 1 2 3 4 5; do
		# A random port; a taken one makes the registry exit at once, and we try another.
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		start_registry_on "$1" "$port" "${2:-}" && return 0
	done
	fail "registry $1 did not start: $(cat "$dir/log")"
}

start_registry_on() {
	dir="$WORK/registry-$1"
	port=$2
	cat >"$dir/config.yml" <<-YAML
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $dir/data
		  delete:
		    enabled: true
		http:
		  addr: 127.0.0.1:$port
		$3
	YAML
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	pid=$!
	REGISTRY_PIDS="$REGISTRY_PIDS $pid"
	REGISTRY="127.0.0.1:$port"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		curl -s -o /dev/null "http://$REGISTRY/v2/" && return 0
		sleep 0.1
	done
	return 1
}

# push LAYOUT:TAG REPO:TAG [SKOPEO-OPTIONS]: copy WORK/LAYOUT:TAG to the registry with skopeo.
push() {
	src=$1
	dst=$2
	shift 2
	skopeo copy -q --dest-tls-verify=false "$@" "oci:$WORK/$src" "docker://$REGISTRY/$dst"
}

# tree_listing DIR: one line per path: type, mode, owner, links, size, link target, content hash.
tree_listing() {
	(cd "$1" && find . -mindepth 1 -printf '%P %y %m %U:%G %n %s %l\n' | LC_ALL=C sort |
		while read -r path rest; do
			sum=-
			[ -f "$path" ] && [ ! -L "$path" ] && sum=$(sha256sum <"$path" | cut -c1-16)
			echo "$path $rest $sum"
		done)
}

# squashfs_listing FILE: the same listing for a squashfs image, unpacked with its owners and
# hardlinks (sqfs2tar keeps them, rdsquashfs --unpack-path does not).
squashfs_listing() {
	out="$WORK/unpacked-$(basename "$1")"
	rm -rf "$out"
	mkdir -p "$out"
	sqfs2tar "$1" | tar -C "$out" -x --numeric-owner -p
	tree_listing "$out"
}
