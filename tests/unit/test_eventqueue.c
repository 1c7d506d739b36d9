// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tether/eventqueue.h"

static int push(struct eventqueue *queue, enum protocol_type type, uint64_t seq, bool kept,
		size_t length)
{
	struct event_line entry = { .type = type, .seq = seq, .kept = kept, .length = length };

	entry.line = malloc(length);
	assert_non_null(entry.line);
	memset(entry.line, 'x', length);
	return eventqueue_push(queue, &entry);
}

/* The seqs in the queue, front first, as "1 2 3". */
static const char *seqs(const struct eventqueue *queue)
{
	static char text[256];
	size_t used = 0;

	text[0] = '\0';
	for (size_t i = 0; i < queue->count; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%llu", i ? " " : "",
					 (unsigned long long)queue->lines[i].seq);
	return text;
}

static void test_eventqueue_keeps_order_and_counts_bytes(void **state)
{
	struct eventqueue queue;

	(void)state;
	assert_int_equal(eventqueue_init(&queue, 8, 1000), 0);
	assert_null(eventqueue_front(&queue));
	for (uint64_t seq = 1; seq <= 3; seq++)
		assert_int_equal(push(&queue, PROTOCOL_DISKS, seq, false, 10), 0);
	assert_string_equal(seqs(&queue), "1 2 3");
	assert_int_equal(queue.bytes, 30);
	assert_int_equal(eventqueue_front(&queue)->seq, 1);
	eventqueue_pop(&queue);
	assert_string_equal(seqs(&queue), "2 3");
	assert_int_equal(queue.bytes, 20);
	eventqueue_free(&queue);
}

static void test_eventqueue_full_drops_oldest_progress_never_kept(void **state)
{
	struct eventqueue queue;

	(void)state;
	assert_int_equal(eventqueue_init(&queue, 4, 1000), 0);
	assert_int_equal(push(&queue, PROTOCOL_HELLO, 1, true, 10), 0);
	assert_int_equal(push(&queue, PROTOCOL_DISKS, 2, false, 10), 0);
	assert_int_equal(push(&queue, PROTOCOL_ERROR, 3, true, 10), 0);
	assert_int_equal(push(&queue, PROTOCOL_MOUNTS, 4, false, 10), 0);
	/* Full: the oldest progress line (2) makes room. */
	assert_int_equal(push(&queue, PROTOCOL_STARTED, 5, false, 10), 0);
	assert_string_equal(seqs(&queue), "1 3 4 5");
	assert_int_equal(queue.dropped, 1);
	/* A kept line goes in even when only kept lines would be left to drop. */
	assert_int_equal(push(&queue, PROTOCOL_EXIT, 6, true, 10), 0);
	assert_int_equal(push(&queue, PROTOCOL_SHUTDOWN, 7, true, 10), 0);
	assert_string_equal(seqs(&queue), "1 3 6 7");
	assert_int_equal(queue.dropped, 3);
	/* ... but a progress line finds no room among kept ones: it is the one dropped. */
	assert_int_equal(push(&queue, PROTOCOL_TIMINGS, 8, false, 10), -ENOBUFS);
	assert_string_equal(seqs(&queue), "1 3 6 7");
	assert_int_equal(queue.dropped, 4);
	eventqueue_free(&queue);
}

static void test_eventqueue_byte_bound_drops_progress(void **state)
{
	struct eventqueue queue;

	(void)state;
	assert_int_equal(eventqueue_init(&queue, 100, 100), 0);
	assert_int_equal(push(&queue, PROTOCOL_DISKS, 1, false, 60), 0);
	assert_int_equal(push(&queue, PROTOCOL_MOUNTS, 2, false, 30), 0);
	assert_int_equal(push(&queue, PROTOCOL_STARTED, 3, false, 30), 0);
	assert_string_equal(seqs(&queue), "2 3");
	assert_int_equal(queue.bytes, 60);
	/* Larger than the bound all by itself: nothing can make room for it. */
	assert_int_equal(push(&queue, PROTOCOL_IMAGE, 4, false, 101), -ENOBUFS);
	assert_int_equal(queue.bytes, 0);
	eventqueue_free(&queue);
}

static void test_eventqueue_line_being_written_stays_whole(void **state)
{
	struct eventqueue queue;
	struct event_line hello = { .type = PROTOCOL_HELLO, .seq = 1, .kept = true, .length = 5 };

	(void)state;
	assert_int_equal(eventqueue_init(&queue, 2, 1000), 0);
	assert_int_equal(push(&queue, PROTOCOL_DISKS, 2, false, 10), 0);
	assert_int_equal(push(&queue, PROTOCOL_MOUNTS, 3, false, 10), 0);
	queue.front_written = 4;
	/* Line 2 is half out on the wire: 3 is dropped instead, and a line put first goes after 2.
	 */
	assert_int_equal(push(&queue, PROTOCOL_STARTED, 4, false, 10), 0);
	assert_string_equal(seqs(&queue), "2 4");
	queue.capacity = 3;
	hello.line = strdup("hello");
	assert_int_equal(eventqueue_push_front(&queue, &hello), 0);
	assert_string_equal(seqs(&queue), "2 1 4");
	eventqueue_pop(&queue);
	assert_int_equal(queue.front_written, 0);
	assert_string_equal(seqs(&queue), "1 4");
	eventqueue_free(&queue);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eventqueue_keeps_order_and_counts_bytes),
		cmocka_unit_test(test_eventqueue_full_drops_oldest_progress_never_kept),
		cmocka_unit_test(test_eventqueue_byte_bound_drops_progress),
		cmocka_unit_test(test_eventqueue_line_being_written_stays_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
