#!/bin/sh
# Kernel and initramfs booted straight by QEMU with a config disk and a root disk: banner,
# modules, every phase timed, the workload's output, a clean exit.
set -eu
. tests/boot/lib.sh

run_busybox '["echo", "hello from busybox"]'

assert_console "tether: tether $VERSION on Linux $KERNEL_RELEASE "
assert_console 'tether: loaded [0-9]+ modules: .* virtio_pci .* virtio_blk .* virtio_console '
assert_console 'tether: loaded .* overlay squashfs isofs af_alg algif_hash$'
refute_console 'tether: .*continuing without it'
assert_console "tether: disk 'vd[ab]': serial 'root', 64 MiB, filesystem 'ext4', label 'busybox-root'"
assert_console "tether: disk 'vd[ab]': serial 'config', 0 MiB, filesystem 'iso9660', label 'TETHERCFG'"
assert_console '^hello from busybox$'
assert_console 'tether: timings: early [0-9.]+ ms, cmdline [0-9.]+ ms, modules [0-9.]+ ms, channel [0-9.]+ ms, config [0-9.]+ ms, disks [0-9.]+ ms, root [0-9.]+ ms, volumes [0-9.]+ ms, view [0-9.]+ ms, workload [0-9.]+ ms$'
refute_console 'busy, detached'
assert_clean_exit 0
