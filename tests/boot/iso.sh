#!/bin/sh
# The ISO booted from a CD-ROM through isolinux, as a user's VM would boot it, with a config
# disk and a root disk beside it.
set -eu
. tests/boot/lib.sh

attach_busybox '["sh", "-c", "echo hello from the ISO; exit 3"]'
boot_iso

assert_console 'Kernel command line: BOOT_IMAGE=/boot/vmlinuz console=ttyS0'
assert_console "tether: tether $VERSION on Linux $KERNEL_RELEASE "
assert_console 'tether: loaded [0-9]+ modules: .* virtio_blk .* overlay squashfs isofs af_alg algif_hash$'
assert_console '^hello from the ISO$'
# The ISO's command line has no tether.debug_exit: a plain ACPI power-off; qemu-boot takes the
# status from tether's closing line.
assert_console 'tether: exit status 3, powering off'
assert_console 'reboot: Power down'
refute_console 'Kernel panic'
assert_status 3
