#!/bin/sh
# The ISO booted from a CD-ROM through isolinux, as a user's VM would boot it.
set -eu
. tests/boot/lib.sh

boot_iso

assert_console 'Kernel command line: BOOT_IMAGE=/boot/vmlinuz console=ttyS0'
assert_console "tether: tether $VERSION on Linux $KERNEL_RELEASE "
assert_console 'tether: loaded [0-9]+ modules: .* virtio_blk .* overlay squashfs isofs$'
# The ISO's command line has no tether.debug_exit: a plain ACPI power-off, QEMU status 0.
assert_console 'reboot: Power down'
assert_clean_exit 0
