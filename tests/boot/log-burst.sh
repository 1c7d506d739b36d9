#!/bin/sh
# Many log lines in a row are all kept: the kernel's /dev/kmsg rate limit (10 lines per 5 s)
# is lifted, so the lines after a burst of warnings still reach the console.
set -eu
. tests/boot/lib.sh

attach_busybox '["true"]'
boot_kernel 'tether.modules=m1,m2,m3,m4,m5,m6,m7,m8,m9,m10,m11,m12,m13,m14,m15,m16'

for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	assert_console "tether: module 'm$i': 'm$i' is not in modules.dep, continuing without it"
done
assert_console 'tether: loaded [0-9]+ modules:'
assert_console 'tether: timings: '
refute_console 'callbacks suppressed'
assert_clean_exit 0
