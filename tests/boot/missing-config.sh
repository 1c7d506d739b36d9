#!/bin/sh
# Without a config disk tether waits until the deadline, says what it looked for, and powers
# off with its failure status.
set -eu
. tests/boot/lib.sh

boot_kernel 'tether.timeout=1'

assert_console "tether: config disk \(label 'TETHERCFG'\) not found after 1 s"
assert_console "tether: failed in phase 'config': exit status 125, powering off"
refute_console 'tether: started'
assert_clean_exit 125
