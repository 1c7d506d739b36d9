#!/bin/sh
# The harness never reports a kernel panic as success: with an init that does not exist the
# kernel panics, and qemu-boot says so and exits 125 instead of QEMU's 0.
set -eu
. tests/boot/lib.sh

boot_kernel 'rdinit=/no/such/init'

assert_console 'Kernel panic - not syncing'
refute_console 'tether:'
assert_status 125
