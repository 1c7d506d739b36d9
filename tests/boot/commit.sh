#!/bin/sh
# Commit: after the workload, the overlay's upper directory is written as an OCI layer tar
# onto a raw commit disk, and its size and diffID are reported on the channel.
set -eu
. tests/boot/lib.sh

layer0=$(copy_disk "$IMAGE/layer0.sqfs" layer0.sqfs)
layer1=$(copy_disk "$IMAGE/layer1.sqfs" layer1.sqfs)
scratch=$(volume_disk scratch.ext4 64M)
truncate -s 16M "$WORK/commit.img"

# shellcheck disable=SC2016 # the workload's shell expands these
workload='echo new > /new; chown 1000:100 /new; ln /new /new-hard; ln -s /new /new-sym;
rm /etc/issue; mkdir /etc/issue; echo inside > /etc/issue/inside;
rm /etc/layer1; chmod 0700 /home/app;
rm -rf /root; mkdir /root; echo refilled > /root/again; sleep 1000 & exit 3'
config_disk "{\"version\": 1,
	\"root\": {\"mode\": \"layers\", \"layers\": [{\"serial\": \"layer0\"}, {\"serial\": \"layer1\"}],
		\"scratch\": {\"serial\": \"scratch\"}},
	\"commit\": {\"disk\": {\"serial\": \"commit\"}},
	\"stop\": {\"grace_seconds\": 1},
	\"process\": {\"args\": [\"sh\", \"-c\", $(jq -Rs . <<EOW
$workload
EOW
)]}}"
attach_disk "$layer0" layer0 ro
attach_disk "$layer1" layer1 ro
attach_disk "$scratch" scratch
attach_disk "$WORK/commit.img" commit
channel_ports control
start_host
boot_kernel 'tether.timeout=20'
wait_host

# The workload's status stays its own; the commit comes after it, a phase of its own.
assert_clean_exit 3
assert_event_types 'hello disks config image mounts started exit commit timings shutdown'
assert_event timings '[.phases[].name][-2:]' '["workload","commit"]'
size=$(event commit .size_bytes)
head -c "$size" "$WORK/commit.img" >"$WORK/layer.tar"
assert_event commit .diff_id "\"sha256:$(sha256sum <"$WORK/layer.tar" | cut -d' ' -f1)\""
assert_event commit '[.whiteouts, .disk]' "[1,\"/dev/$(event disks '.devices[] | select(.serial == "commit") | .name' | tr -d '"')\"]"

# Exactly what the workload changed, in OCI's terms.
tar --numeric-owner -tvf "$WORK/layer.tar" | awk '{ print $1, $2, $6, $7, $8 }' >"$WORK/listing"
cat >"$WORK/expected" <<'EOL'
drwxr-xr-x 0/0 etc/  
drwxr-xr-x 0/0 etc/issue/  
-rw-r--r-- 0/0 etc/issue/.wh..wh..opq  
-rw-r--r-- 0/0 etc/issue/inside  
-rw-r--r-- 0/0 etc/.wh.layer1  
drwxr-xr-x 0/0 home/  
drwx------ 1000/1000 home/app/  
-rw-r--r-- 1000/100 new  
hrw-r--r-- 1000/100 new-hard link to
lrwxrwxrwx 0/0 new-sym -> /new
drwxr-xr-x 0/0 root/  
-rw-r--r-- 0/0 root/.wh..wh..opq  
-rw-r--r-- 0/0 root/again  
EOL
diff -u "$WORK/expected" "$WORK/listing" || fail "the layer does not hold what the workload changed"
[ "$(tar -xOf "$WORK/layer.tar" etc/issue/inside)" = inside ] || fail "etc/issue/inside content"

# A container that changed nothing commits an empty layer: tether's own mount points and
# /etc files, and the directories copied up for them, are not changes.
detach_disks
scratch=$(volume_disk scratch2.ext4 64M)
truncate -s 16M "$WORK/commit2.img"
data=$(volume_disk data.ext4 16M)
config_disk '{"version": 1,
	"root": {"mode": "layers", "layers": [{"serial": "layer0"}, {"serial": "layer1"}],
		"scratch": {"serial": "scratch"}},
	"volumes": [{"disk": {"serial": "data"}, "target": "/srv/data"}],
	"commit": {"disk": {"serial": "commit"}}, "process": {"args": ["true"]}}'
attach_disk "$layer0" layer0 ro
attach_disk "$layer1" layer1 ro
attach_disk "$scratch" scratch
attach_disk "$data" data
attach_disk "$WORK/commit2.img" commit
start_host
boot_kernel 'tether.timeout=20'
wait_host
assert_clean_exit 0
assert_event commit '[.entries, .whiteouts, .size_bytes]' '[0,0,10240]'
[ -z "$(head -c 10240 "$WORK/commit2.img" | tar -tf -)" ] || fail "the empty commit lists entries"

# A config that asks to commit a disk root is refused.
detach_disks
config_disk '{"version": 1, "root": {"mode": "disk", "disk": {"serial": "root"}},
	"commit": {"disk": {"serial": "commit"}}}'
boot_kernel 'tether.timeout=20'
assert_clean_exit 125
assert_console "config.json: \\\$.commit: a commit needs root mode 'layers'"
