/* SPDX-License-Identifier: MIT */
/*
 * The channel's queue of encoded lines waiting for the host. It is bounded in lines and
 * bytes; when full, the oldest progress lines make room, and lines marked kept (hello, exit,
 * error, shutdown) are never dropped. A line being written (front_written > 0) stays whole.
 */
#ifndef TETHER_EVENTQUEUE_H
#define TETHER_EVENTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/protocol.h"

struct event_line {
	char *line; /* owned, ends in '\n' */
	size_t length;
	enum protocol_type type;
	uint64_t seq;
	bool kept;
};

struct eventqueue {
	struct event_line *lines;
	size_t count;
	size_t capacity; /* progress lines are dropped beyond this many lines */
	size_t bytes;
	size_t max_bytes; /* ... or beyond this many bytes */
	size_t front_written;
	uint64_t dropped; /* progress lines dropped since the start */
};

/* Returns 0 or -ENOMEM. */
int eventqueue_init(struct eventqueue *queue, size_t capacity, size_t max_bytes);
void eventqueue_free(struct eventqueue *queue);

/*
 * Append a line, taking ownership of entry->line. Returns 0, or -ENOBUFS when a progress
 * line found no room even after dropping the others (it is dropped, counted and freed).
 */
int eventqueue_push(struct eventqueue *queue, struct event_line *entry);
/* Put a line first (before a line in progress only when nothing of it is written). */
int eventqueue_push_front(struct eventqueue *queue, struct event_line *entry);

/* The first line, or NULL. */
const struct event_line *eventqueue_front(const struct eventqueue *queue);
/* Drop the first line once written. */
void eventqueue_pop(struct eventqueue *queue);

#endif
