#!/bin/sh
# Nothing gets a name in the store before its bytes are on the disk: every file renamed into
# blobs/, disks/ or index.json was fsync()ed first, whichever command wrote it (pull, import of
# an OCI layout or of an archive, commit, disk, tag). Seen with strace -y, which names the file
# behind each descriptor.
. tests/imagec/lib.sh

busybox_image "$WORK/layout" latest
skopeo copy -q "oci:$WORK/layout:latest" "docker-archive:$WORK/docker.tar:team/app:1"
start_registry main
push layout:latest bb:1

# traced NAME COMMAND...: run an imagec command under strace into WORK/NAME.trace.
traced() {
	name=$1
	shift
	# LeakSanitizer cannot work under ptrace: the imagec-asan suite runs this one without it.
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -y -qq -e trace=fsync,fdatasync,rename,renameat,renameat2 \
		-o "$WORK/$name.trace" "$@" >/dev/null
}

traced pull "$IMAGEC" pull --insecure-http "$REGISTRY/bb:1"
traced archive "$IMAGEC" --store "$WORK/second" import "docker-archive:$WORK/docker.tar"
traced layout "$IMAGEC" --store "$WORK/third" import --tag x:1 "oci:$WORK/layout:latest"
traced tag "$IMAGEC" --store "$WORK/third" tag x:1 y:1
traced disk "$IMAGEC" --store "$WORK/third" disk --flatten x:1
mkdir -p "$WORK/add/etc" && echo new >"$WORK/add/etc/new"
tar -C "$WORK/add" -cf "$WORK/add.tar" etc
traced commit "$IMAGEC" --store "$WORK/third" commit --from "$WORK/add.tar" --parent x:1 x:2

for trace in "$WORK"/*.trace; do
	# Each rename's source must appear in an fsync before it; print the ones that did not.
	unsynced=$(awk '
		/fsync\(|fdatasync\(/ { if (match($0, /<[^>]*>/)) synced[substr($0, RSTART + 1, RLENGTH - 2)] = 1 }
		/rename/ && /= 0$/ {
			if (!match($0, /"[^"]*"/)) next
			source = substr($0, RSTART + 1, RLENGTH - 2)
			if (!(source in synced)) print source
		}' "$trace")
	[ -z "$unsynced" ] || fail "$(basename "$trace" .trace): renamed before fsync: $unsynced"
	grep -q 'rename' "$trace" || fail "$(basename "$trace" .trace): no rename traced"
done
echo ok
