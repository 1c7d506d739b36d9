#!/bin/sh
# The workload's exit status becomes the VM's, the way a container runtime reports it.
set -eu
. tests/boot/lib.sh

run_busybox '["sh", "-c", "echo hello from the workload; exit 42"]'
assert_console '^hello from the workload$'
assert_console "tether: started pid [0-9]+ as uid 0 gid 0: 'sh' '-c'"
assert_console 'tether: workload exited with code 42$'
assert_clean_exit 42

run_busybox '["sh", "-c", "kill -9 $$"]'
assert_console 'tether: workload killed by SIGKILL \(exit status 137\)$'
assert_clean_exit 137

run_busybox '["/bin/false"]'
assert_clean_exit 1

run_busybox '["nosuchcmd", "arg"]'
assert_console "tether: workload: exec 'nosuchcmd': No such file or directory \(exit status 127\)"
assert_clean_exit 127

run_busybox '["/etc/passwd"]'
assert_console "tether: workload: exec '/etc/passwd': Permission denied \(exit status 126\)"
assert_clean_exit 126

run_busybox '["/etc"]'
assert_console "tether: workload: exec '/etc': Permission denied \(exit status 126\)"
assert_clean_exit 126
