#!/bin/sh
# --events: every event of the channel, one JSON object a line, with the image's metadata as
# the store has it and the options cvm passed.
set -eu
. tests/cvm/lib.sh

# shellcheck disable=SC2016 # expanded by the workload's shell
cvm_run --events "$WORK/events" --hostname box -e GREETING=hi -w /tmp -u app busybox \
	sh -c 'echo "$GREETING $(hostname) $(pwd) $(id -u) $(wc -c </etc/hostname)"'
assert_status 0
# /etc/hostname is a line: "box\n".
assert_eq stdout "hi box /tmp 1000 4" "$(cat "$WORK/out")"

types=$(jq -r '"\(.type) \(.seq)"' "$WORK/events" | awk '!seen[$0]++ { print $1 }' | tr '\n' ' ')
assert_eq "event types" "hello disks config image mounts started exit timings shutdown " "$types"

"$BUILD/imagec" inspect busybox:latest >"$WORK/inspect.json"
expected=$(jq -c '[.manifestDigest, .configDigest, .diffIDs, .chainID, .cmd, .labels]' \
	"$WORK/inspect.json")
actual=$(jq -c 'select(.type == "image") |
	[.manifest_digest, .config_digest, .diff_ids, .chain_id, .cmd, .labels]' "$WORK/events")
assert_eq "image event" "$expected" "$actual"
assert_eq "image name, as given" '"busybox"' \
	"$(jq -c 'select(.type == "image") | .name' "$WORK/events")"
# shellcheck disable=SC2016 # the workload's command as written
assert_eq "started" \
	'[["sh","-c","echo \"$GREETING $(hostname) $(pwd) $(id -u) $(wc -c </etc/hostname)\""],1000,"/tmp"]' \
	"$(jq -c 'select(.type == "started") | [.argv, .uid, .cwd]' "$WORK/events")"
assert_eq "started, all of argv" '[3,false]' \
	"$(jq -c 'select(.type == "started") | [.argc, .argv_truncated]' "$WORK/events")"
assert_eq "mounts" "[\"layers\",[\"layer\",\"serial 'layer-0'\",true],\
[\"scratch\",\"serial 'scratch'\",false]]" \
	"$(jq -c 'select(.type == "mounts") | [.root_mode, (.mounts[] | [.kind, .disk, .read_only])]' \
		"$WORK/events")"

# A command line longer than a line of the protocol (3000 arguments of 50 bytes): the
# started event still comes, with the first arguments, and a stop treats the workload as
# started (its stop signal, not a killed VM).
arg=$(printf '%050d' 0)
status=0
# shellcheck disable=SC2046 # 3000 words on purpose
"$CVM" run --events "$WORK/long.events" --timeout 20 --stop-timeout 2 busybox \
	sh -c 'sleep 60' $(yes "$arg" | head -n 3000) >"$WORK/out" 2>"$WORK/err" || status=$?
assert_status 143
assert_eq "started, argv cut" '[3003,true,"sh"]' \
	"$(jq -c 'select(.type == "started") | [.argc, .argv_truncated, .argv[0]]' "$WORK/long.events")"
assert_no_temp_dirs
