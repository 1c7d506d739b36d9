#!/bin/sh
# Whiteouts and opaque markers give the same tree three ways: umoci unpack of the image, the
# flattened disk, and the layer disks stacked by overlayfs as tether stacks them (mounted
# here, so this test runs as root). Layers whose meaning depends on a symlink, or that no
# overlay can show as umoci does, are refused with the layer and the entry named.
. tests/imagec/lib.sh

[ "$(id -u)" = 0 ] || fail "this test mounts squashfs and overlayfs: run it as root"
MOUNTS=""
unmount_all() {
	for dir in $MOUNTS; do
		umount "$dir" 2>/dev/null || true
	done
	MOUNTS=""
}
trap 'unmount_all; stop_registries' EXIT

# layer NAME: WORK/NAME.tar from the tree at WORK/NAME, entries in the order given after it.
layer() {
	name=$1
	shift
	(cd "$WORK/$name" && tar --format=pax --numeric-owner --owner=0 --group=0 --mtime=@0 \
		--no-recursion -cf "$WORK/$name.tar" "$@")
}

# image TAG LAYER...: an image of the layer tars, imported into the store as TAG:1.
image() {
	tag=$1
	shift
	umoci new --image "$WORK/layout:$tag"
	for l in "$@"; do
		umoci raw add-layer --image "$WORK/layout:$tag" "$WORK/$l.tar"
	done
	"$IMAGEC" import --tag "$tag:1" "oci:$WORK/layout:$tag" >/dev/null
}

# overlay_listing TAG: the tree_listing of TAG's layer disks under overlayfs, copied out.
overlay_listing() {
	lower=""
	i=0
	for disk in $("$IMAGEC" disk "$1:1"); do
		i=$((i + 1))
		mkdir -p "$WORK/mnt-$1-$i"
		mount -t squashfs -o loop,ro "$disk" "$WORK/mnt-$1-$i"
		MOUNTS="$WORK/mnt-$1-$i $MOUNTS"
		lower="$WORK/mnt-$1-$i${lower:+:$lower}"
	done
	mkdir -p "$WORK/ov-$1" "$WORK/copy-$1"
	if [ "$i" = 1 ]; then
		mount --bind "$lower" "$WORK/ov-$1"
	else
		mount -t overlay overlay -o "ro,redirect_dir=off,metacopy=off,lowerdir=$lower" \
			"$WORK/ov-$1"
	fi
	MOUNTS="$WORK/ov-$1 $MOUNTS"
	tar -C "$WORK/ov-$1" -cf - . | tar -C "$WORK/copy-$1" -x --numeric-owner -p
	unmount_all
	tree_listing "$WORK/copy-$1"
}

# agree TAG: umoci, the flattened disk and the layer disks show the same tree. Layer disks
# copy a file hardlinked across layers, so link counts are left out of that comparison.
agree() {
	umoci unpack --image "$WORK/layout:$1" "$WORK/oracle-$1" >/dev/null
	tree_listing "$WORK/oracle-$1/rootfs" >"$WORK/$1.expected"
	squashfs_listing "$("$IMAGEC" disk --flatten "$1:1")" >"$WORK/$1.flat" 2>/dev/null
	diff -u "$WORK/$1.expected" "$WORK/$1.flat" || fail "$1: the flattened disk differs from umoci"
	overlay_listing "$1" >"$WORK/$1.layers"
	awk '{ $5 = "-"; print }' "$WORK/$1.expected" >"$WORK/$1.expected-nolinks"
	awk '{ $5 = "-"; print }' "$WORK/$1.layers" >"$WORK/$1.layers-nolinks"
	diff -u "$WORK/$1.expected-nolinks" "$WORK/$1.layers-nolinks" ||
		fail "$1: the layer disks under overlayfs differ from umoci"
}

# refused TAG MESSAGE: both kinds of disks refuse the image, saying MESSAGE.
refused() {
	assert_fails_with "$2" "$IMAGEC" disk "$1:1"
	assert_fails_with "$2" "$IMAGEC" disk --flatten "$1:1"
}

umoci init --layout "$WORK/layout"

# The base: /etc with files, /dir with a file, /top.
mkdir -p "$WORK/base/etc" "$WORK/base/dir"
echo s3cret >"$WORK/base/etc/secret"
echo other >"$WORK/base/etc/other"
echo x >"$WORK/base/dir/x"
echo top >"$WORK/base/top"
layer base etc etc/secret etc/other dir dir/x top

# Whiteouts carried by hardlink entries are whiteouts all the same (umoci looks at the name).
mkdir -p "$WORK/hl/etc" "$WORK/hl/dir"
echo other >"$WORK/hl/etc/other"
ln "$WORK/hl/etc/other" "$WORK/hl/etc/.wh.secret"
ln "$WORK/hl/etc/other" "$WORK/hl/dir/.wh..wh..opq"
layer hl etc etc/other etc/.wh.secret dir dir/.wh..wh..opq
image hl base hl
agree hl
grep -q '^etc/secret ' "$WORK/hl.flat" && fail "a hardlink named .wh.secret did not delete it"
grep -q '^dir/x ' "$WORK/hl.flat" && fail "a hardlink named .wh..wh..opq did not empty dir"
echo ok
