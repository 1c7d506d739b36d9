#!/bin/sh
# Volumes: data written in one boot is read back byte for byte in the next; disks are matched
# by serial whatever their order; targets under image symlinks land inside the root; '/' is
# refused.
set -eu
. tests/boot/lib.sh

data=$(volume_disk data.ext4 32M)
logs=$(volume_disk logs.ext4 16M)
volumes='"volumes": [{"disk": {"serial": "vol-data"}, "target": "/data"},
	{"disk": {"serial": "vol-logs"}, "target": "/var/log/app"}]'

# Boot 1: random bytes to one volume, a marker to the other; data first, logs second.
attach_busybox '["sh", "-c", "head -c 1048576 /dev/urandom > /data/blob && sha256sum /data/blob && echo logs > /var/log/app/marker"]' "$volumes"
attach_disk "$data" vol-data
attach_disk "$logs" vol-logs
boot_kernel 'tether.timeout=20'
assert_clean_exit 0
written=$(sed -n 's|^\([0-9a-f]\{64\}\)  /data/blob$|\1|p' "$console")
[ -n "$written" ] || fail "boot 1 printed no checksum"

# Boot 2: the disks in the opposite order; each still lands at its own target.
attach_busybox '["sh", "-c", "sha256sum /data/blob; cat /var/log/app/marker; ls /data"]' "$volumes"
attach_disk "$logs" vol-logs
attach_disk "$data" vol-data
boot_kernel 'tether.timeout=20'
assert_console "^$written  /data/blob$"
assert_console '^logs$'
assert_clean_exit 0

# Image symlinks: /var/run -> /run (absolute) and /var/lib -> ../x (relative). The volumes
# land at /run/v and /x/v inside the root; nothing is written outside it.
attach_busybox '["sh", "-c", "echo run > /var/run/v/f; echo lib > /var/lib/v/f; cat /run/v/f /x/v/f; grep -E \" /(run|x)/v \" /proc/mounts | cut -d \" \" -f 2 | sed s/^/mounted-at=/"]' \
	'"volumes": [{"disk": {"serial": "vol-run"}, "target": "/var/run/v"},
		{"disk": {"serial": "vol-lib"}, "target": "/var/lib/v"}]'
attach_disk "$data" vol-run
attach_disk "$logs" vol-lib
boot_kernel 'tether.timeout=20'
assert_console '^run$'
assert_console '^lib$'
assert_console '^mounted-at=/run/v$'
assert_console '^mounted-at=/x/v$'
assert_clean_exit 0
debugfs -R 'cat /f' "$data" 2>/dev/null | grep -qx run || fail "the /var/run volume did not get the write"
debugfs -R 'cat /f' "$logs" 2>/dev/null | grep -qx lib || fail "the /var/lib volume did not get the write"

# Two targets that the image's symlink makes one place (/var/run/v is /run/v): the second
# would hide the first, so the boot stops, naming both.
attach_busybox '["true"]' \
	'"volumes": [{"disk": {"serial": "vol-run"}, "target": "/run/v"},
		{"disk": {"serial": "vol-lib"}, "target": "/var/run/v"}]'
attach_disk "$data" vol-run
attach_disk "$logs" vol-lib
boot_kernel 'tether.timeout=20'
assert_console "tether: volume targets '/run/v' and '/var/run/v' are the same place inside the root \('/run/v'\)"
refute_console 'tether: started'
assert_clean_exit 125

# '/' and anything under /proc, /sys or /dev is refused, also when reached through '..'.
for target in / /data/.. /proc /dev/x; do
	attach_busybox '["true"]' "\"volumes\": [{\"disk\": {\"serial\": \"vol-data\"}, \"target\": \"$target\"}]"
	attach_disk "$data" vol-data
	boot_kernel 'tether.timeout=20'
	assert_console "tether: volume target '$target' \(inside the root: '[^']*'\) is refused"
	assert_console "tether: failed in phase 'volumes'"
	refute_console 'tether: started'
	assert_clean_exit 125
done
