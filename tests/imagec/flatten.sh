#!/bin/sh
# A flattened disk of a three-layer image (deletions, a replaced directory, an opaque
# directory, a layer without parent entries, a cross-layer hardlink) holds exactly the tree
# `umoci unpack` makes of the same image: paths, types, modes, owners, link counts, sizes,
# symlink targets and contents.
. tests/imagec/lib.sh
. tests/imagec/layers-image.sh

three_layer_image
"$IMAGEC" import --tag three:1 "oci:$WORK/layout:three" >/dev/null

# umoci as root keeps owners; rootless unpacking would map them all to us.
umoci unpack --image "$WORK/layout:three" "$WORK/oracle" >/dev/null
tree_listing "$WORK/oracle/rootfs" >"$WORK/expected"

disk=$("$IMAGEC" disk --flatten three:1)
case $disk in
"$STORE"/disks/flat/*.sqfs) ;;
*) fail "disk --flatten printed '$disk'" ;;
esac
squashfs_listing "$disk" >"$WORK/actual"
diff -u "$WORK/expected" "$WORK/actual" || fail "the flattened disk differs from umoci unpack"

# The cases the image was built for, stated outright.
grep -qx 'etc/dir1 d 750 1000:1000 .*' "$WORK/actual" || fail "etc/dir1 lost its attributes"
grep -q '^etc/motd ' "$WORK/actual" && fail "etc/motd was deleted in layer 2"
grep -q '^opt/old/x ' "$WORK/actual" && fail "opt/old is opaque in layer 3"
grep -q '^etc/dir1/a ' "$WORK/actual" && fail "etc/dir1/a was deleted in layer 3"
grep -qx 'srv/rep f 644 0:0 1 11 [0-9a-f]*' "$WORK/actual" || fail "srv/rep is not a file"
grep -qx 'link-to-data f 640 33:44 2 13 [0-9a-f]*' "$WORK/actual" ||
	fail "link-to-data is not a hardlink of data/file"

# A second call reuses the disk.
again=$("$IMAGEC" disk --flatten three:1)
assert_eq "second disk --flatten" "$disk" "$again"
echo ok
