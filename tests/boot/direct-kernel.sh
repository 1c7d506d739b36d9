#!/bin/sh
# Kernel and initramfs booted straight by QEMU: banner, modules, clean power-off.
set -eu
. tests/boot/lib.sh

boot_kernel ''

assert_console "tether: tether $VERSION on Linux $KERNEL_RELEASE "
assert_console 'tether: loaded [0-9]+ modules: .* virtio_pci .* virtio_blk .* virtio_console '
assert_console 'tether: loaded .* overlay squashfs isofs$'
refute_console 'tether: .*continuing without it'
assert_console 'tether: nothing to run'
assert_console 'tether: timings: early [0-9.]+ ms, cmdline [0-9.]+ ms, modules [0-9.]+ ms'
assert_clean_exit 0
