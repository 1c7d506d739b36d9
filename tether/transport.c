// SPDX-License-Identifier: MIT
#include "transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/protocol.h"

void transport_default(struct transport *ret)
{
	*ret = (struct transport){ .kind = TRANSPORT_VIRTIO_SERIAL };
	snprintf(ret->name, sizeof(ret->name), "%s", PROTOCOL_CONTROL_PORT);
}

/* A decimal number in [min, max] that is all of text. */
static int parse_number(const char *text, unsigned long min, unsigned long max, unsigned int *ret)
{
	unsigned long value;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || *end || value < min || value > max)
		return -EINVAL;
	*ret = (unsigned int)value;
	return 0;
}

static int parse_vsock(const char *address, struct transport *ret, char *err, size_t err_size)
{
	char cid[16];
	const char *colon = strchr(address, ':');
	const char *port = colon ? colon + 1 : address;

	ret->cid = TRANSPORT_VSOCK_HOST_CID;
	if (colon) {
		if ((size_t)(colon - address) >= sizeof(cid) || colon == address)
			goto bad;
		memcpy(cid, address, (size_t)(colon - address));
		cid[colon - address] = '\0';
		/* CID 0 is the hypervisor and -1 means any: neither can be connected to. */
		if (parse_number(cid, 1, 0xfffffffeul, &ret->cid) < 0)
			goto bad;
	}
	if (parse_number(port, 1, 0xfffffffeul, &ret->port) < 0)
		goto bad;
	return 0;
bad:
	snprintf(err, err_size, "'vsock:%s' is not vsock:[CID:]PORT with whole numbers", address);
	return -EINVAL;
}

/* A port name or a device under /dev: one path component of printable characters. */
static int parse_name(const char *kind, const char *name, struct transport *ret, char *err,
		      size_t err_size)
{
	size_t length = strlen(name);

	if (length == 0 || length >= sizeof(ret->name) || strchr(name, '/') ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(err, err_size, "'%s:%s' does not name a %s", kind, name,
			 ret->kind == TRANSPORT_SERIAL ? "device under /dev" : "port");
		return -EINVAL;
	}
	for (size_t i = 0; i < length; i++) {
		if ((unsigned char)name[i] <= ' ' || (unsigned char)name[i] >= 0x7f) {
			snprintf(err, err_size, "'%s:...' has a space or control character", kind);
			return -EINVAL;
		}
	}
	memcpy(ret->name, name, length + 1);
	return 0;
}

int transport_parse(const char *text, struct transport *ret, char *err, size_t err_size)
{
	struct transport t = { 0 };
	const char *colon = strchr(text, ':');
	size_t kind_length = colon ? (size_t)(colon - text) : strlen(text);
	int r = 0;

#define IS(word) (kind_length == strlen(word) && strncmp(text, word, kind_length) == 0)
	if (IS("virtio-serial")) {
		transport_default(&t);
		if (colon)
			r = parse_name("virtio-serial", colon + 1, &t, err, err_size);
	} else if (IS("serial")) {
		t.kind = TRANSPORT_SERIAL;
		snprintf(t.name, sizeof(t.name), "%s", TRANSPORT_DEFAULT_SERIAL);
		if (colon)
			r = parse_name("serial", colon + 1, &t, err, err_size);
	} else if (IS("vsock") && colon) {
		t.kind = TRANSPORT_VSOCK;
		r = parse_vsock(colon + 1, &t, err, err_size);
	} else if (IS("none") && !colon) {
		t.kind = TRANSPORT_NONE;
	} else {
		snprintf(err, err_size,
			 "'%s' is not virtio-serial[:NAME], vsock:[CID:]PORT, serial[:DEVICE] or "
			 "none",
			 text);
		return -EINVAL;
	}
#undef IS
	if (r < 0)
		return r;
	*ret = t;
	return 0;
}

const char *transport_format(const struct transport *transport, char *buf, size_t size)
{
	switch (transport->kind) {
	case TRANSPORT_VIRTIO_SERIAL:
		snprintf(buf, size, "virtio-serial:%s", transport->name);
		break;
	case TRANSPORT_VSOCK:
		snprintf(buf, size, "vsock:%u:%u", transport->cid, transport->port);
		break;
	case TRANSPORT_SERIAL:
		snprintf(buf, size, "serial:%s", transport->name);
		break;
	case TRANSPORT_NONE:
		snprintf(buf, size, "none");
		break;
	}
	return buf;
}
