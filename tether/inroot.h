/* SPDX-License-Identifier: MIT */
/*
 * Paths resolved inside a tree as if its top were "/": absolute symlinks, relative symlinks
 * and ".." can never lead out of it (openat2 with RESOLVE_IN_ROOT). This is how volume
 * targets and other paths named by an image are found without trusting the image.
 */
#ifndef TETHER_INROOT_H
#define TETHER_INROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Open PATH, a directory inside the tree at root_fd, as an O_PATH descriptor in *ret_fd.
 * With create, missing directories are made (mode 0755) where resolution inside the tree puts
 * them, also where a dangling symlink points. Returns 0, -ENOENT (missing, without create),
 * -ENOTDIR, -ELOOP (too many symlinks), -ENAMETOOLONG or another -errno.
 */
int inroot_open_dir(int root_fd, const char *path, bool create, int *ret_fd);

/*
 * Open the file PATH inside the tree at root_fd with open flags (O_CREAT allowed, then with
 * mode), symlinks resolved inside the tree. Returns 0 with the descriptor in *ret_fd or -errno.
 */
int inroot_open_file(int root_fd, const char *path, int flags, mode_t mode, int *ret_fd);

/* "/proc/self/fd/N": a path that mount(2) resolves to exactly what fd refers to. */
const char *inroot_fd_path(int fd, char *buf, size_t size);

#endif
