/* SPDX-License-Identifier: MIT */
/*
 * Which transport carries the host channel, as written on the kernel command line
 * (tether.channel=) or in config.json ("channel"):
 *
 *   virtio-serial[:NAME]   the virtio-serial port named NAME (default org.tether.control)
 *   vsock:[CID:]PORT       AF_VSOCK stream to CID (default 2, the host) on PORT
 *   serial[:DEVICE]        a serial port under /dev (default ttyS1)
 *   none                   no channel
 */
#ifndef TETHER_TRANSPORT_H
#define TETHER_TRANSPORT_H

#include <stddef.h>

#define TRANSPORT_NAME_MAX 64
#define TRANSPORT_VSOCK_HOST_CID 2u
#define TRANSPORT_DEFAULT_SERIAL "ttyS1"

enum transport_kind {
	TRANSPORT_VIRTIO_SERIAL,
	TRANSPORT_VSOCK,
	TRANSPORT_SERIAL,
	TRANSPORT_NONE,
};

struct transport {
	enum transport_kind kind;
	char name[TRANSPORT_NAME_MAX]; /* virtio-serial port name or serial device */
	unsigned int cid;	       /* vsock */
	unsigned int port;	       /* vsock */
};

/* The default: the virtio-serial port org.tether.control. */
void transport_default(struct transport *ret);

/* Parse a transport. Returns 0 or -EINVAL with the reason in err. */
int transport_parse(const char *text, struct transport *ret, char *err, size_t err_size);

/* The transport as it is written ("vsock:2:1024"). */
const char *transport_format(const struct transport *transport, char *buf, size_t size);

#endif
