// SPDX-License-Identifier: MIT
#include "earlyfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"

struct early_mount {
	const char *source;
	const char *target;
	const char *type;
	unsigned long flags;
	const char *options;
};

static const struct early_mount early_mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666" },
	{ "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" },
	{ "run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755" },
};

/* EBUSY: the kernel or a previous init already mounted something there, which is fine. */
static int mount_one(const char *source, const char *target, const char *type, unsigned long flags,
		     const char *options)
{
	if (mkdir(target, 0755) < 0 && errno != EEXIST)
		return negative_errno();
	if (mount(source, target, type, flags, options) < 0 && errno != EBUSY)
		return negative_errno();
	return 0;
}

int earlyfs_mount_dev(void)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	if (r < 0)
		return r;

	/*
	 * The kernel opens /dev/console for init only if the initramfs has that node; ours has
	 * no device nodes, so stdio starts closed and is set up here.
	 */
	fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	if (fd <= STDERR_FILENO) {
		/* Move it out of the way, or the loop below would close the fd it just set up. */
		int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);

		if (moved < 0)
			return negative_errno();
		close(fd);
		fd = moved;
	}
	for (int target = STDIN_FILENO; target <= STDERR_FILENO; target++) {
		if (dup2(fd, target) < 0)
			return negative_errno();
	}
	return 0;
}

int earlyfs_mount_rest(const char **ret_failed)
{
	for (size_t i = 0; i < ARRAY_SIZE(early_mounts); i++) {
		const struct early_mount *m = &early_mounts[i];
		int r = mount_one(m->source, m->target, m->type, m->flags, m->options);

		if (r < 0) {
			*ret_failed = m->target;
			return r;
		}
	}
	return 0;
}

bool earlyfs_owns(const char *target)
{
	if (strcmp(target, "/dev") == 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(early_mounts); i++) {
		if (strcmp(target, early_mounts[i].target) == 0)
			return true;
	}
	return false;
}

int earlyfs_write_sysctl(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return negative_errno();
	return fileio_write_all(fd, text, strlen(text));
}
