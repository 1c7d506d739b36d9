#!/bin/sh
# Names are bytes: UTF-8 (as Debian's ca-certificates ships) and bytes that are not UTF-8 reach
# both kinds of disks as they are, in file names, symlink targets, hardlinks within a layer
# and across layers, and whiteouts.
. tests/imagec/lib.sh

name='NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt'
latin1=$(printf 'caf\351')
layout="$WORK/layout"
bundle="$WORK/bundle"
umoci init --layout "$layout"
umoci new --image "$layout:names"
umoci unpack --image "$layout:names" "$bundle" >/dev/null
certs="$bundle/rootfs/usr/share/ca-certificates/mozilla"
mkdir -p "$certs" "$bundle/rootfs/$latin1"
echo cert >"$certs/$name"
ln -s "$name" "$certs/link-ő"
ln "$certs/$name" "$certs/hardlink-ő"
echo gone >"$certs/törölt"
echo bytes >"$bundle/rootfs/$latin1/$latin1"
umoci repack --image "$layout:names" "$bundle" >/dev/null
rm -rf "$bundle"

# A second layer: deletes one UTF-8 name and hardlinks another of the first layer.
mkdir -p "$WORK/l2/usr/share/ca-certificates/mozilla"
: >"$WORK/l2/usr/share/ca-certificates/mozilla/.wh.törölt"
(cd "$WORK/l2" && tar --format=pax --numeric-owner --owner=0 --group=0 -cf "$WORK/l2.tar" \
	usr/share/ca-certificates/mozilla/.wh.törölt)
mkdir -p "$WORK/link-src/usr/share/ca-certificates/mozilla"
echo cert >"$WORK/link-src/usr/share/ca-certificates/mozilla/$name"
(cd "$WORK/link-src" && ln "usr/share/ca-certificates/mozilla/$name" "másolat-ő" &&
	tar --format=pax --numeric-owner --owner=0 --group=0 -rf "$WORK/l2.tar" \
		"usr/share/ca-certificates/mozilla/$name" "másolat-ő" &&
	tar --delete -f "$WORK/l2.tar" "usr/share/ca-certificates/mozilla/$name")
umoci raw add-layer --image "$layout:names" "$WORK/l2.tar"
"$IMAGEC" import --tag names:1 "oci:$layout:names" >/dev/null

umoci unpack --image "$layout:names" "$WORK/oracle" >/dev/null
tree_listing "$WORK/oracle/rootfs" >"$WORK/expected"
flat=$("$IMAGEC" disk --flatten names:1) || fail "disk --flatten of UTF-8 names"
squashfs_listing "$flat" >"$WORK/actual"
diff -u "$WORK/expected" "$WORK/actual" || fail "the flattened disk differs from umoci unpack"
grep -q "^usr/share/ca-certificates/mozilla/link-ő l 777 0:0 1 [0-9]* $name -$" "$WORK/actual" ||
	fail "the UTF-8 symlink: $(cat "$WORK/actual")"
grep -q "^$latin1/$latin1 f " "$WORK/actual" || fail "the name that is not UTF-8"

"$IMAGEC" disk names:1 >"$WORK/disks" || fail "disk of UTF-8 names"
squashfs_listing "$(tail -n 1 "$WORK/disks")" | awk '{ print $1, $2, $NF }' >"$WORK/top"
cat >"$WORK/expected-top" <<LIST
másolat-ő f 489d969a85a54071
usr d -
usr/share d -
usr/share/ca-certificates d -
usr/share/ca-certificates/mozilla d -
usr/share/ca-certificates/mozilla/törölt c -
LIST
diff -u "$WORK/expected-top" "$WORK/top" || fail "the top layer's disk"
echo ok
