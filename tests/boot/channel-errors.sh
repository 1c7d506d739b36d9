#!/bin/sh
# Failures reach the host as error events naming the phase, the object and the errno.
set -eu
. tests/boot/lib.sh

# A disk the config names is not there.
detach_disks
config_disk '{"version": 1, "root": {"mode": "disk", "disk": {"serial": "nope"}},
	"disk_timeout_seconds": 2}'
channel_ports control
start_host
boot_kernel 'tether.timeout=20'
wait_host
assert_clean_exit 125
assert_event_types 'hello disks config image error timings shutdown'
assert_event error '[.phase, .object, .errno]' "[\"disks\",\"serial 'nope'\",\"ETIMEDOUT\"]"
assert_event error '.message' "\"disk serial 'nope': not found after 2 s\""
assert_event shutdown '[.exit_status, .failed_phase]' '[125,"disks"]'

# A config.json with a key this tether does not know.
host_busybox '' '["true"]' '"colour": "blue"'
assert_clean_exit 125
assert_event_types 'hello disks error timings shutdown'
assert_event error '[.phase, .object, .errno]' '["config","config.json","EINVAL"]'
assert_event error '.message' '"config.json: $.colour: unknown key"'
assert_event shutdown '[.exit_status, .failed_phase]' '[125,"config"]'

# A volume target under /proc.
data=$(volume_disk data.ext4 16M)
attach_busybox '["true"]' '"volumes": [{"disk": {"serial": "vol"}, "target": "/proc/x"}]'
attach_disk "$data" vol
start_host
boot_kernel 'tether.timeout=20'
wait_host
assert_clean_exit 125
assert_event_types 'hello disks config image error timings shutdown'
assert_event error '[.phase, .object, .errno]' '["volumes","/proc/x","EPERM"]'
assert_event error '.message | test("^volume target .*/proc/x.* is refused")' true

# An entry point that is not there: the shell's 127, and an exit event saying so.
host_busybox '' '["nosuchcmd", "arg"]'
assert_clean_exit 127
assert_event_types 'hello disks config image mounts error exit timings shutdown'
assert_event error '[.phase, .object, .errno]' '["workload","nosuchcmd","ENOENT"]'
assert_event error '.message' "\"workload: exec 'nosuchcmd': No such file or directory (exit status 127)\""
assert_event exit '[.status, .code, .signal]' '[127,127,null]'
assert_event shutdown '[.exit_status, .failed_phase]' '[127,null]'

# A file that is not executable: 126.
host_busybox '' '["/etc/passwd"]'
assert_clean_exit 126
assert_event error '[.phase, .object, .errno]' '["workload","/etc/passwd","EACCES"]'
assert_event exit '.status' 126

# A layer disk with no filesystem: the error names that disk's device.
head -c 1048576 /dev/urandom >"$WORK/junk.img"
detach_disks
config_disk '{"version": 1, "root": {"mode": "layers", "layers": [{"serial": "junk"}]},
	"process": {"args": ["true"]}}'
attach_disk "$WORK/junk.img" junk ro
start_host
boot_kernel 'tether.timeout=20'
wait_host
assert_clean_exit 125
junk_device=/dev/$(event disks '.devices[] | select(.serial == "junk") | .name' | tr -d '"')
assert_event error '[.phase, .object, .errno]' "[\"root\",\"$junk_device\",\"EMEDIUMTYPE\"]"
