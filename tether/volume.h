/* SPDX-License-Identifier: MIT */
/*
 * Volumes: persistent disks mounted at targets inside the container root. Targets are
 * resolved inside the root, whatever symlinks the image holds, and a target that is the root
 * itself or lies in /proc, /sys or /dev is refused.
 */
#ifndef TETHER_VOLUME_H
#define TETHER_VOLUME_H

#include <stdbool.h>
#include <stddef.h>

#include "blockdev.h"
#include "config.h"

/* Whether a resolved target (relative to the root, "/" for the root) may take a volume. */
bool volume_target_allowed(const char *resolved);

#define VOLUME_PATH_MAX 4096

/* Where each volume landed, inside the root, once symlinks in the image were followed. */
struct volume_mounts {
	char resolved[CONFIG_VOLUMES_MAX][VOLUME_PATH_MAX];
	size_t failed; /* index of the volume that failed */
};

/*
 * Mount every volume of config, in order. Returns 0 or -errno with a message naming the
 * volume in err and its index in ret->failed.
 */
int volume_mount_all(const struct config *config, const struct blockdev_list *disks, int root_fd,
		     struct volume_mounts *ret, char *err, size_t err_size);

#endif
