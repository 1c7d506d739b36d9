/* SPDX-License-Identifier: MIT */
/*
 * The container root, assembled under /run/tether (mode 0700, never visible to the workload):
 * one read-write disk, or read-only layer disks under an overlay whose upper directory lives
 * on a scratch disk (or a tmpfs when there is none).
 */
#ifndef TETHER_ROOTFS_H
#define TETHER_ROOTFS_H

#include <stddef.h>

#include "blockdev.h"
#include "config.h"

#define ROOTFS_STATE_DIR "/run/tether"
#define ROOTFS_ROOT ROOTFS_STATE_DIR "/root"
#define ROOTFS_LAYERS_DIR ROOTFS_STATE_DIR "/layers" /* layer N at ROOTFS_LAYERS_DIR/N */
#define ROOTFS_SCRATCH_DIR ROOTFS_STATE_DIR "/scratch"

/* Mount the root at ROOTFS_ROOT. Returns 0 or -errno with a message naming the disk in err. */
int rootfs_assemble(const struct config_root *root, const struct blockdev_list *disks, char *err,
		    size_t err_size);

/* Mount the disk read-only (or not) at target, with its probed filesystem type. */
int rootfs_mount_disk(const struct blockdev *device, const char *target, unsigned long flags,
		      const char *options);

#endif
