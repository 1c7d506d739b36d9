#!/bin/sh
# A bad value of one of tether's keys stops the boot with an error naming the key, and the
# VM still powers off cleanly, with tether's failure status.
set -eu
. tests/boot/lib.sh

boot_kernel 'tether.timeout=soon'

assert_console "tether: kernel command line: 'tether.timeout': expected whole seconds"
assert_console "tether: failed in phase 'cmdline': exit status 125, powering off"
refute_console 'tether: loaded'
assert_clean_exit 125
