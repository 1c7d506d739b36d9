// SPDX-License-Identifier: MIT
#include "volume.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "inroot.h"
#include "log.h"
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

/*
 * Whether the ext2/3/4 filesystem on node was never mounted: its superblock (at byte 1024)
 * has the magic 0xEF53 at offset 0x38, and a last mount time (0x2C) and mount count (0x34)
 * of zero, as mke2fs leaves them.
 */
static bool ext_never_mounted(const char *node)
{
	_cleanup_close_ int fd = open(node, O_RDONLY | O_CLOEXEC);
	unsigned char super[0x40];
	uint32_t mtime;
	uint16_t magic, count;

	if (fd < 0 || pread(fd, super, sizeof(super), 1024) != (ssize_t)sizeof(super))
		return false;
	memcpy(&mtime, super + 0x2C, sizeof(mtime));
	memcpy(&count, super + 0x34, sizeof(count));
	memcpy(&magic, super + 0x38, sizeof(magic));
	return le16toh(magic) == 0xEF53 && le32toh(mtime) == 0 && le16toh(count) == 0;
}

/* Whether the directory at dir_fd (O_PATH) holds nothing but lost+found. */
static bool dir_is_empty(int dir_fd)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;
	bool empty = true;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (empty && (entry = readdir(dir)))
		empty = strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
			strcmp(entry->d_name, "lost+found") == 0;
	closedir(dir);
	return empty;
}

/*
 * A new volume (a filesystem never mounted, empty) takes the owner and mode of the image's
 * directory it covers, as a container runtime's new volume does: a volume at /home/app is the
 * user app's to write. What the image has in that directory is not copied.
 */
static void adopt_target(const struct config_volume *volume, int root_fd, const struct stat *under)
{
	_cleanup_close_ int fd = -1;
	char path[64];

	if (inroot_open_dir(root_fd, volume->target, false, &fd) < 0 || !dir_is_empty(fd))
		return;
	inroot_fd_path(fd, path, sizeof(path));
	if (chown(path, under->st_uid, under->st_gid) < 0 ||
	    chmod(path, under->st_mode & 07777) < 0)
		log_warning("new volume at '%s': take owner %u:%u and mode %04o: %s",
			    volume->target, (unsigned)under->st_uid, (unsigned)under->st_gid,
			    (unsigned)(under->st_mode & 07777), strerror(errno));
	else
		log_info("new volume at '%s': owner %u:%u and mode %04o of the image's directory",
			 volume->target, (unsigned)under->st_uid, (unsigned)under->st_gid,
			 (unsigned)(under->st_mode & 07777));
}

static int mount_volume(const struct config *config, size_t index,
			const struct blockdev_list *disks, int root_fd,
			struct volume_mounts *mounts, char *err, size_t err_size)
{
	const struct config_volume *volume = &config->volumes[index];
	char *resolved = mounts->resolved[index];
	_cleanup_close_ int target_fd = -1;
	const struct blockdev *device;
	char what[192], path[64];
	unsigned long flags = MS_NOSUID | MS_NODEV | (volume->read_only ? MS_RDONLY : 0);
	struct stat under;
	bool fresh;
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
	/* Two targets an image's symlinks make one: the second would hide the first. */
	for (size_t i = 0; i < config->n_volumes; i++) {
		if (i != index && mounts->resolved[i][0] &&
		    strcmp(mounts->resolved[i], resolved) == 0) {
			snprintf(err, err_size,
				 "volume targets '%s' and '%s' are the same place inside the root "
				 "('%s')",
				 config->volumes[i].target, volume->target, resolved);
			return -EEXIST;
		}
	}
	if (!volume_target_allowed(resolved)) {
		snprintf(err, err_size,
			 "volume target '%s' (inside the root: '%s') is refused: volumes may not "
			 "cover '/', '/proc', '/sys' or '/dev'",
			 volume->target, resolved);
		return -EPERM;
	}

	fresh = !volume->read_only && strncmp(device->fstype, "ext", 3) == 0 &&
		ext_never_mounted(device->node) && fstat(target_fd, &under) == 0;

	/* Mount through the descriptor: nothing can swap the path between check and mount. */
	if (mount(device->node, inroot_fd_path(target_fd, path, sizeof(path)), device->fstype,
		  flags, volume->options) < 0) {
		r = negative_errno();
		snprintf(err, err_size, "mount volume %s ('%s', %s) at '%s': %s", what,
			 device->node, device->fstype, volume->target, strerror(-r));
		return r;
	}
	if (fresh)
		adopt_target(volume, root_fd, &under);
	return 0;
}

/* How deep a target is, its "." and ".." taken as the root resolves them: "/x/./y/.." is 1. */
static size_t target_depth(const char *target)
{
	size_t depth = 0;

	for (const char *p = target; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			depth -= depth > 0;
		else if (n > 0 && !(n == 1 && p[0] == '.'))
			depth++;
		p += n;
	}
	return depth;
}

int volume_mount_all(const struct config *config, const struct blockdev_list *disks, int root_fd,
		     struct volume_mounts *ret, char *err, size_t err_size)
{
	size_t order[CONFIG_VOLUMES_MAX];

	/* Empty until a volume's target is resolved: what mount_volume() compares with. */
	for (size_t i = 0; i < config->n_volumes; i++)
		ret->resolved[i][0] = '\0';

	/*
	 * Shallowest target first, as container runtimes do: /x then /x/y, whatever order the
	 * config gives, so that an outer volume never covers an inner one.
	 */
	for (size_t i = 0; i < config->n_volumes; i++) {
		size_t j = i;

		while (j > 0 && target_depth(config->volumes[order[j - 1]].target) >
					target_depth(config->volumes[i].target)) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (size_t k = 0; k < config->n_volumes; k++) {
		size_t i = order[k];
		int r = mount_volume(config, i, disks, root_fd, ret, err, err_size);

		if (r < 0) {
			ret->failed = i;
			return r;
		}
	}
	return 0;
}
