#!/bin/sh
# tether's keys on the command line take effect; unknown ones are named and skipped; other
# keys, quoted ones included, are left alone. loglevel=8 lets the kernel print tether's debug
# messages on the console.
set -eu
. tests/boot/lib.sh

attach_busybox '["true"]'
boot_kernel 'loglevel=8 tether.debug tether.modules=nosuch_module tether.futurekey= foo="a b"'

assert_console "tether: kernel command line: unknown key 'tether.futurekey', ignoring it"
assert_console 'tether: kernel command line: .*tether.modules=nosuch_module'
assert_console "tether: module 'nosuch_module': 'nosuch_module' is not in modules.dep, continuing without it"
assert_console "tether: module 'ext4': built into the kernel"
assert_clean_exit 0
