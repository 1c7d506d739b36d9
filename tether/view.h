/* SPDX-License-Identifier: MIT */
/*
 * What the workload sees besides its image: a fresh /proc, a read-only /sys, a minimal /dev,
 * tether's own /etc/hostname, /etc/hosts and /etc/resolv.conf, and a loopback interface.
 */
#ifndef TETHER_VIEW_H
#define TETHER_VIEW_H

#include <stddef.h>

/* Set the view up inside the root at root_fd. Returns 0 or -errno with a message in err. */
int view_setup(int root_fd, const char *hostname, char *err, size_t err_size);

#endif
