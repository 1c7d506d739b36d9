/* SPDX-License-Identifier: MIT */
#ifndef TETHER_MOUNTINFO_H
#define TETHER_MOUNTINFO_H

#include <stddef.h>

struct mountinfo_list {
	char **targets; /* mount points, decoded, in the order they were mounted */
	size_t count;
};

/*
 * Parse the text of /proc/PID/mountinfo. Octal escapes ("\040") in mount points are decoded.
 * Returns 0, -EINVAL on a line that is not mountinfo, or -ENOMEM.
 */
int mountinfo_parse(const char *text, struct mountinfo_list *ret);

/* Read and parse /proc/self/mountinfo. Returns 0 or -errno. */
int mountinfo_read(struct mountinfo_list *ret);

void mountinfo_list_free(struct mountinfo_list *list);

#endif
