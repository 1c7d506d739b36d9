/* SPDX-License-Identifier: MIT */
/*
 * Block devices as tether sees them: every disk and partition in sysfs, probed with libblkid
 * (filesystem type, label, UUID) and with the serial the host gave it (virtio-blk serial,
 * SCSI unit serial). Disks are chosen by serial, label or UUID, never by name or order.
 */
#ifndef TETHER_BLOCKDEV_H
#define TETHER_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define BLOCKDEV_MAX 128

struct blockdev {
	char name[32];	  /* kernel name: "vda", "sda1" */
	char node[48];	  /* "/dev/vda" */
	char serial[128]; /* "" when the device has none */
	char fstype[32];  /* "" when blkid found no filesystem */
	char label[128];
	char uuid[64];
	uint64_t size; /* bytes */
};

struct blockdev_list {
	size_t count;
	bool truncated; /* more devices than BLOCKDEV_MAX: the rest were not looked at */
	struct blockdev devices[BLOCKDEV_MAX];
};

/* Scan /sys/class/block and probe every device that has media. Returns 0 or -errno. */
int blockdev_scan(struct blockdev_list *list);

/*
 * The one device disk names. Returns 0, -ENOENT when none matches, -ENOTUNIQ when several do
 * (a selector must name one device).
 */
int blockdev_find(const struct blockdev_list *list, const struct config_disk *disk,
		  const struct blockdev **ret);

/*
 * Rescan, woken by uevents, until every one of the n disks is found or timeout_ms pass.
 * Returns 0, -ETIMEDOUT with *ret_missing set to the first disk not found, or -ENOTUNIQ with
 * *ret_missing set to the ambiguous one. list holds the last scan either way.
 */
int blockdev_wait(const struct config_disk *const *disks, size_t n, unsigned int timeout_ms,
		  struct blockdev_list *list, const struct config_disk **ret_missing);

/* "serial 'vol-a'", for messages. */
const char *blockdev_describe(const struct config_disk *disk, char *buf, size_t size);

#endif
