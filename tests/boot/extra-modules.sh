#!/bin/sh
# A module that is not on tether's list reaches the initramfs through EXTRA_MODULES and is
# loaded, dependencies first, when tether.modules names it; the debug line for the built-in
# ext4 shows tether.debug at work, and a later tether.debug=0 would silence it.
set -eu
. tests/boot/lib.sh

EXTRA_MODULES="nbd" initramfs/mkinitramfs "$BUILD/tether" "$BUILD/kernel" \
	"$WORK/initramfs.cpio.gz" 2>/dev/null
BUILD_INITRAMFS="$WORK/initramfs.cpio.gz"

attach_busybox '["true"]'
boot_kernel 'tether.modules=nbd'
assert_console 'tether: loaded [0-9]+ modules: .* isofs af_alg algif_hash nbd$'
refute_console "module 'nbd'"
assert_clean_exit 0

attach_busybox '["true"]'
boot_kernel 'loglevel=8 tether.debug tether.debug=0 tether.modules=nbd'
refute_console "tether: module 'ext4': built into the kernel"
assert_clean_exit 0
