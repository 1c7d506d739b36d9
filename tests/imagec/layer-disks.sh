#!/bin/sh
# One squashfs per layer, in overlay format: whiteouts are char devices 0/0, an opaque
# directory carries trusted.overlay.opaque=y, directories a layer omits keep the attributes
# the layers below give them, and a hardlink to a lower layer's file is a copy of it.
. tests/imagec/lib.sh
. tests/imagec/layers-image.sh

three_layer_image
"$IMAGEC" import --tag three:1 "oci:$WORK/layout:three" >/dev/null
"$IMAGEC" disk three:1 >"$WORK/disks"
assert_eq "disk count" 3 "$(wc -l <"$WORK/disks")"
chain=$("$IMAGEC" inspect three:1 | sed -n 's/.*"chainID": "sha256:\(.*\)".*/\1/p')
assert_eq "top layer disk" "$STORE/disks/layer/$chain.sqfs" "$(tail -n 1 "$WORK/disks")"

# path type mode owner content, without the busybox applets.
short_listing() {
	squashfs_listing "$1" | grep -v '^bin/' | awk '{ print $1, $2, $3, $4, $NF }'
}

short_listing "$(sed -n 2p "$WORK/disks")" >"$WORK/layer2"
cat >"$WORK/expected2" <<'LIST'
etc d 755 0:0 -
etc/issue f 644 0:0 6753fb42be8be8dd
etc/motd c 0 0:0 -
srv d 755 0:0 -
srv/rep f 644 0:0 83caf084e82ba896
usr d 755 0:0 -
usr/new f 644 0:0 7aa7a5359173d05b
LIST
diff -u "$WORK/expected2" "$WORK/layer2" || fail "layer 2 disk"

layer3=$(sed -n 3p "$WORK/disks")
short_listing "$layer3" >"$WORK/layer3"
cat >"$WORK/expected3" <<'LIST'
etc d 755 0:0 -
etc/dir1 d 750 1000:1000 -
etc/dir1/a c 0 0:0 -
etc/dir1/c f 644 0:0 a3a5e715f0cc574a
link-to-data f 640 33:44 ee392e7ce57b7406
opt d 755 0:0 -
opt/old d 755 0:0 -
opt/old/z f 644 0:0 c865f6c5ab8d1b0b
LIST
diff -u "$WORK/expected3" "$WORK/layer3" || fail "layer 3 disk"
assert_eq "opaque xattr of opt/old" "trusted.overlay.opaque=y" \
	"$(rdsquashfs -x /opt/old "$layer3")"
assert_eq "xattrs of opt (not opaque)" "" "$(rdsquashfs -x /opt "$layer3")"
rdsquashfs -s /etc/dir1/a "$layer3" | grep -q 'Inode type: character device' ||
	fail "etc/dir1/a is not a whiteout device"
rdsquashfs -s /etc/dir1/a "$layer3" | grep -q 'Device number: 0:0' ||
	fail "etc/dir1/a is not device 0:0: $(rdsquashfs -s /etc/dir1/a "$layer3")"

# A layer that deletes a directory and writes it again: the new one is opaque, or the lower
# layer's files would show through it in the overlay.
mkdir -p "$WORK/rc1/c" "$WORK/rc2/c"
echo old >"$WORK/rc1/c/old"
: >"$WORK/rc2/.wh.c"
echo new >"$WORK/rc2/c/new"
(cd "$WORK/rc1" && tar --numeric-owner -cf "$WORK/rc1.tar" c)
(cd "$WORK/rc2" && tar --numeric-owner -cf "$WORK/rc2.tar" .wh.c c)
umoci raw add-layer --image "$WORK/layout:three" --tag rc1 "$WORK/rc1.tar"
umoci raw add-layer --image "$WORK/layout:rc1" --tag rc2 "$WORK/rc2.tar"
"$IMAGEC" import --tag recreated:1 "oci:$WORK/layout:rc2" >/dev/null
top=$("$IMAGEC" disk recreated:1 | tail -n 1)
assert_eq "opaque xattr of a directory deleted and written again" "trusted.overlay.opaque=y" \
	"$(rdsquashfs -x /c "$top")"
assert_eq "its contents" new "$(rdsquashfs -l /c "$top" | awk '{ print $NF }')"

# A file replaced by a directory that carries an opaque marker (what overlayfs and tether's
# commit write): the directory replaces the file in both kinds of disks.
mkdir -p "$WORK/fd1" "$WORK/fd2/g"
echo file >"$WORK/fd1/g"
: >"$WORK/fd2/g/.wh..wh..opq"
echo f >"$WORK/fd2/g/f"
(cd "$WORK/fd1" && tar --numeric-owner -cf "$WORK/fd1.tar" g)
(cd "$WORK/fd2" && tar --numeric-owner --no-recursion -cf "$WORK/fd2.tar" g g/.wh..wh..opq g/f)
umoci raw add-layer --image "$WORK/layout:three" --tag fd1 "$WORK/fd1.tar"
umoci raw add-layer --image "$WORK/layout:fd1" --tag fd2 "$WORK/fd2.tar"
"$IMAGEC" import --tag filedir:1 "oci:$WORK/layout:fd2" >/dev/null
top=$("$IMAGEC" disk filedir:1 | tail -n 1)
assert_eq "opaque xattr of the directory over a file" "trusted.overlay.opaque=y" \
	"$(rdsquashfs -x /g "$top")"
flat=$("$IMAGEC" disk --flatten filedir:1)
assert_eq "the flattened directory" "f" "$(rdsquashfs -l /g "$flat" | awk '{ print $NF }')"

# A layer of no bytes (its diffID the sha256 of nothing) is an empty layer, as for umoci.
: >"$WORK/empty.tar"
umoci raw add-layer --image "$WORK/layout:three" --tag empty "$WORK/empty.tar"
"$IMAGEC" import --tag empty:1 "oci:$WORK/layout:empty" >/dev/null
assert_eq "disks with an empty layer" 4 "$("$IMAGEC" disk empty:1 | wc -l)"
assert_eq "the empty layer's disk" "" "$(rdsquashfs -l / "$("$IMAGEC" disk empty:1 | tail -n 1)" |
	grep -v '^/$')"
"$IMAGEC" disk --flatten empty:1 >/dev/null || fail "a flattened disk with an empty layer"

# The bottom layer's disk is keyed by its diffID (its chainID).
diff_id=$("$IMAGEC" inspect three:1 | grep -m1 -o '"diffID": "sha256:[0-9a-f]*"' | cut -d: -f3)
assert_eq "bottom layer disk" "$STORE/disks/layer/${diff_id%\"}.sqfs" "$(head -n 1 "$WORK/disks")"
echo ok
