#!/bin/sh
# cvm run --commit: what the container wrote becomes a new image, exactly. The listing taken
# inside the container before it exits equals umoci's unpack of the new image and the view a
# second container of it gets; an unchanged container commits an empty layer that still
# runs; commits chain; skopeo copies the result to a registry and a pull gives its digests.
set -eu
. tests/cvm/lib.sh

# listing: every path under the current directory with type, mode, owner, a file's link
# count and content (not a directory's link count: overlayfs reports 1 for a merged one);
# the same script runs in the guest (busybox) and on the host.
cat >"$WORK/listing.sh" <<'LISTING'
find . -xdev | sort | while read -r p; do
	case $p in
	. | ./proc | ./sys | ./dev | ./etc/hostname | ./etc/hosts | ./etc/resolv.conf) continue ;;
	esac
	if [ -L "$p" ]; then
		echo "$p l->$(readlink "$p") $(stat -c '%u:%g' "$p")"
	elif [ -d "$p" ]; then
		echo "$p d $(stat -c '%a %u:%g' "$p")"
	else
		echo "$p f:$(md5sum <"$p" | cut -c1-8) $(stat -c '%a %u:%g %h' "$p")"
	fi
done
LISTING

# The changes: a new file with another owner, a hard link and a symlink to it, a file
# replaced by a directory, files of the image deleted, a directory of the image emptied and
# refilled, a mode and an owner changed; then the listing, on stdout.
changes="echo new > /new; chown 1000:100 /new; ln /new /new-hard; ln -s /new /new-sym;
rm /usr/share/greeting; mkdir /usr/share/greeting; echo inside > /usr/share/greeting/f;
rm /bin/vi /bin/wget;
rm -rf /home/app; mkdir /home/app; echo again > /home/app/again;
chmod 0700 /tmp; chown 1000:1000 /root;
cd / && sh -c \"\$(cat /work/listing.sh)\""
mkdir -p "$WORK/work"
cp "$WORK/listing.sh" "$WORK/work/"
mke2fs -q -t ext4 -d "$WORK/work" -F "$WORK/work.ext4" 8M >/dev/null

cvm_run --commit committed:1 --author tester --message "first" \
	-v "$WORK/work.ext4:/work:ro" busybox sh -c "$changes"
assert_status 0
grep -q '^cvm: committed committed:1 (' "$WORK/err" || fail "no commit line: $(cat "$WORK/err")"
# The volume's mount point is not part of the image.
grep -v '^\./work ' "$WORK/out" >"$WORK/inside"
grep -q '^\./usr/share/greeting d 755 0:0$' "$WORK/inside" ||
	fail "listing inside: $(cat "$WORK/inside")"
! grep -q '^\./bin/vi ' "$WORK/inside" || fail "/bin/vi is still there"

# umoci's unpack of the new image is what the workload left.
umoci unpack --image "$TETHER_STORE:docker.io/library/committed:1" "$WORK/unpacked" >/dev/null
(cd "$WORK/unpacked/rootfs" && sh "$WORK/listing.sh") >"$WORK/umoci"
diff -u "$WORK/inside" "$WORK/umoci" || fail "umoci unpack of the commit differs from the container"

# A container of the new image sees the same.
cvm_run -v "$WORK/work.ext4:/work:ro" committed:1 sh -c 'cd / && sh /work/listing.sh'
assert_status 0
grep -v '^\./work ' "$WORK/out" >"$WORK/second"
diff -u "$WORK/inside" "$WORK/second" || fail "a container of the commit sees something else"
assert_eq "history" '"first"' \
	"$(jq '.history[-1].comment' "$TETHER_STORE/blobs/sha256/$("$BUILD/imagec" inspect committed:1 | jq -r .configDigest | cut -d: -f2)")"

# Nothing changed: an empty layer, and the image still runs.
cvm_run --commit committed:2 committed:1 true
assert_status 0
layers=$("$BUILD/imagec" inspect committed:2 | jq '.layers | length')
assert_eq "layers after an empty commit" 3 "$layers"
cvm_run committed:2 cat /new
assert_status 0
assert_eq "the file through two commits" new "$(cat "$WORK/out")"

# A third level on top.
cvm_run --commit committed:3 committed:2 sh -c 'rm /new; echo three > /three'
assert_status 0
cvm_run committed:3 sh -c 'ls /new 2>/dev/null; cat /three'
assert_eq "the third level" three "$(cat "$WORK/out")"

# skopeo takes it to a registry on loopback; imagec pulls the same digests back.
start_registry
skopeo copy -q --dest-tls-verify=false "oci:$TETHER_STORE:docker.io/library/committed:3" \
	"docker://127.0.0.1:$port/committed:3"
pulled=$("$BUILD/imagec" --store "$WORK/store2" pull --insecure-http "127.0.0.1:$port/committed:3")
assert_eq "pulled manifest" "$("$BUILD/imagec" inspect committed:3 | jq -r .id)" "$pulled"
assert_eq "pulled diffIDs" "$("$BUILD/imagec" inspect committed:3 | jq -c .diffIDs)" \
	"$("$BUILD/imagec" --store "$WORK/store2" inspect "127.0.0.1:$port/committed:3" | jq -c .diffIDs)"

# Names as bytes: a file named in UTF-8 is committed and is there in the new image.
cvm_run --commit named:1 busybox sh -c 'echo x >/café'
assert_status 0
cvm_run named:1 cat /café
assert_status 0
assert_eq "the UTF-8 named file" x "$(cat "$WORK/out")"

# The commit goes on the image the VM ran, by its ID, even when its tag moves meanwhile.
base=$("$BUILD/imagec" inspect busybox:latest | jq -c .diffIDs)
"$CVM" run --events "$WORK/moving.events" --commit moved:1 busybox sh -c 'sleep 6; echo y >/y' \
	>"$WORK/out" 2>"$WORK/err" &
cvm_pid=$!
wait_started "$WORK/moving.events"
"$BUILD/imagec" tag committed:1 busybox:latest
status=0
wait "$cvm_pid" || status=$?
assert_status 0
assert_eq "the base of the commit" "$base" \
	"$("$BUILD/imagec" inspect moved:1 | jq -c '.diffIDs[:-1]')"

# --commit is for images.
cvm_run --commit x:1 --rootfs "$WORK/work.ext4" true
assert_status 125
assert_no_temp_dirs
