/* SPDX-License-Identifier: MIT */
/*
 * Scope-bound cleanup for the resources every program here handles: heap memory, file
 * descriptors and stdio streams. A variable declared with one of these attributes is released
 * when it goes out of scope; take_ptr()/take_fd() hand ownership on.
 */
#ifndef COMMON_CLEANUP_H
#define COMMON_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(const int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))

#define take_ptr(p)                         \
	({                                  \
		__typeof__(p) taken_ = (p); \
		(p) = NULL;                 \
		taken_;                     \
	})

#define take_fd(fd)                \
	({                         \
		int taken_ = (fd); \
		(fd) = -1;         \
		taken_;            \
	})

/* The negative errno of the last failed libc call, never 0 (a lost errno reads as EIO). */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
