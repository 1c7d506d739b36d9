# shellcheck shell=sh
# Helpers for the cvm tests: the default image (scripts/mkimage-default) imported into a
# store of the test's own, and `cvm run` with its status, stdout and stderr kept. BUILD and
# WORK come from tests/run.
# shellcheck disable=SC2034 # variables used by the tests that source this file
set -eu
: "${BUILD:?}" "${WORK:?}"
BUILD=$(cd "$BUILD" && pwd)
WORK=$(cd "$WORK" && pwd)
CVM="$BUILD/cvm"
export TETHER_STORE="$WORK/store"
# cvm's temporary directories land here, where the tests can see them.
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

scripts/mkimage-default "$BUILD/images/default"
"$BUILD/imagec" import "oci:$BUILD/images/default:latest" --tag busybox:latest >/dev/null

# cvm_run ARGS...: cvm run ARGS; sets status, and keeps stdout and stderr in $WORK/out and
# $WORK/err.
cvm_run() {
	status=0
	"$CVM" run "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || status=$?
}

# assert_status N: the last cvm_run exited N.
assert_status() {
	[ "$status" = "$1" ] ||
		fail "cvm exited with status $status, expected $1; stderr: $(cat "$WORK/err")"
}

# assert_no_temp_dirs: every cvm removed its temporary directory.
assert_no_temp_dirs() {
	left=$(find "$TMPDIR" -mindepth 1 -maxdepth 1)
	[ -z "$left" ] || fail "temporary files left: $left"
}

# wait_started EVENTS-FILE: the workload whose cvm writes EVENTS-FILE has started (60 s at most).
wait_started() {
	for _ in $(seq 600); do
		grep -q '"type":"started"' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "the workload did not start in 60 s"
}

# start_registry: a docker-registry on 127.0.0.1 with its storage in WORK/registry, stopped
# by its PID when the test exits; sets port. A port that is taken makes the registry exit at
# once, and another is tried.
start_registry() {
	mkdir -p "$WORK/registry"
	registry=
	trap '[ -z "$registry" ] || kill "$registry" 2>/dev/null || true' EXIT
	for _ in 1 2 3 4 5; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
			"$WORK/registry" "$port" >"$WORK/registry.yml"
		docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
		registry=$!
		for _ in $(seq 50); do
			kill -0 "$registry" 2>/dev/null || break
			curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && return 0
			sleep 0.1
		done
		kill "$registry" 2>/dev/null || true
		registry=
	done
	fail "the registry did not start: $(cat "$WORK/registry.log")"
}
