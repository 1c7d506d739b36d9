#!/bin/sh
# Layers are untrusted: a disk is refused, with the layer and the entry named, for names that
# leave the tree, writes through a symlink, hardlinks out of the tree, whiteouts with a
# slash in their name and overlay attributes. No disk is made for such a layer.
. tests/imagec/lib.sh

busybox_image "$WORK/layout" base

# hostile NAME EXPECTED-MESSAGE: add WORK/NAME.tar as a layer on the busybox image, import it,
# and check that `imagec disk` and `imagec disk --flatten` refuse it saying EXPECTED-MESSAGE.
hostile() {
	umoci raw add-layer --image "$WORK/layout:base" --tag "$1" "$WORK/$1.tar"
	"$IMAGEC" import --tag "hostile:$1" "oci:$WORK/layout:$1" >/dev/null
	layer=$("$IMAGEC" inspect "hostile:$1" | grep '"digest"' | tail -n 1 | cut -d'"' -f4)
	assert_fails_with "disk 'hostile:$1': layer '$layer' entry $2" "$IMAGEC" disk "hostile:$1"
	assert_fails_with "entry $2" "$IMAGEC" disk --flatten "hostile:$1"
}

mkdir -p "$WORK/src/sub" "$WORK/src/link" "$WORK/src/through/a" "$WORK/src/.wh.dir"
echo x >"$WORK/src/x"
echo inside >"$WORK/src/through/a/x"
ln -s / "$WORK/src/link/a"
echo f >"$WORK/src/f"
ln "$WORK/src/f" "$WORK/src/g"
echo w >"$WORK/src/.wh.dir/x"

(cd "$WORK/src/sub" && tar -cPf "$WORK/dotdot.tar" ../x)
hostile dotdot "'../x': name leaves the layer with '..'"

(cd "$WORK/src" && tar -cPf "$WORK/absolute.tar" --transform 's,^x$,/etc/x,' x)
hostile absolute "'/etc/x': absolute name"

(cd "$WORK/src" && tar -cf "$WORK/symlink.tar" -C link a -C ../through a/x)
hostile symlink "'a/x': parent 'a' is a symbolic link"

(cd "$WORK/src" && tar -cPf "$WORK/hardlink.tar" --transform 's,^f$,../../etc/passwd,RSh' f g)
hostile hardlink "'g': hardlink target '../../etc/passwd': name leaves the layer with '..'"

(cd "$WORK/src" && tar -cf "$WORK/whiteout.tar" .wh.dir/x)
hostile whiteout "'.wh.dir/x': whiteout prefix in a directory name"

# Hardlinks are held to the same rules: one named like a whiteout in a directory, one named
# for the root.
(cd "$WORK/src" && tar -cf "$WORK/whiteoutlink.tar" --transform 's,^g$,.wh.dir/g,' f g)
hostile whiteoutlink "'.wh.dir/g': whiteout prefix in a directory name"

(cd "$WORK/src" && tar -cf "$WORK/rootlink.tar" --transform 's,^g$,.,' f g)
hostile rootlink "'.': the root is not a directory"

(cd "$WORK/src" && tar --format=pax --pax-option 'SCHILY.xattr.trusted.overlay.redirect:=/etc' \
	-cf "$WORK/xattr.tar" x)
hostile xattr "'x': overlay attribute 'trusted.overlay.redirect' refused"

# Only the good bottom layer got a disk.
"$IMAGEC" import --tag good:1 "oci:$WORK/layout:base" >/dev/null
base=$("$IMAGEC" inspect good:1 | sed -n 's/.*"chainID": "sha256:\(.*\)".*/\1/p')
assert_eq "disks left behind" "$STORE/disks/layer/$base.sqfs" "$(find "$STORE/disks" -type f)"
assert_eq "temporary files left behind" "" "$(find "$STORE/tmp" -type f ! -name '*.lock')"
echo ok
