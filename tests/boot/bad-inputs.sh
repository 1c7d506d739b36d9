#!/bin/sh
# A config naming a disk that is not attached fails after the deadline, naming the selector;
# a config with an unknown key fails naming its JSON path. Both power off cleanly with 125.
set -eu
. tests/boot/lib.sh

attach_busybox '["true"]' '"disk_timeout_seconds": 2,
	"volumes": [{"disk": {"serial": "nosuch"}, "target": "/data"}]'
boot_kernel 'tether.timeout=20'
assert_console "tether: disk serial 'nosuch': not found after 2 s"
assert_console "tether: failed in phase 'disks': exit status 125"
assert_clean_exit 125

attach_busybox '["true"]' '"colour": "blue"'
boot_kernel 'tether.timeout=20'
assert_console "tether: config.json: \\\$.colour: unknown key"
assert_console "tether: failed in phase 'config': exit status 125"
assert_clean_exit 125

# Two disks answering to one serial: ambiguous, never a guess.
attach_busybox '["true"]'
attach_disk "$(copy_disk "$IMAGE/rootfs.ext4" second.ext4)" root
boot_kernel 'tether.timeout=20'
assert_console "tether: disk serial 'root': more than one disk matches"
assert_clean_exit 125
