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

# An opaque marker at the root: overlayfs reads no opaque attribute on a layer's root, so the
# layer disk whites out every name below instead. 'dir' comes back as a new directory.
mkdir -p "$WORK/rootopq/w" "$WORK/rootopq/dir"
: >"$WORK/rootopq/.wh..wh..opq"
echo c >"$WORK/rootopq/w/c"
echo new >"$WORK/rootopq/dir/new"
layer rootopq .wh..wh..opq w w/c dir/new
image rootopq base rootopq
agree rootopq
assert_eq "the layer's root" "" "$(rdsquashfs -x / "$("$IMAGEC" disk rootopq:1 | tail -n 1)")"
assert_eq "what is left" "dir dir/new w w/c" "$(awk '{ printf "%s%s", sep, $1; sep = " " }' \
	"$WORK/rootopq.flat")"

# Below an opaque directory, a directory the layer does not list is new (0755 root), not the
# one of the layers below.
mkdir -p "$WORK/opt1/opt/sub" "$WORK/opt2/opt/sub"
echo old >"$WORK/opt1/opt/sub/old"
chmod 0700 "$WORK/opt1/opt/sub"
: >"$WORK/opt2/opt/.wh..wh..opq"
echo x >"$WORK/opt2/opt/sub/x"
layer opt1 opt opt/sub opt/sub/old
layer opt2 opt opt/.wh..wh..opq opt/sub/x
image optsub opt1 opt2
agree optsub

# A directory deleted and written below in the same layer, without an entry of its own; a
# whiteout below a deleted directory; a whiteout of a path the layers below do not have.
mkdir -p "$WORK/del/d" "$WORK/del/nothere"
echo x >"$WORK/del/d/x"
: >"$WORK/del/.wh.top"
mkdir -p "$WORK/del/top"
: >"$WORK/del/top/.wh.y"
: >"$WORK/del/nothere/.wh.x"
mkdir -p "$WORK/del1/d"
echo old >"$WORK/del1/d/old"
layer del1 d d/old
: >"$WORK/del/.wh.d"
layer del .wh.d d/x .wh.top top/.wh.y nothere/.wh.x
image deleted base del1 del
agree deleted
grep -q '^nothere' "$WORK/deleted.flat" && fail "a whiteout made a directory"

# Where umoci's result depends on the order in the archive: an entry before the opaque marker
# of the root keeps the attributes of the directory it is in (umoci does not delete what the
# layer wrote), one after it gets a new directory.
mkdir -p "$WORK/ord1/keep" "$WORK/ord1/fresh" "$WORK/ord2/keep" "$WORK/ord2/fresh"
echo old >"$WORK/ord1/keep/old"
echo old >"$WORK/ord1/fresh/old"
chmod 0700 "$WORK/ord1/keep" "$WORK/ord1/fresh"
echo new >"$WORK/ord2/keep/new"
echo new >"$WORK/ord2/fresh/new"
: >"$WORK/ord2/.wh..wh..opq"
layer ord1 keep keep/old fresh fresh/old
layer ord2 keep/new .wh..wh..opq fresh/new
image order base ord1 ord2
agree order
grep -q '^keep d 700 ' "$WORK/order.flat" || fail "keep/ lost its mode: $(cat "$WORK/order.flat")"
grep -q '^fresh d 755 ' "$WORK/order.flat" || fail "fresh/ kept its mode: $(cat "$WORK/order.flat")"

# A directory of the layers below replaced by a file, then by a directory, in one layer: the
# last directory is new, without what was below.
mkdir -p "$WORK/clob-file" "$WORK/clob-dir/dir"
echo file >"$WORK/clob-file/dir"
echo new >"$WORK/clob-dir/dir/new"
(cd "$WORK/clob-file" && tar --format=pax --numeric-owner -cf "$WORK/clob.tar" dir)
(cd "$WORK/clob-dir" && tar --format=pax --numeric-owner --no-recursion -rf "$WORK/clob.tar" \
	dir dir/new)
image clobbered base clob
agree clobbered
grep -q '^dir/x ' "$WORK/clobbered.flat" && fail "dir/x came back"

# A symlink of the layers below replaced by a directory with an opaque marker (what tether's
# commit writes for it).
mkdir -p "$WORK/sl1" "$WORK/sl2/b"
ln -s etc "$WORK/sl1/b"
: >"$WORK/sl2/b/.wh..wh..opq"
echo f >"$WORK/sl2/b/f"
layer sl1 b
layer sl2 b b/.wh..wh..opq b/f
image symdir base sl1 sl2
agree symdir

# Markers and whiteouts below a symlink would act on what it points to (umoci follows it):
# refused, for one of the layers below and for one the layer itself lists first.
mkdir -p "$WORK/ln1" "$WORK/ln2/b" "$WORK/ln3/a" "$WORK/ln4/s"
ln -s / "$WORK/ln1/a"
ln -s etc "$WORK/ln1/b"
layer ln1 a b
: >"$WORK/ln2/b/.wh..wh..opq"
layer ln2 b/.wh..wh..opq
image opqlink base ln1 ln2
refused opqlink "entry 'b/.wh..wh..opq': 'b' in a lower layer is a symbolic link"
: >"$WORK/ln3/a/.wh.etc"
layer ln3 a/.wh.etc
image whlink base ln1 ln3
refused whlink "entry 'a/.wh.etc': parent 'a' in a lower layer is a symbolic link"
rmdir "$WORK/ln4/s"
ln -s etc "$WORK/ln4/s"
mkdir -p "$WORK/ln4/x"
: >"$WORK/ln4/x/.wh.secret"
(cd "$WORK/ln4" && tar --format=pax --numeric-owner -cf "$WORK/ln4.tar" s &&
	tar --format=pax --numeric-owner --transform 's,^x/,s/,' -rf "$WORK/ln4.tar" x/.wh.secret)
image ownlink base ln4
refused ownlink "entry 's/.wh.secret': parent 's' is a symbolic link"
mkdir -p "$WORK/ln5/x"
ln -s etc "$WORK/ln5/dir"
: >"$WORK/ln5/x/.wh..wh..opq"
(cd "$WORK/ln5" && tar --format=pax --numeric-owner -cf "$WORK/ln5.tar" dir &&
	tar --format=pax --numeric-owner --transform 's,^x/,dir/,' -rf "$WORK/ln5.tar" \
		x/.wh..wh..opq)
image ownopqlink base ln5
refused ownopqlink "entry 'dir/.wh..wh..opq': 'dir' is a symbolic link"
# An entry below a symlink of the layers below that the layer deletes after it: umoci writes
# through the link.
mkdir -p "$WORK/ln6/b"
: >"$WORK/ln6/.wh.b"
echo c >"$WORK/ln6/b/c"
layer ln6 b/c .wh.b
image laterwh base ln1 ln6
refused laterwh "entry 'b/c': parent 'b' in a lower layer is a symbolic link"
echo ok
