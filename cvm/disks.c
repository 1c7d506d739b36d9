// SPDX-License-Identifier: MIT
#include "disks.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "spawn.h"

int disks_mkdir_parents(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);

	if (!copy)
		return -ENOMEM;
	for (char *slash = strchr(copy + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		if (!slash)
			return 0;
		*slash = '/';
	}
}

int disks_make_ext4(const char *path, uint64_t size, const char *label)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	char *argv[] = {
		"mke2fs", "-q", "-t", "ext4", "-F", "-L", (char *)label, "-E",
		/* Done now, on a sparse file, not by the guest's kernel in the background. */
		"lazy_itable_init=0,lazy_journal_init=0", (char *)path, NULL
	};
	int status;

	if (fd < 0)
		return negative_errno();
	if (ftruncate(fd, (off_t)size) < 0)
		return negative_errno();
	status = spawn_run(argv, NULL);
	if (status < 0)
		return status;
	return status == 0 ? 0 : -EIO;
}

int disks_named_volume(const char *store, const char *name, char **ret_path)
{
	_cleanup_free_ char *directory = NULL, *path = NULL, *staging = NULL;
	int r;

	if (asprintf(&directory, "%s/volumes", store) < 0)
		return -ENOMEM;
	if (asprintf(&path, "%s/%s.ext4", directory, name) < 0)
		return -ENOMEM;
	if (access(path, F_OK) == 0) {
		*ret_path = take_ptr(path);
		return 0;
	}
	r = disks_mkdir_parents(directory);
	if (r < 0)
		return r;
	if (asprintf(&staging, "%s/.%s.ext4.%d.tmp", directory, name, (int)getpid()) < 0)
		return -ENOMEM;

	unlink(staging);
	r = disks_make_ext4(staging, DISKS_VOLUME_SIZE, "volume");
	/* link() never replaces: a volume another cvm made meanwhile stays, and we use it. */
	if (r == 0 && link(staging, path) < 0)
		r = errno == EEXIST ? 0 : negative_errno();
	else if (r == 0)
		r = 1;
	unlink(staging);
	if (r < 0)
		return r;
	*ret_path = take_ptr(path);
	return r;
}
