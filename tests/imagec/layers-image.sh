#!/bin/sh
# The three-layer test image, shared by the disk tests: source it after lib.sh. Builds
# "$WORK/layout:three" with umoci:
#   1. busybox, /etc/motd, /etc/dir1 (0750, 1000:1000) with two files, /opt/old with two
#      files, /srv/rep a directory, /data/file, a setuid file, a fifo-free simple tree;
#   2. (umoci diff) deletes /etc/motd, replaces the directory /srv/rep with a file, changes
#      /etc/issue, adds /usr/new;
#   3. (hand-written tar) makes /opt/old opaque with a new file z, adds /etc/dir1/c without
#      entries for /etc or /etc/dir1, deletes /etc/dir1/a by whiteout, and hardlinks
#      /link-to-data to /data/file of layer 1.
three_layer_image() {
	layout="$WORK/layout"
	bundle="$WORK/bundle-three"
	umoci init --layout "$layout"
	umoci new --image "$layout:three"
	umoci unpack --image "$layout:three" "$bundle"
	root="$bundle/rootfs"
	busybox_rootfs "$root"
	echo "message of the day" >"$root/etc/motd"
	mkdir -p "$root/etc/dir1" "$root/opt/old" "$root/srv/rep/inner" "$root/data"
	echo a >"$root/etc/dir1/a"
	echo b >"$root/etc/dir1/b"
	chown -R 1000:1000 "$root/etc/dir1"
	chmod 0750 "$root/etc/dir1"
	echo x >"$root/opt/old/x"
	echo y >"$root/opt/old/y"
	echo inner >"$root/srv/rep/inner/file"
	echo "shared bytes" >"$root/data/file"
	chown 33:44 "$root/data/file"
	chmod 0640 "$root/data/file"
	echo suid >"$root/bin/suid"
	chmod 4755 "$root/bin/suid"
	umoci repack --image "$layout:three" "$bundle"
	# repack diffs against the bundle's unpacked image: unpack the new one for the next layer.
	rm -rf "$bundle"
	umoci unpack --image "$layout:three" "$bundle"

	rm -f "$root/etc/motd"
	rm -rf "$root/srv/rep"
	echo "a file now" >"$root/srv/rep"
	echo "issue of layer 2" >"$root/etc/issue"
	mkdir -p "$root/usr"
	echo new >"$root/usr/new"
	umoci repack --image "$layout:three" "$bundle"
	rm -rf "$bundle"

	raw="$WORK/raw3"
	mkdir -p "$raw/opt/old" "$raw/etc/dir1" "$raw/data"
	: >"$raw/opt/old/.wh..wh..opq"
	echo z >"$raw/opt/old/z"
	echo c >"$raw/etc/dir1/c"
	: >"$raw/etc/dir1/.wh.a"
	echo "shared bytes" >"$raw/data/file"
	ln "$raw/data/file" "$raw/link-to-data"
	(cd "$raw" && tar --numeric-owner --owner=0 --group=0 --mtime=@0 --no-recursion \
		-cf "$WORK/layer3.tar" opt/old opt/old/.wh..wh..opq opt/old/z etc/dir1/c \
		etc/dir1/.wh.a data/file link-to-data)
	# The link's target stays in layer 1: remove the copy this tar made of it.
	tar --delete -f "$WORK/layer3.tar" data/file
	umoci raw add-layer --image "$layout:three" "$WORK/layer3.tar"
}
