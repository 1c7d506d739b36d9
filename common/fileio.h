/* SPDX-License-Identifier: MIT */
#ifndef COMMON_FILEIO_H
#define COMMON_FILEIO_H

#include <stddef.h>

/*
 * Read a whole file of at most max_size bytes into a NUL-terminated heap buffer owned by the
 * caller. Returns 0, -EFBIG when the file is larger, or another -errno.
 */
int fileio_read(const char *path, size_t max_size, char **ret_text, size_t *ret_size);

/* Write all of buf to fd, retrying short writes and EINTR. Returns 0 or -errno. */
int fileio_write_all(int fd, const void *buf, size_t size);

#endif
