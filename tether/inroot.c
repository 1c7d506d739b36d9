// SPDX-License-Identifier: MIT
#include "inroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/cleanup.h"

/* The kernel's own limit on symlinks followed in one lookup. */
#define LINKS_MAX 40

static int open_in_root(int root_fd, const char *path, int *ret_fd)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, root_fd, path[0] ? path : ".", &how, sizeof(how));

	if (fd < 0)
		return negative_errno();
	*ret_fd = (int)fd;
	return 0;
}

static int create_dirs(int root_fd, const char *path, int *links);

/*
 * NAME is missing in the directory parent_fd, which PREFIX names: make it. A dangling symlink
 * is followed by creating, inside the tree, the directories its target names.
 */
static int create_component(int root_fd, int parent_fd, const char *prefix, const char *name,
			    int *links)
{
	char target[PATH_MAX], next[PATH_MAX];
	struct stat st;
	ssize_t length;
	int n;

	if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return negative_errno();
		if (mkdirat(parent_fd, name, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		return 0;
	}
	if (!S_ISLNK(st.st_mode))
		return -ENOTDIR;

	if (++*links > LINKS_MAX)
		return -ELOOP;
	length = readlinkat(parent_fd, name, target, sizeof(target) - 1);
	if (length < 0)
		return negative_errno();
	target[length] = '\0';

	/* Absolute targets start again at the top of the tree, relative ones at the parent. */
	if (target[0] == '/')
		n = snprintf(next, sizeof(next), "%s", target);
	else
		n = snprintf(next, sizeof(next), "%s/%s", prefix, target);
	if (n < 0 || (size_t)n >= sizeof(next))
		return -ENAMETOOLONG;
	return create_dirs(root_fd, next, links);
}

static int create_dirs(int root_fd, const char *path, int *links)
{
	char prefix[PATH_MAX] = "";
	const char *p = path;

	if (strlen(path) >= sizeof(prefix))
		return -ENAMETOOLONG;

	for (;;) {
		_cleanup_close_ int parent_fd = -1, child_fd = -1;
		char name[NAME_MAX + 1], candidate[PATH_MAX];
		size_t length;
		int n, r;

		while (*p == '/')
			p++;
		if (*p == '\0')
			return 0;
		length = strcspn(p, "/");
		if (length > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, p, length);
		name[length] = '\0';
		p += length;

		r = open_in_root(root_fd, prefix, &parent_fd);
		if (r < 0)
			return r;
		n = snprintf(candidate, sizeof(candidate), "%s/%s", prefix, name);
		if (n < 0 || (size_t)n >= sizeof(candidate))
			return -ENAMETOOLONG;
		/* Only ENOENT is ours to fix; any other error shows in the caller's final open. */
		if (open_in_root(root_fd, candidate, &child_fd) == -ENOENT) {
			r = create_component(root_fd, parent_fd, prefix, name, links);
			if (r < 0)
				return r;
		}

		/* candidate is exactly the next prefix, and it fit. */
		memcpy(prefix, candidate, (size_t)n + 1);
	}
}

int inroot_open_dir(int root_fd, const char *path, bool create, int *ret_fd)
{
	int links = 0;
	int r;

	r = open_in_root(root_fd, path, ret_fd);
	if (r != -ENOENT || !create)
		return r;

	r = create_dirs(root_fd, path, &links);
	if (r < 0)
		return r;
	return open_in_root(root_fd, path, ret_fd);
}

int inroot_open_file(int root_fd, const char *path, int flags, mode_t mode, int *ret_fd)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

	if (fd < 0)
		return negative_errno();
	*ret_fd = (int)fd;
	return 0;
}

const char *inroot_fd_path(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
	return buf;
}
