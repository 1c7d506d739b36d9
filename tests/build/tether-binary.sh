#!/bin/sh
# build/tether is a static, stripped x86-64 executable under 1 MiB that knows its version.
set -eu
: "${BUILD:?}"

description=$(file -b "$BUILD/tether")
case $description in
*"statically linked"*stripped*) ;;
*) echo "FAIL: $BUILD/tether is not static and stripped: $description" >&2; exit 1 ;;
esac
size=$(wc -c <"$BUILD/tether")
if [ "$size" -ge 1048576 ]; then
	echo "FAIL: $BUILD/tether is $size bytes, the limit is 1 MiB" >&2
	exit 1
fi
version=$("$BUILD/tether" --version)
[ "$version" = "tether $(cat VERSION)" ] || { echo "FAIL: --version says '$version'" >&2; exit 1; }
if "$BUILD/tether" 2>/dev/null; then
	echo "FAIL: tether run as an ordinary process exited 0" >&2
	exit 1
fi
