#!/bin/sh
# Inside the container no path reaches the channel's devices, and nothing the workload does
# (as root) writes to the channel: no device node, no inherited descriptor, /proc/1/fd and a
# node made with mknod all refused. cvm is the host, so all four ports are there.
set -eu
. tests/boot/lib.sh

# The workload tries every way in and prints what it got; a write that got through would
# also show as a bad line or an extra request at the host.
cat >"$WORK/probe.sh" <<'PROBE'
ls /dev | grep -c vport | sed 's/^/vport-nodes=/'
ls /proc/self/fd | tr '\n' ' ' | sed 's/^/own-fds=/'; echo
for fd in /proc/1/fd/*; do
	case $(readlink "$fd") in
	/dev/vport*)
		if echo '{"type":"stop","seq":9,"ts_us":0}' >"$fd" 2>/dev/null; then
			echo "reopen-allowed $fd"
		else
			echo reopen-refused
		fi
		;;
	esac
done
for port in /sys/class/virtio-ports/*; do
	mknod /dev/probe c "$(cut -d: -f1 "$port/dev")" "$(cut -d: -f2 "$port/dev")"
	if echo '{"type":"stop","seq":9,"ts_us":0}' >/dev/probe 2>/dev/null; then
		echo "mknod-allowed $(cat "$port/name")"
	else
		echo "mknod-refused $(cat "$port/name")"
	fi
	rm /dev/probe
done
exit 0
PROBE
mkdir -p "$WORK/probe"
cp "$WORK/probe.sh" "$WORK/probe/"
mke2fs -q -t ext4 -d "$WORK/probe" -F "$WORK/probe.ext4" 8M >/dev/null

status=0
TMPDIR="$WORK" "$BUILD/cvm" run --kernel "$BUILD/vmlinuz" \
	--initrd "${BUILD_INITRAMFS:-$BUILD/initramfs.cpio.gz}" --console "$console.raw" \
	--events "$events" --rootfs "$(copy_disk "$IMAGE/rootfs.ext4" root.ext4)" \
	-v "$(cd "$WORK" && pwd)/probe.ext4:/probe:ro" sh /probe/probe.sh \
	>"$WORK/stdout.txt" 2>"$WORK/stderr.txt" || status=$?
strip_console
[ "$status" = 0 ] || fail "cvm exited with status $status: $(cat "$WORK/stderr.txt")"
out="$WORK/stdout.txt"
grep -qx 'vport-nodes=0' "$out" || fail "device nodes of ports in /dev: $(cat "$out")"
grep -qx 'own-fds=0 1 2 3 ' "$out" || fail "the workload holds more than stdio: $(cat "$out")"
[ "$(grep -c '^reopen-refused$' "$out")" -ge 1 ] || fail "no port seen through /proc/1/fd: $(cat "$out")"
grep -q 'allowed' "$out" && fail "a way in: $(grep allowed "$out")"
grep -qx 'mknod-refused org.tether.control' "$out" || fail "mknod probe: $(cat "$out")"
for port in stdin stdout stderr; do
	grep -qx "mknod-refused org.tether.$port" "$out" || fail "mknod probe: $(cat "$out")"
done
assert_event exit '[.status, .stop_requested]' '[0,false]'
