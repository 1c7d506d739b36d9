#!/bin/sh
# The other transports: AF_VSOCK (exercised through vsock loopback, with a stand-in host
# inside the guest) and a plain serial port; failed connects do not leak descriptors.
set -eu
. tests/boot/lib.sh

# vsock, chosen by config.json: tether retries until the workload's peer listens on port
# 5000 of the guest itself (CID 1), then sends what it queued; the peer asks for SIGUSR1.
mkdir -p "$WORK/tools"
musl-gcc -static -Os -isystem "$BUILD/sysroot/include" -o "$WORK/tools/vsock-peer" \
	tests/boot/data/vsock-peer.c
mke2fs -q -t ext4 -d "$WORK/tools" -F "$WORK/tools.ext4" 8M >/dev/null
# shellcheck disable=SC2016 # $(...) and $! are for the workload's shell
attach_busybox '["sh", "-c", "a=$(ls /proc/1/fd | wc -l); sleep 3; b=$(ls /proc/1/fd | wc -l); echo pid1-fds $a $b; trap \"echo got-usr1; exit 9\" USR1; /tools/vsock-peer 5000 & while :; do sleep 0.1; done"]' \
	'"channel": "vsock:1:5000", "volumes": [{"disk": {"serial": "tools"}, "target": "/tools", "read_only": true}]'
attach_disk "$WORK/tools.ext4" tools ro
boot_kernel 'tether.timeout=20'
assert_clean_exit 9
assert_console 'tether: host channel: vsock:1:5000, as config.json says'
assert_console '^got-usr1$'
assert_console 'tether: host: signal SIGUSR1'
for type in hello disks config image mounts started exit; do
	assert_console "^vsock-got: \\{\"type\":\"$type\",\"seq\":"
done
assert_console '^vsock-got: \{"type":"hello","seq":1,.*"transport":"vsock:1:5000"\}$'
assert_console '^vsock-got: \{"type":"exit",.*"status":9,'
# About six failed connects while the workload slept: PID 1 holds as many descriptors after
# them as before.
fds=$(sed -n 's/^pid1-fds //p' "$console")
if [ -z "$fds" ] || [ "${fds% *}" != "${fds#* }" ]; then
	fail "PID 1's descriptors before and after: '$fds'"
fi

# A serial port (ttyS1), chosen on the kernel command line.
detach_disks
channel_args="-chardev socket,id=serial1,path=$WORK/control.sock,server=on,wait=off -serial chardev:serial1"
attach_busybox '["sh", "-c", "echo over-serial; exit 12"]'
start_host
boot_kernel 'tether.timeout=20 tether.channel=serial'
wait_host
assert_clean_exit 12
assert_event_types 'hello disks config image mounts started exit timings shutdown'
assert_event hello '.transport' '"serial:ttyS1"'
assert_event exit '.status' 12
