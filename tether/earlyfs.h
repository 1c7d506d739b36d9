/* SPDX-License-Identifier: MIT */
#ifndef TETHER_EARLYFS_H
#define TETHER_EARLYFS_H

#include <stdbool.h>

/*
 * Mount devtmpfs on /dev and put stdin, stdout and stderr on /dev/console. Already mounted is
 * fine. Returns 0 or -errno.
 */
int earlyfs_mount_dev(void);

/*
 * Mount /proc, /sys, /dev/pts, /dev/shm and /run, creating the directories. A filesystem that
 * is already mounted is left as it is. Returns 0 or the -errno of the first failure, whose
 * target is stored in *ret_failed.
 */
int earlyfs_mount_rest(const char **ret_failed);

/* Whether target is one of the API filesystems mounted here (nothing on them outlives boot). */
bool earlyfs_owns(const char *target);

/* Write text to a file under /proc/sys. Returns 0 or -errno. */
int earlyfs_write_sysctl(const char *path, const char *text);

#endif
