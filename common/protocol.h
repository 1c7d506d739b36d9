/* SPDX-License-Identifier: MIT */
/*
 * The host channel's protocol (docs/protocol.md), shared by tether and the host tools:
 * message names, framing of newline-delimited JSON lines, and the decoder every received
 * line goes through. Nothing here does I/O.
 */
#ifndef COMMON_PROTOCOL_H
#define COMMON_PROTOCOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTOCOL_VERSION 1
/* Longest line either side sends or accepts, the newline included. */
#define PROTOCOL_LINE_MAX 65536
/* Sequence numbers and timestamps stay exact in every JSON implementation. */
#define PROTOCOL_INTEGER_MAX ((1ull << 53) - 1)
/* Longest grace period a stop may ask for. */
#define PROTOCOL_GRACE_MAX_MS 3600000u

#define PROTOCOL_CONTROL_PORT "org.tether.control"
#define PROTOCOL_STDIN_PORT "org.tether.stdin"
#define PROTOCOL_STDOUT_PORT "org.tether.stdout"
#define PROTOCOL_STDERR_PORT "org.tether.stderr"

enum protocol_type {
	PROTOCOL_UNKNOWN, /* a name this side does not know: skipped, not an error */
	/* guest -> host */
	PROTOCOL_HELLO,
	PROTOCOL_DISKS,
	PROTOCOL_CONFIG,
	PROTOCOL_IMAGE,
	PROTOCOL_MOUNTS,
	PROTOCOL_STARTED,
	PROTOCOL_EXIT,
	PROTOCOL_ERROR,
	PROTOCOL_TIMINGS,
	PROTOCOL_SHUTDOWN,
	PROTOCOL_COMMIT,
	/* host -> guest */
	PROTOCOL_SIGNAL,
	PROTOCOL_STOP,
	PROTOCOL_ACK,
};

/*
 * Seed jansson's hash tables from the clock, before the first JSON object is made. jansson
 * would read /dev/urandom, which early in a boot waits about a second for entropy; the seed
 * guards against hash flooding, which bounded lines and configs cannot do much of.
 */
void protocol_seed_json(void);

/* "hello" for PROTOCOL_HELLO; NULL for PROTOCOL_UNKNOWN. */
const char *protocol_type_name(enum protocol_type type);
enum protocol_type protocol_type_from_name(const char *name);

/* A decoded line. json is the whole object, owned: release with protocol_message_release(). */
struct protocol_message {
	enum protocol_type type;
	uint64_t seq;
	uint64_t ts_us;
	union {
		struct {
			int signal;
		} signal;
		struct {
			bool has_grace; /* without it the guest's configured grace applies */
			unsigned int grace_ms;
		} stop;
		struct {
			uint64_t seq; /* of the message acknowledged */
		} ack;
	};
	json_t *json;
};

/*
 * Decode one line (without its newline). Every message needs "type", "seq" and "ts_us";
 * the host's messages are checked field by field, the guest's only for those three.
 * Returns 0, or -EINVAL with the reason in err (nothing to release then).
 */
int protocol_decode(const char *line, size_t length, struct protocol_message *ret, char *err,
		    size_t err_size);
void protocol_message_release(struct protocol_message *message);

/*
 * Encode a message: "type", "seq" and "ts_us" first, then the fields of body (an object or
 * NULL, not changed). *ret_line is a heap string ending in '\n', *ret_length its length. Returns 0,
 * -E2BIG when the line would be longer than PROTOCOL_LINE_MAX, -EINVAL when body sets one of the
 * three, or -ENOMEM.
 */
int protocol_encode(enum protocol_type type, uint64_t seq, uint64_t ts_us, json_t *body,
		    char **ret_line, size_t *ret_length);

/*
 * A JSON string of s, which may come from a disk label or an image: bytes that are not
 * UTF-8 become U+FFFD. NULL s gives JSON null. Returns NULL only when out of memory.
 */
json_t *protocol_string(const char *s);

/*
 * Splits a byte stream into lines. Bytes go in through protocol_reader_space() and
 * protocol_reader_commit(); lines come out of protocol_reader_next().
 */
struct protocol_reader {
	char *buffer; /* PROTOCOL_LINE_MAX bytes */
	size_t start; /* first byte not yet returned */
	size_t used;
	size_t scanned;	 /* bytes from start known to hold no newline */
	bool discarding; /* inside an overlong line: drop up to its newline */
};

int protocol_reader_init(struct protocol_reader *reader);
void protocol_reader_free(struct protocol_reader *reader);

/* Where the next bytes go, and how many fit (never 0). */
size_t protocol_reader_space(struct protocol_reader *reader, char **ret_space);
void protocol_reader_commit(struct protocol_reader *reader, size_t n);

/*
 * The next complete line, without its newline, valid until the next call. Returns 1 with a
 * line, 0 when no complete line is buffered, or -E2BIG once for each line longer than
 * PROTOCOL_LINE_MAX, whose bytes are dropped.
 */
int protocol_reader_next(struct protocol_reader *reader, const char **ret_line, size_t *ret_length);

#endif
