#!/bin/sh
# User, groups, HOME, environment and working directory come from the image config and the
# container's own passwd and group files; the process fields of the config override them.
# The workload's shell expands the $ in these scripts, not this one.
# shellcheck disable=SC2016
set -eu
. tests/boot/lib.sh

image='"image": {"config": {"User": "app", "WorkingDir": "/home/app",
	"Env": ["FROM_IMAGE=1", "SHARED=image"]}}'
args='["sh", "-c", "id; echo HOME=$HOME; echo cwd=$(pwd); echo vars=$FROM_IMAGE,$SHARED,$FROM_PROCESS; echo PATH=$PATH; touch mine; stat -c owner=%u:%g mine"]'

run_busybox "$args" "$image"
assert_console '^uid=1000\(app\) gid=1000\(app\) groups=29\(audio\),100\(users\),1000\(app\)$'
assert_console '^HOME=/home/app$'
assert_console '^cwd=/home/app$'
assert_console '^vars=1,image,$'
assert_console '^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$'
assert_console '^owner=1000:1000$'
assert_clean_exit 0

run_busybox "$args" "$image" \
	'"user": "0:100", "cwd": "/tmp", "env": ["SHARED=process", "FROM_PROCESS=2", "PATH=/bin"]'
assert_console '^uid=0\(root\) gid=100\(users\) groups=100\(users\)$'
assert_console '^HOME=/root$'
assert_console '^cwd=/tmp$'
assert_console '^vars=1,process,2$'
assert_console '^PATH=/bin$'
assert_console '^owner=0:100$'
assert_clean_exit 0

run_busybox '["id"]' '' '"user": "nobody"'
assert_console "tether: workload: user 'nobody': not found in /etc/passwd"
assert_clean_exit 125
