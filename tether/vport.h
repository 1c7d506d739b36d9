/* SPDX-License-Identifier: MIT */
/* virtio-serial ports, found by the name the host gave them. */
#ifndef TETHER_VPORT_H
#define TETHER_VPORT_H

#include <stdbool.h>
#include <stddef.h>

/* The device (/dev/vportNpM) of the port called name, in ret_path. Returns 0 or -ENOENT. */
int vport_find(const char *name, char *ret_path, size_t size);

/* Whether a host has the port open: without one the kernel reports POLLHUP. */
bool vport_host_connected(int fd);

#endif
