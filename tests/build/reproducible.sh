#!/bin/sh
# The initramfs and the ISO are reproducible: building them again from the same inputs gives
# the same bytes.
set -eu
: "${BUILD:?}" "${WORK:?}"

# The same inputs: the epoch and the extra modules the build used.
SOURCE_DATE_EPOCH=$(cat "$BUILD/stamps/epoch")
EXTRA_MODULES=$(cat "$BUILD/stamps/extra-modules")
export SOURCE_DATE_EPOCH EXTRA_MODULES

initramfs/mkinitramfs "$BUILD/tether" "$BUILD/kernel" "$WORK/initramfs.cpio.gz" 2>/dev/null
iso/mkiso "$BUILD/vmlinuz" "$WORK/initramfs.cpio.gz" "$WORK/tether.iso" 2>/dev/null

for file in initramfs.cpio.gz tether.iso; do
	if ! cmp -s "$BUILD/$file" "$WORK/$file"; then
		echo "FAIL: $file differs between two builds:" >&2
		sha256sum "$BUILD/$file" "$WORK/$file" >&2
		exit 1
	fi
done
