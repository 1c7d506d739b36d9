// SPDX-License-Identifier: MIT
#include "eventqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Kept lines may go past the bound; this many of them in all is still bounded memory. */
#define KEPT_EXTRA 64

int eventqueue_init(struct eventqueue *queue, size_t capacity, size_t max_bytes)
{
	*queue = (struct eventqueue){ .capacity = capacity, .max_bytes = max_bytes };
	queue->lines = calloc(capacity + KEPT_EXTRA, sizeof(*queue->lines));
	return queue->lines ? 0 : -ENOMEM;
}

void eventqueue_free(struct eventqueue *queue)
{
	for (size_t i = 0; i < queue->count; i++)
		free(queue->lines[i].line);
	free(queue->lines);
	*queue = (struct eventqueue){ 0 };
}

static void remove_at(struct eventqueue *queue, size_t index)
{
	queue->bytes -= queue->lines[index].length;
	free(queue->lines[index].line);
	memmove(queue->lines + index, queue->lines + index + 1,
		(queue->count - index - 1) * sizeof(*queue->lines));
	queue->count--;
}

static bool full(const struct eventqueue *queue, size_t length)
{
	return queue->count + 1 > queue->capacity || queue->bytes + length > queue->max_bytes;
}

/* Drop the oldest progress lines until length more bytes fit; returns whether they do. */
static bool make_room(struct eventqueue *queue, size_t length)
{
	size_t i = queue->front_written > 0 ? 1 : 0;

	while (full(queue, length) && i < queue->count) {
		if (queue->lines[i].kept) {
			i++;
			continue;
		}
		remove_at(queue, i);
		queue->dropped++;
	}
	return !full(queue, length);
}

static int insert(struct eventqueue *queue, bool at_front, struct event_line *entry)
{
	size_t index;

	if (!make_room(queue, entry->length) &&
	    (!entry->kept || queue->count >= queue->capacity + KEPT_EXTRA)) {
		free(entry->line);
		entry->line = NULL;
		queue->dropped++;
		return -ENOBUFS;
	}
	/* After make_room(): it may have shortened the queue. */
	index = !at_front ? queue->count : queue->front_written > 0 ? 1 : 0;
	memmove(queue->lines + index + 1, queue->lines + index,
		(queue->count - index) * sizeof(*queue->lines));
	queue->lines[index] = *entry;
	queue->count++;
	queue->bytes += entry->length;
	entry->line = NULL;
	return 0;
}

int eventqueue_push(struct eventqueue *queue, struct event_line *entry)
{
	return insert(queue, false, entry);
}

int eventqueue_push_front(struct eventqueue *queue, struct event_line *entry)
{
	return insert(queue, true, entry);
}

const struct event_line *eventqueue_front(const struct eventqueue *queue)
{
	return queue->count > 0 ? &queue->lines[0] : NULL;
}

void eventqueue_pop(struct eventqueue *queue)
{
	if (queue->count == 0)
		return;
	remove_at(queue, 0);
	queue->front_written = 0;
}
