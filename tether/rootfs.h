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

/* Why the root could not be assembled, and the disk or directory concerned. */
struct rootfs_error {
	char message[512];
	char object[192];
};

/* Mount the root at ROOTFS_ROOT. Returns 0 or -errno with *ret_error filled in. */
int rootfs_assemble(const struct config_root *root, const struct blockdev_list *disks,
		    struct rootfs_error *ret_error);

/* Mount the disk read-only (or not) at target, with its probed filesystem type. */
int rootfs_mount_disk(const struct blockdev *device, const char *target, unsigned long flags,
		      const char *options);

#endif
