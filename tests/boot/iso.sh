#!/bin/sh
# The ISO booted from a CD-ROM through isolinux, as a user's VM would boot it.
set -eu
. tests/boot/lib.sh

boot_iso

assert_console 'Kernel command line: BOOT_IMAGE=/boot/vmlinuz console=ttyS0'
assert_console "tether: tether $VERSION on Linux $KERNEL_RELEASE "
assert_console 'tether: loaded [0-9]+ modules: .* virtio_blk .* overlay squashfs isofs$'
assert_console 'tether: exit status 0, powering off'
assert_clean_power_off
