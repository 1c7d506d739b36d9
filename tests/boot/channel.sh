#!/bin/sh
# The host channel: every event, in order, with the values the test put in.
set -eu
. tests/boot/lib.sh

layer0=$(copy_disk "$IMAGE/layer0.sqfs" layer0.sqfs)
layer1=$(copy_disk "$IMAGE/layer1.sqfs" layer1.sqfs)
scratch=$(volume_disk scratch.ext4 64M)
data=$(volume_disk data.ext4 32M)
diff0=sha256:$(printf 'layer zero' | sha256sum | cut -d' ' -f1)
diff1=sha256:$(printf 'layer one' | sha256sum | cut -d' ' -f1)
chain1=sha256:$(printf '%s %s' "$diff0" "$diff1" | sha256sum | cut -d' ' -f1)
manifest=sha256:$(printf 'manifest' | sha256sum | cut -d' ' -f1)
image_config=sha256:$(printf 'config' | sha256sum | cut -d' ' -f1)

config_disk "{\"version\": 1,
	\"root\": {\"mode\": \"layers\", \"layers\": [{\"serial\": \"layer0\"}, {\"serial\": \"layer1\"}],
		\"scratch\": {\"serial\": \"scratch\"}},
	\"volumes\": [{\"disk\": {\"serial\": \"vol-data\"}, \"target\": \"/data\"}],
	\"image\": {\"name\": \"busybox:test\", \"manifest_digest\": \"$manifest\",
		\"config_digest\": \"$image_config\", \"diff_ids\": [\"$diff0\", \"$diff1\"],
		\"architecture\": \"amd64\", \"os\": \"linux\", \"created\": \"2026-01-02T03:04:05Z\",
		\"config\": {\"Cmd\": [\"sh\", \"-c\", \"echo hello-from-cmd; exit 42\"],
			\"Env\": [\"FOO=bar\"], \"WorkingDir\": \"/tmp\", \"User\": \"0\",
			\"Labels\": {\"org.example.a\": \"b\"}}}}"
attach_disk "$layer0" layer0 ro
attach_disk "$layer1" layer1 ro
attach_disk "$scratch" scratch
attach_disk "$data" vol-data
channel_ports control
start_host
boot_kernel 'tether.timeout=20'
wait_host

assert_clean_exit 42
assert_console '^hello-from-cmd$'
assert_event_types 'hello disks config image mounts started exit timings shutdown'

assert_event hello '[.protocol, .tether, .kernel, .transport]' \
	"[1,\"$VERSION\",\"$KERNEL_RELEASE\",\"virtio-serial:org.tether.control\"]"
assert_event hello '.seq' 1
assert_event disks '[.devices[].serial] | sort' '["config","layer0","layer1","scratch","vol-data"]'
assert_event disks '.devices[] | select(.serial == "layer0") | [.fstype, .size_bytes]' \
	"[\"squashfs\",$(stat -c %s "$layer0")]"
assert_event disks '.devices[] | select(.serial == "config") | .label' '"TETHERCFG"'
assert_event config '[.accepted, .size_bytes, .digest, .root_mode, .volumes]' \
	"[true,$(stat -c %s "$WORK/config.json"),\"sha256:$(sha256sum <"$WORK/config.json" | cut -d' ' -f1)\",\"layers\",1]"
assert_event image '[.name, .manifest_digest, .config_digest, .diff_ids, .chain_id]' \
	"[\"busybox:test\",\"$manifest\",\"$image_config\",[\"$diff0\",\"$diff1\"],\"$chain1\"]"
assert_event image '[.entrypoint, .cmd, .env, .working_dir, .user, .labels]' \
	'[null,["sh","-c","echo hello-from-cmd; exit 42"],["FOO=bar"],"/tmp","0",{"org.example.a":"b"}]'
assert_event image '[.architecture, .os, .created]' '["amd64","linux","2026-01-02T03:04:05Z"]'
assert_event mounts '.root_mode' '"layers"'
assert_event mounts '[.mounts[] | [.kind, .disk, .target, .read_only]]' \
	"[[\"layer\",\"serial 'layer0'\",\"/run/tether/layers/0\",true],[\"layer\",\"serial 'layer1'\",\"/run/tether/layers/1\",true],[\"scratch\",\"serial 'scratch'\",\"/run/tether/scratch\",false],[\"volume\",\"serial 'vol-data'\",\"/data\",false]]"
assert_event started '[.argv, .uid, .cwd]' '[["sh","-c","echo hello-from-cmd; exit 42"],0,"/tmp"]'
assert_event started '.pid > 1' true
assert_event exit '[.status, .code, .signal, .stop_requested, .stdout_bytes]' '[42,42,null,false,null]'
assert_event timings '[.phases[].name]' \
	'["early","cmdline","modules","channel","config","disks","root","volumes","view","workload"]'
assert_event timings '.start_to_exec_us > 0 and .start_to_exec_us < .total_us' true
assert_event shutdown '[.exit_status, .failed_phase, .events_dropped, .unclean_unmounts]' \
	'[42,null,0,0]'
assert_event shutdown '.peak_memory_kib > 0' true
# Every event once, numbered from 1 without a gap, each later than the one before.
[ "$(jq -s '[.[].seq] | unique | . == [range(1; length + 1)]' "$events")" = true ] ||
	fail "sequence numbers are not 1..N: $(jq -c .seq "$events" | tr '\n' ' ')"
[ "$(jq -s '[.[].ts_us] | . == sort' "$events")" = true ] || fail "timestamps go back"
