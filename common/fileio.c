// SPDX-License-Identifier: MIT
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"

int fileio_read(const char *path, size_t max_size, char **ret_text, size_t *ret_size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t size = 0, capacity = 0;

	if (fd < 0)
		return negative_errno();

	/* Files under /proc and /sys report no size: read until EOF instead of trusting stat. */
	for (;;) {
		if (size == capacity) {
			size_t grown = capacity ? capacity * 2 : 4096;
			char *bigger;

			if (grown > max_size + 1)
				grown = max_size + 1;
			if (grown <= size)
				return -EFBIG;
			bigger = realloc(text, grown);
			if (!bigger)
				return -ENOMEM;
			text = bigger;
			capacity = grown;
		}

		ssize_t n = read(fd, text + size, capacity - size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (n == 0)
			break;
		size += (size_t)n;
		if (size > max_size)
			return -EFBIG;
	}

	if (size == capacity) {
		char *bigger = realloc(text, size + 1);

		if (!bigger)
			return -ENOMEM;
		text = bigger;
	}
	text[size] = '\0';
	*ret_text = take_ptr(text);
	if (ret_size)
		*ret_size = size;
	return 0;
}

int fileio_write_all(int fd, const void *buf, size_t size)
{
	const char *p = buf;

	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		p += n;
		size -= (size_t)n;
	}
	return 0;
}
