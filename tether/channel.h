/* SPDX-License-Identifier: MIT */
/*
 * The guest end of the host channel: events go out as protocol lines (common/protocol.h)
 * through a bounded queue, requests come in. Nothing here blocks: every write is
 * non-blocking, a missing or absent host is retried on a timer, and the caller's poll loop
 * drives it through channel_pollfd() and channel_handle(). The exit event is repeated until
 * the host acknowledges it.
 */
#ifndef TETHER_CHANNEL_H
#define TETHER_CHANNEL_H

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/protocol.h"
#include "eventqueue.h"
#include "transport.h"

enum channel_request_kind {
	CHANNEL_REQUEST_SIGNAL,
	CHANNEL_REQUEST_STOP,
};

struct channel_request {
	enum channel_request_kind kind;
	int signal;	/* CHANNEL_REQUEST_SIGNAL */
	bool has_grace; /* CHANNEL_REQUEST_STOP: without it, the configured grace */
	unsigned int grace_ms;
};

enum channel_state {
	CHANNEL_OFF,	    /* not opened, or transport none: events are discarded */
	CHANNEL_ABSENT,	    /* no port, device or listener yet: retried on a timer */
	CHANNEL_WAITING,    /* virtio-serial port open, no host on it: checked on a timer */
	CHANNEL_CONNECTING, /* vsock connect in progress */
	CHANNEL_CONNECTED,
};

struct channel {
	struct transport transport;
	enum channel_state state;
	int fd;
	int64_t retry_at_ms;
	unsigned int retry_ms;
	bool ever_connected;
	int last_error; /* of the last failed attempt, said once */
	const char *kernel_release;
	uint64_t next_seq;
	struct eventqueue queue;
	struct protocol_reader reader;
	/*
	 * Requests waiting for the supervisor, coalesced as the kernel coalesces signals: a
	 * signal asked for twice before it was sent goes once, and so does a stop (with the
	 * shortest grace asked for). Nothing a host sends can make this grow.
	 */
	uint64_t pending_signals; /* bit n-1 for signal n */
	bool stop_pending;
	bool stop_has_grace;
	unsigned int stop_grace_ms;
	unsigned int bad_messages;
	/* The hello, repeated first on every new connection, under its own seq. */
	char *hello_line;
	size_t hello_length;
	/* The exit event, repeated every second until acknowledged. */
	char *exit_line;
	size_t exit_length;
	uint64_t exit_seq;
	bool exit_queued;
	bool exit_acked;
	int64_t exit_resend_at_ms;
};

/* Make ch ready to queue events (CHANNEL_OFF until opened). Returns 0 or -ENOMEM. */
int channel_init(struct channel *ch, const char *kernel_release);

/*
 * Start using transport: queue a hello and try to connect now. Switching to another
 * transport keeps the queue. Never fails: a transport that is not there is retried.
 */
void channel_open(struct channel *ch, const struct transport *transport);

/*
 * Queue an event, with body's fields (taken over; may be NULL), and try to send. Events are
 * dropped, with a log line, only when the queue bound says so.
 */
void channel_send(struct channel *ch, enum protocol_type type, json_t *body);

/*
 * For a poll loop: the descriptor to watch in *ret (returns 1) or none (returns 0), and
 * *timeout_ms lowered to the next retry or resend (-1 means no timeout yet).
 */
int channel_pollfd(struct channel *ch, struct pollfd *ret, int *timeout_ms);
/* After poll: revents of that descriptor, or 0 when it was not watched or the time ran out. */
void channel_handle(struct channel *ch, short revents);

/* The next request the host sent: a stop first, then signals by number. */
bool channel_take_request(struct channel *ch, struct channel_request *ret);

/*
 * Send what is queued and wait for the exit event's acknowledgement, for at most
 * timeout_ms; returns at once when no host was ever there to talk to.
 */
void channel_finish(struct channel *ch, unsigned int timeout_ms);

/* Close the transport and free everything. */
void channel_close(struct channel *ch);

#endif
