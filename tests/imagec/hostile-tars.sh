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

# What squashfs cannot hold is refused before tar2sqfs sees it: attributes of other namespaces
# than user., trusted. and security., more attribute bytes than tar2sqfs reads in a header,
# owners past 32 bits (2^33 would become root), names longer than a directory entry.
(cd "$WORK/src" && tar --format=pax --pax-option 'SCHILY.xattr.system.posix_acl_access:=1' \
	-cf "$WORK/acl.tar" x)
hostile acl "'x': attribute 'system.posix_acl_access': squashfs stores only user., trusted. and"
big=$(head -c 50000 /dev/zero | tr '\0' v)
(cd "$WORK/src" && tar --format=pax --pax-option "SCHILY.xattr.user.big:=$big" \
	-cf "$WORK/bigxattr.tar" x)
hostile bigxattr "'x': extended attributes of more than 49152 bytes in all"
# GNU tar writes no such owner: Python's tarfile does.
python3 -c 'import sys, tarfile, io
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    info = tarfile.TarInfo("x"); info.size = 1; info.uid = 2 ** 33
    t.addfile(info, io.BytesIO(b"x"))' "$WORK/owner.tar"
hostile owner "'x': owner 8589934592:0 out of range"
long=$(head -c 300 /dev/zero | tr '\0' a)
(cd "$WORK/src" && tar --format=pax --transform "s,^x\$,$long," -cf "$WORK/longname.tar" x)
hostile longname "'$long': a name in the path is longer than 255 bytes"

# A name of kilobytes is cut in the message, so that the reason still shows.
part=$(head -c 200 /dev/zero | tr '\0' d)
huge=$part
for _ in $(seq 24); do
	huge="$huge/$part"
done
(cd "$WORK/src" && tar --format=pax --transform "s,^x\$,$huge," -cf "$WORK/hugename.tar" x)
hostile hugename "'$(printf %s "$huge" | cut -c1-400)\.\.\.': name longer than 4096 bytes"

# Only the good bottom layer got a disk.
"$IMAGEC" import --tag good:1 "oci:$WORK/layout:base" >/dev/null

# Without tar2sqfs, or when it refuses a tree: one line, naming the disk's layer.
assert_fails_with "^imagec: disk 'good:1': tar2sqfs, which makes the disks, is not on PATH" \
	env PATH=/nonexistent "$IMAGEC" disk --flatten good:1
assert_eq "lines" 1 "$(wc -l <"$WORK/err")"
mkdir -p "$WORK/bin"
printf '#!/bin/sh\necho "ERROR: cannot take this" >&2\necho more >&2\nexit 1\n' >"$WORK/bin/tar2sqfs"
chmod +x "$WORK/bin/tar2sqfs"
assert_fails_with "^imagec: disk 'good:1': the flattened disk: tar2sqfs refused it: ERROR: cannot take this$" \
	env PATH="$WORK/bin:$PATH" "$IMAGEC" disk --flatten good:1
assert_eq "lines" 1 "$(wc -l <"$WORK/err")"
base=$("$IMAGEC" inspect good:1 | sed -n 's/.*"chainID": "sha256:\(.*\)".*/\1/p')
assert_eq "disks left behind" "$STORE/disks/layer/$base.sqfs" "$(find "$STORE/disks" -type f)"
assert_eq "temporary files left behind" "" "$(find "$STORE/tmp" -type f ! -name '*.lock')"
echo ok
