// SPDX-License-Identifier: MIT
#include "volume.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "inroot.h"
#include "rootfs.h"

bool volume_target_allowed(const char *resolved)
{
	/* Each would be hidden by, or hide, what tether mounts there for the container. */
	static const char *const refused[] = { "/proc", "/sys", "/dev" };

	if (strcmp(resolved, "/") == 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		size_t length = strlen(refused[i]);

		if (strncmp(resolved, refused[i], length) == 0 &&
		    (resolved[length] == '\0' || resolved[length] == '/'))
			return false;
	}
	return true;
}

/* Where fd is, relative to the container root: "/data" for ROOTFS_ROOT "/data". */
static int resolved_target(int fd, char *buf, size_t size)
{
	char link[64], where[4096];
	size_t root_length = strlen(ROOTFS_ROOT);
	ssize_t n = readlink(inroot_fd_path(fd, link, sizeof(link)), where, sizeof(where) - 1);

	if (n < 0)
		return negative_errno();
	where[n] = '\0';
	if (strncmp(where, ROOTFS_ROOT, root_length) != 0 ||
	    (where[root_length] != '/' && where[root_length] != '\0'))
		return -EXDEV;
	snprintf(buf, size, "%s", where[root_length] ? where + root_length : "/");
	return 0;
}

static int mount_volume(const struct config_volume *volume, const struct blockdev_list *disks,
			int root_fd, char resolved[VOLUME_PATH_MAX], char *err, size_t err_size)
{
	_cleanup_close_ int target_fd = -1;
	const struct blockdev *device;
	char what[192], path[64];
	unsigned long flags = MS_NOSUID | MS_NODEV | (volume->read_only ? MS_RDONLY : 0);
	int r;

	blockdev_describe(&volume->disk, what, sizeof(what));
	r = blockdev_find(disks, &volume->disk, &device);
	if (r < 0) {
		snprintf(err, err_size, "volume %s for '%s': %s", what, volume->target,
			 r == -ENOTUNIQ ? "more than one disk matches" : "not found");
		return r;
	}
	if (device->fstype[0] == '\0') {
		snprintf(err, err_size, "volume %s ('%s'): no filesystem on it", what,
			 device->node);
		return -EMEDIUMTYPE;
	}

	/*
	 * FIXME: missing directories are created before the target is judged, so a refused
	 * target (say /proc/x) leaves them behind in the image.
	 */
	r = inroot_open_dir(root_fd, volume->target, true, &target_fd);
	if (r == 0)
		r = resolved_target(target_fd, resolved, VOLUME_PATH_MAX);
	if (r < 0) {
		snprintf(err, err_size, "volume target '%s': %s", volume->target, strerror(-r));
		return r;
	}
	if (!volume_target_allowed(resolved)) {
		snprintf(err, err_size,
			 "volume target '%s' (inside the root: '%s') is refused: volumes may not "
			 "cover '/', '/proc', '/sys' or '/dev'",
			 volume->target, resolved);
		return -EPERM;
	}

	/* Mount through the descriptor: nothing can swap the path between check and mount. */
	if (mount(device->node, inroot_fd_path(target_fd, path, sizeof(path)), device->fstype,
		  flags, volume->options) < 0) {
		r = negative_errno();
		snprintf(err, err_size, "mount volume %s ('%s', %s) at '%s': %s", what,
			 device->node, device->fstype, volume->target, strerror(-r));
		return r;
	}
	return 0;
}

int volume_mount_all(const struct config *config, const struct blockdev_list *disks, int root_fd,
		     struct volume_mounts *ret, char *err, size_t err_size)
{
	for (size_t i = 0; i < config->n_volumes; i++) {
		int r = mount_volume(&config->volumes[i], disks, root_fd, ret->resolved[i], err,
				     err_size);

		if (r < 0) {
			ret->failed = i;
			return r;
		}
	}
	return 0;
}
