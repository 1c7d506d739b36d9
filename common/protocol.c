// SPDX-License-Identifier: MIT
#include "protocol.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "signals.h"

static const char *const type_names[] = {
	[PROTOCOL_HELLO] = "hello",	[PROTOCOL_DISKS] = "disks",
	[PROTOCOL_CONFIG] = "config",	[PROTOCOL_IMAGE] = "image",
	[PROTOCOL_MOUNTS] = "mounts",	[PROTOCOL_STARTED] = "started",
	[PROTOCOL_EXIT] = "exit",	[PROTOCOL_ERROR] = "error",
	[PROTOCOL_TIMINGS] = "timings", [PROTOCOL_SHUTDOWN] = "shutdown",
	[PROTOCOL_SIGNAL] = "signal",	[PROTOCOL_STOP] = "stop",
	[PROTOCOL_ACK] = "ack",		[PROTOCOL_COMMIT] = "commit",
};

void protocol_seed_json(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	json_object_seed((size_t)now.tv_nsec | 1u);
}

const char *protocol_type_name(enum protocol_type type)
{
	if ((size_t)type >= ARRAY_SIZE(type_names))
		return NULL;
	return type_names[type];
}

enum protocol_type protocol_type_from_name(const char *name)
{
	for (size_t i = 1; i < ARRAY_SIZE(type_names); i++) {
		if (strcmp(type_names[i], name) == 0)
			return (enum protocol_type)i;
	}
	return PROTOCOL_UNKNOWN;
}

/* --- decoding --- */

static int invalid(char *err, size_t err_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int invalid(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A whole number in [min, max] under key; absent is -ENOENT when not required. */
static int get_uint(json_t *object, const char *key, bool required, uint64_t min, uint64_t max,
		    uint64_t *ret, char *err, size_t err_size)
{
	json_t *value = json_object_get(object, key);
	json_int_t n;

	if (!value) {
		if (!required)
			return -ENOENT;
		return invalid(err, err_size, "'%s' is missing", key);
	}
	if (!json_is_integer(value))
		return invalid(err, err_size, "'%s' is not a whole number", key);
	n = json_integer_value(value);
	if (n < 0 || (uint64_t)n < min || (uint64_t)n > max)
		return invalid(err, err_size, "'%s' is %lld, not between %llu and %llu", key,
			       (long long)n, (unsigned long long)min, (unsigned long long)max);
	*ret = (uint64_t)n;
	return 0;
}

static int decode_signal(struct protocol_message *m, char *err, size_t err_size)
{
	json_t *value = json_object_get(m->json, "signal");
	uint64_t number;
	int r;

	if (json_is_string(value)) {
		r = signals_from_name(json_string_value(value));
		if (r < 0)
			return invalid(err, err_size, "'signal': '%s' is not a signal",
				       json_string_value(value));
		m->signal.signal = r;
		return 0;
	}
	if (value && !json_is_integer(value))
		return invalid(err, err_size, "'signal' is neither a name nor a number");
	r = get_uint(m->json, "signal", true, 1, (uint64_t)SIGRTMAX, &number, err, err_size);
	if (r < 0)
		return r;
	m->signal.signal = (int)number;
	return 0;
}

static int decode_stop(struct protocol_message *m, char *err, size_t err_size)
{
	uint64_t grace;
	int r = get_uint(m->json, "grace_ms", false, 0, PROTOCOL_GRACE_MAX_MS, &grace, err,
			 err_size);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	m->stop.has_grace = true;
	m->stop.grace_ms = (unsigned int)grace;
	return 0;
}

static int decode_ack(struct protocol_message *m, char *err, size_t err_size)
{
	return get_uint(m->json, "ack", true, 1, PROTOCOL_INTEGER_MAX, &m->ack.seq, err, err_size);
}

static int decode_fields(struct protocol_message *m, char *err, size_t err_size)
{
	json_t *type = json_object_get(m->json, "type");
	int r;

	if (!type)
		return invalid(err, err_size, "'type' is missing");
	if (!json_is_string(type))
		return invalid(err, err_size, "'type' is not a string");
	m->type = protocol_type_from_name(json_string_value(type));

	r = get_uint(m->json, "seq", true, 1, PROTOCOL_INTEGER_MAX, &m->seq, err, err_size);
	if (r == 0)
		r = get_uint(m->json, "ts_us", true, 0, PROTOCOL_INTEGER_MAX, &m->ts_us, err,
			     err_size);
	if (r < 0)
		return r;

	switch (m->type) {
	case PROTOCOL_SIGNAL:
		return decode_signal(m, err, err_size);
	case PROTOCOL_STOP:
		return decode_stop(m, err, err_size);
	case PROTOCOL_ACK:
		return decode_ack(m, err, err_size);
	default:
		return 0;
	}
}

int protocol_decode(const char *line, size_t length, struct protocol_message *ret, char *err,
		    size_t err_size)
{
	struct protocol_message m = { 0 };
	json_error_t error;
	int r;

	if (length >= PROTOCOL_LINE_MAX)
		return invalid(err, err_size, "line of %zu bytes, longer than %d", length,
			       PROTOCOL_LINE_MAX - 1);
	/* Rejects invalid UTF-8, "\u0000", numbers beyond 64 bits and trailing bytes. */
	m.json = json_loadb(line, length, JSON_REJECT_DUPLICATES, &error);
	if (!m.json)
		return invalid(err, err_size, "column %d: %s", error.column, error.text);
	if (!json_is_object(m.json)) {
		json_decref(m.json);
		return invalid(err, err_size, "not a JSON object");
	}

	r = decode_fields(&m, err, err_size);
	if (r < 0) {
		json_decref(m.json);
		return r;
	}
	*ret = m;
	return 0;
}

void protocol_message_release(struct protocol_message *message)
{
	json_decref(message->json);
	message->json = NULL;
}

/* --- encoding --- */

int protocol_encode(enum protocol_type type, uint64_t seq, uint64_t ts_us, json_t *body,
		    char **ret_line, size_t *ret_length)
{
	const char *name = protocol_type_name(type);
	json_t *message;
	size_t length;
	char *line;

	if (!name || seq > PROTOCOL_INTEGER_MAX || ts_us > PROTOCOL_INTEGER_MAX)
		return -EINVAL;
	if (body && (!json_is_object(body) || json_object_get(body, "type") ||
		     json_object_get(body, "seq") || json_object_get(body, "ts_us")))
		return -EINVAL;

	message = json_pack("{s:s, s:I, s:I}", "type", name, "seq", (json_int_t)seq, "ts_us",
			    (json_int_t)ts_us);
	if (!message || (body && json_object_update(message, body) < 0)) {
		json_decref(message);
		return -ENOMEM;
	}

	/* Compact output escapes control characters: the only newline is the one added. */
	length = json_dumpb(message, NULL, 0, JSON_COMPACT);
	if (length == 0 || length >= PROTOCOL_LINE_MAX) {
		json_decref(message);
		return length == 0 ? -ENOMEM : -E2BIG;
	}
	line = malloc(length + 2);
	if (!line) {
		json_decref(message);
		return -ENOMEM;
	}
	json_dumpb(message, line, length, JSON_COMPACT);
	json_decref(message);
	line[length] = '\n';
	line[length + 1] = '\0';

	*ret_line = line;
	*ret_length = length + 1;
	return 0;
}

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	size_t length;
	uint32_t code;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		length = 2, code = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		length = 3, code = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		length = 4, code = s[0] & 0x07;
	else
		return 0;
	if (length > n)
		return 0;
	for (size_t i = 1; i < length; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		code = (code << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) ||
	    (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
		return 0;
	return length;
}

json_t *protocol_string(const char *s)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *in = (const unsigned char *)s;
	size_t n, out_size = 0;
	_cleanup_free_ char *out = NULL;
	json_t *string;

	if (!s)
		return json_null();
	n = strlen(s);
	string = json_stringn(s, n);
	if (string)
		return string;

	/* Not UTF-8: each bad byte becomes three. */
	out = malloc(n * 3 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t length = utf8_sequence(in + i, n - i);

		if (length == 0) {
			memcpy(out + out_size, replacement, 3);
			out_size += 3;
			i++;
		} else {
			memcpy(out + out_size, in + i, length);
			out_size += length;
			i += length;
		}
	}
	return json_stringn(out, out_size);
}

/* --- framing --- */

int protocol_reader_init(struct protocol_reader *reader)
{
	*reader = (struct protocol_reader){ 0 };
	reader->buffer = malloc(PROTOCOL_LINE_MAX);
	return reader->buffer ? 0 : -ENOMEM;
}

void protocol_reader_free(struct protocol_reader *reader)
{
	free(reader->buffer);
	reader->buffer = NULL;
}

size_t protocol_reader_space(struct protocol_reader *reader, char **ret_space)
{
	/* Move the unread bytes to the front; next() has made room when the buffer is full. */
	if (reader->start > 0) {
		memmove(reader->buffer, reader->buffer + reader->start,
			reader->used - reader->start);
		reader->used -= reader->start;
		reader->start = 0;
	}
	*ret_space = reader->buffer + reader->used;
	return PROTOCOL_LINE_MAX - reader->used;
}

void protocol_reader_commit(struct protocol_reader *reader, size_t n)
{
	reader->used += n;
}

int protocol_reader_next(struct protocol_reader *reader, const char **ret_line, size_t *ret_length)
{
	for (;;) {
		char *begin = reader->buffer + reader->start;
		size_t available = reader->used - reader->start;
		char *newline = memchr(begin + reader->scanned, '\n', available - reader->scanned);

		if (newline) {
			size_t length = (size_t)(newline - begin);
			bool discarded = reader->discarding;

			reader->start += length + 1;
			reader->scanned = 0;
			reader->discarding = false;
			if (discarded)
				continue;
			*ret_line = begin;
			*ret_length = length;
			return 1;
		}
		reader->scanned = available;
		if (available < PROTOCOL_LINE_MAX)
			return 0;

		/* A full buffer and no newline: the line is too long; drop it to its end. */
		reader->start = reader->used = reader->scanned = 0;
		if (!reader->discarding) {
			reader->discarding = true;
			return -E2BIG;
		}
		return 0;
	}
}
