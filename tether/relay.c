// SPDX-License-Identifier: MIT
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/clock.h"
#include "log.h"
#include "vport.h"

#define HOST_CHECK_MS 50
#define STALL_CHECK_MS 250
/* How long a workload may wait on a port nobody has opened before it is said. */
#define WAITING_NOTICE_MS 5000

int relay_open(struct relay *relay, const char *port, int *ret_child_fd)
{
	_cleanup_close_ int port_fd = -1;
	char path[300];
	int pipe_fds[2];

	*relay = (struct relay){ .pipe_fd = -1, .port_fd = -1 };
	if (vport_find(port, path, sizeof(path)) < 0)
		return 0;
	port_fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (port_fd < 0)
		return negative_errno();
	relay->buffer = malloc(RELAY_BUFFER_SIZE);
	if (!relay->buffer)
		return -ENOMEM;
	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		int r = negative_errno();

		relay_close(relay);
		return r;
	}
	if (fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK) < 0) {
		int r = negative_errno();

		close(pipe_fds[0]);
		close(pipe_fds[1]);
		relay_close(relay);
		return r;
	}
	relay->port = port;
	relay->pipe_fd = pipe_fds[0];
	relay->port_fd = take_fd(port_fd);
	relay->host_connected = vport_host_connected(relay->port_fd);
	relay->host_was_connected = relay->host_connected;
	relay->opened_at_ms = clock_ms();
	*ret_child_fd = pipe_fds[1];
	return 1;
}

static bool buffer_empty(const struct relay *relay)
{
	return relay->head == relay->tail;
}

/* Read from the pipe into the free space; returns whether anything changed. */
static bool fill(struct relay *relay)
{
	ssize_t n;

	if (relay->pipe_fd < 0)
		return false;
	if (buffer_empty(relay))
		relay->head = relay->tail = 0;
	if (relay->tail == RELAY_BUFFER_SIZE)
		return false;
	do {
		n = read(relay->pipe_fd, relay->buffer + relay->tail,
			 RELAY_BUFFER_SIZE - relay->tail);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return false;
	if (n <= 0) {
		/* Every writer has gone: what the workload wrote has all been read. */
		close(relay->pipe_fd);
		relay->pipe_fd = -1;
		return true;
	}
	relay->tail += (size_t)n;
	return true;
}

/*
 * The port has no host. One that left is a reader gone: stop copying, close the pipe (the
 * workload's next write fails with EPIPE) and drop what is buffered. One that never came is
 * waited for, and said once. Returns whether anything changed.
 */
static bool host_missing(struct relay *relay)
{
	relay->retry_at_ms = clock_ms() + HOST_CHECK_MS;
	if (relay->host_was_connected) {
		log_info("port '%s': the host closed it, the workload's further output there "
			 "gets EPIPE",
			 relay->port);
		relay->error = -EPIPE;
		relay->head = relay->tail;
		if (relay->pipe_fd >= 0)
			close(relay->pipe_fd);
		relay->pipe_fd = -1;
		return true;
	}
	if (!relay->said_waiting && clock_ms() - relay->opened_at_ms >= WAITING_NOTICE_MS) {
		log_notice("port '%s': no host has opened it, the workload waits to write there",
			   relay->port);
		relay->said_waiting = true;
	}
	return false;
}

/* Write buffered bytes to the port; returns whether anything changed. */
static bool drain_buffer(struct relay *relay)
{
	ssize_t n;

	if (buffer_empty(relay))
		return false;
	if (relay->error) {
		/* A broken port: keep the workload going, drop its output. */
		relay->head = relay->tail;
		return true;
	}
	if (!relay->host_connected) {
		if (clock_ms() < relay->retry_at_ms)
			return false;
		relay->host_connected = vport_host_connected(relay->port_fd);
		if (!relay->host_connected)
			return host_missing(relay);
		relay->host_was_connected = true;
	}
	do {
		n = write(relay->port_fd, relay->buffer + relay->head, relay->tail - relay->head);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN) {
		/* No room in the port's queue, or its host has just gone. */
		relay->host_connected = vport_host_connected(relay->port_fd);
		relay->retry_at_ms = clock_ms() + HOST_CHECK_MS;
		return relay->host_connected ? false : host_missing(relay);
	}
	if (n <= 0) {
		relay->error = n < 0 ? negative_errno() : -EIO;
		return true;
	}
	relay->head += (size_t)n;
	relay->bytes += (uint64_t)n;
	return true;
}

size_t relay_pollfds(struct relay *relay, struct pollfd fds[2], int *timeout_ms)
{
	size_t n = 0;

	if (relay->pipe_fd >= 0 && relay->tail < RELAY_BUFFER_SIZE)
		fds[n++] = (struct pollfd){ .fd = relay->pipe_fd, .events = POLLIN };
	if (!buffer_empty(relay)) {
		int left = clock_ms_until(relay->retry_at_ms);

		/*
		 * Waiting for room in the port's queue, the host's leaving is looked at on the
		 * timer too: the port's POLLHUP is not waited for once it is writable again.
		 */
		if (relay->host_connected) {
			fds[n++] = (struct pollfd){ .fd = relay->port_fd, .events = POLLOUT };
			left = STALL_CHECK_MS;
		}
		if (*timeout_ms < 0 || left < *timeout_ms)
			*timeout_ms = left;
	}
	return n;
}

void relay_handle(struct relay *relay, const struct pollfd fds[2], size_t n)
{
	(void)fds;
	(void)n;
	/* Non-blocking both ways: trying is as cheap as reading revents, and never wrong. */
	while (fill(relay) | drain_buffer(relay)) {}
}

int relay_drain(struct relay *relay, unsigned int timeout_ms)
{
	int64_t deadline = clock_ms() + timeout_ms;

	while (relay->pipe_fd >= 0 || !buffer_empty(relay)) {
		struct pollfd fds[2];
		int timeout = -1;
		size_t n;
		bool progress = fill(relay) | drain_buffer(relay);

		/* Orphans may keep the pipe open: what is in it now is all the workload wrote. */
		if (!progress && buffer_empty(relay))
			break;
		if (progress)
			continue;
		if (clock_ms() >= deadline)
			return -ETIMEDOUT;
		n = relay_pollfds(relay, fds, &timeout);
		if (timeout < 0 || timeout > clock_ms_until(deadline))
			timeout = clock_ms_until(deadline);
		poll(fds, n, timeout);
	}
	return relay->error;
}

void relay_close(struct relay *relay)
{
	if (relay->pipe_fd >= 0)
		close(relay->pipe_fd);
	if (relay->port_fd >= 0)
		close(relay->port_fd);
	free(relay->buffer);
	*relay = (struct relay){ .pipe_fd = -1, .port_fd = -1 };
}
