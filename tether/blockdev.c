// SPDX-License-Identifier: MIT
#include "blockdev.h"

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"

#define SYSFS_BLOCK "/sys/class/block"
#define RESCAN_MS 100

static void blkid_probe_freep(blkid_probe *probe)
{
	if (*probe)
		blkid_free_probe(*probe);
}

#define _cleanup_blkid_probe_ __attribute__((cleanup(blkid_probe_freep)))

/* Read a one-line sysfs attribute without its trailing white space. */
static int read_attribute(const char *name, const char *attribute, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char path[256];
	size_t length;
	int r;

	snprintf(path, sizeof(path), SYSFS_BLOCK "/%s/%s", name, attribute);
	r = fileio_read(path, 4096, &text, &length);
	if (r < 0)
		return r;
	while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == ' '))
		text[--length] = '\0';
	snprintf(buf, size, "%s", text);
	return 0;
}

/* SCSI disks carry their serial in VPD page 0x80: a 4-byte header, then the serial. */
static void read_scsi_serial(const char *name, char *buf, size_t size)
{
	_cleanup_free_ char *page = NULL;
	char path[256];
	size_t length, start, end;

	snprintf(path, sizeof(path), SYSFS_BLOCK "/%s/device/vpd_pg80", name);
	if (fileio_read(path, 4096, &page, &length) < 0 || length < 4)
		return;
	end = 4 + (size_t)(unsigned char)page[3];
	if (end > length)
		end = length;
	for (start = 4; start < end && page[start] == ' '; start++) {}
	while (end > start && (page[end - 1] == ' ' || page[end - 1] == '\0'))
		end--;
	snprintf(buf, size, "%.*s", (int)(end - start), page + start);
}

static void copy_value(blkid_probe probe, const char *name, char *buf, size_t size)
{
	const char *value = NULL;

	if (blkid_probe_lookup_value(probe, name, &value, NULL) == 0 && value)
		snprintf(buf, size, "%s", value);
}

/*
 * Probe the filesystem on a device. A device that is still settling (ENOENT, ENXIO,
 * ENOMEDIUM) is reported as such so that the caller skips it this round.
 */
static int probe_device(struct blockdev *device)
{
	_cleanup_blkid_probe_ blkid_probe probe = NULL;
	_cleanup_close_ int fd = open(device->node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int r;

	if (fd < 0)
		return negative_errno();
	probe = blkid_new_probe();
	if (!probe)
		return -ENOMEM;
	if (blkid_probe_set_device(probe, fd, 0, 0) < 0)
		return -EIO;
	blkid_probe_enable_superblocks(probe, 1);
	blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
							 BLKID_SUBLKS_UUID);
	blkid_probe_enable_partitions(probe, 0);

	/* 1: no filesystem (a raw disk), -2: ambiguous, -1: error; only 0 has values. */
	r = blkid_do_safeprobe(probe);
	if (r == 0) {
		copy_value(probe, "TYPE", device->fstype, sizeof(device->fstype));
		copy_value(probe, "LABEL", device->label, sizeof(device->label));
		copy_value(probe, "UUID", device->uuid, sizeof(device->uuid));
	}
	return 0;
}

int blockdev_scan(struct blockdev_list *list)
{
	DIR *dir = opendir(SYSFS_BLOCK);
	struct dirent *entry;

	if (!dir)
		return negative_errno();
	list->count = 0;
	list->truncated = false;
	while ((entry = readdir(dir))) {
		struct blockdev *device = &list->devices[list->count];
		char size[32];
		size_t length;

		if (entry->d_name[0] == '.' || strncmp(entry->d_name, "loop", 4) == 0 ||
		    strncmp(entry->d_name, "ram", 3) == 0)
			continue;
		if (list->count == BLOCKDEV_MAX) {
			list->truncated = true;
			break;
		}
		length = strlen(entry->d_name);
		if (length >= sizeof(device->name))
			continue;
		*device = (struct blockdev){ 0 };
		memcpy(device->name, entry->d_name, length + 1);
		memcpy(device->node, "/dev/", 5);
		memcpy(device->node + 5, entry->d_name, length + 1);

		/* No size yet (or no medium): not ready, or nothing to find on it. */
		if (read_attribute(device->name, "size", size, sizeof(size)) < 0)
			continue;
		device->size = strtoull(size, NULL, 10) * 512u;
		if (device->size == 0)
			continue;

		if (read_attribute(device->name, "serial", device->serial, sizeof(device->serial)) <
		    0)
			read_scsi_serial(device->name, device->serial, sizeof(device->serial));
		if (probe_device(device) < 0)
			continue;
		list->count++;
	}
	closedir(dir);
	return 0;
}

static const char *selected_value(const struct blockdev *device, enum config_selector by)
{
	switch (by) {
	case CONFIG_SELECT_SERIAL:
		return device->serial;
	case CONFIG_SELECT_LABEL:
		return device->label;
	case CONFIG_SELECT_UUID:
		return device->uuid;
	}
	return "";
}

int blockdev_find(const struct blockdev_list *list, const struct config_disk *disk,
		  const struct blockdev **ret)
{
	const struct blockdev *found = NULL;

	for (size_t i = 0; i < list->count; i++) {
		const struct blockdev *device = &list->devices[i];

		if (strcmp(selected_value(device, disk->by), disk->value) != 0)
			continue;
		if (found)
			return -ENOTUNIQ;
		found = device;
	}
	if (!found)
		return -ENOENT;
	*ret = found;
	return 0;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A socket that becomes readable when the kernel announces a device; -1 if there is none. */
static int open_uevent_socket(void)
{
	struct sockaddr_nl address = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), 0) > 0) {}
}

int blockdev_wait(const struct config_disk *const *disks, size_t n, unsigned int timeout_ms,
		  struct blockdev_list *list, const struct config_disk **ret_missing)
{
	_cleanup_close_ int uevents = open_uevent_socket();
	uint64_t deadline = monotonic_ms() + timeout_ms;

	for (;;) {
		const struct config_disk *missing = NULL;
		struct pollfd pfd = { .fd = uevents, .events = POLLIN };
		uint64_t now;
		int r;

		r = blockdev_scan(list);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n && !missing; i++) {
			const struct blockdev *device;

			r = blockdev_find(list, disks[i], &device);
			if (r == -ENOTUNIQ) {
				*ret_missing = disks[i];
				return r;
			}
			if (r < 0)
				missing = disks[i];
		}
		if (!missing)
			return 0;

		now = monotonic_ms();
		if (now >= deadline) {
			*ret_missing = missing;
			return -ETIMEDOUT;
		}
		/*
		 * Sleep until a uevent or the next rescan: the rescan also catches a device whose
		 * event came before the socket was open, or a filesystem that settled later.
		 */
		poll(&pfd, uevents >= 0 ? 1 : 0,
		     (int)(deadline - now < RESCAN_MS ? deadline - now : RESCAN_MS));
		if (uevents >= 0)
			drain(uevents);
	}
}

const char *blockdev_describe(const struct config_disk *disk, char *buf, size_t size)
{
	snprintf(buf, size, "%s '%s'", config_selector_name(disk->by), disk->value);
	return buf;
}
