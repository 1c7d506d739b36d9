// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the channel's decoder: the input is a byte stream as a host (or a
 * broken one) might send it, fed to the line reader in pieces whose sizes come from the
 * input itself. Every line either decodes into a message whose fields are in their
 * documented ranges, or fails with a message; no line longer than the limit comes out.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *line, size_t length)
{
	struct protocol_message m;
	char err[256];

	if (length >= PROTOCOL_LINE_MAX || memchr(line, '\n', length))
		abort();
	err[0] = '\0';
	if (protocol_decode(line, length, &m, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (m.seq < 1 || m.seq > PROTOCOL_INTEGER_MAX || m.ts_us > PROTOCOL_INTEGER_MAX ||
	    !json_is_object(m.json))
		abort();
	if (m.type == PROTOCOL_SIGNAL && (m.signal.signal < 1 || m.signal.signal > SIGRTMAX))
		abort();
	if (m.type == PROTOCOL_STOP && m.stop.has_grace && m.stop.grace_ms > PROTOCOL_GRACE_MAX_MS)
		abort();
	if (m.type == PROTOCOL_ACK && (m.ack.seq < 1 || m.ack.seq > PROTOCOL_INTEGER_MAX))
		abort();
	protocol_message_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct protocol_reader reader;
	size_t step, at = 0;

	if (size == 0 || protocol_reader_init(&reader) < 0)
		return 0;
	/* The first byte picks the piece size: 1 to 256 bytes at a time. */
	step = (size_t)data[0] + 1;
	data++;
	size--;
	while (at < size) {
		const char *line;
		char *space;
		size_t length, room = protocol_reader_space(&reader, &space);
		size_t n = size - at < step ? size - at : step;
		int r;

		if (n > room)
			n = room;
		memcpy(space, data + at, n);
		protocol_reader_commit(&reader, n);
		at += n;
		while ((r = protocol_reader_next(&reader, &line, &length)) != 0) {
			if (r == 1)
				check_line(line, length);
			else if (r != -E2BIG)
				abort();
		}
	}
	protocol_reader_free(&reader);
	return 0;
}
