/* SPDX-License-Identifier: MIT */
/*
 * The workload's stdout or stderr carried to a virtio-serial port of its own: the workload
 * writes into a pipe, PID 1 copies the bytes to the port, byte-exact, and counts them. The
 * copy goes at the host's pace: when the host does not read, the pipe fills and the
 * workload waits, as it would on a terminal. A port with no host on it is checked again on a
 * timer (such a port reports POLLHUP, which poll() cannot wait on). A host that was there and
 * went away is a reader that closed its end: the pipe is closed, and the workload's next
 * write gets EPIPE (SIGPIPE), as with "| head".
 */
#ifndef TETHER_RELAY_H
#define TETHER_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define RELAY_BUFFER_SIZE 65536

struct relay {
	const char *port; /* its name */
	int pipe_fd;	  /* read end; -1 once the workload's side is closed and read out */
	int port_fd;
	bool host_connected;
	bool host_was_connected;
	bool said_waiting; /* "no host yet" was logged */
	int64_t opened_at_ms;
	int64_t retry_at_ms;
	char *buffer;
	size_t head;	/* next byte to write */
	size_t tail;	/* end of the bytes read */
	uint64_t bytes; /* written to the port */
	int error;	/* the port failed or its host left: nothing more is copied */
};

/*
 * Find the port named port; when it is there, open it and a pipe, and return the pipe's
 * write end for the workload in *ret_child_fd (close-on-exec; the caller closes it once the
 * workload has it). Returns 1 when the port exists, 0 when it does not (nothing opened), or
 * -errno.
 */
int relay_open(struct relay *relay, const char *port, int *ret_child_fd);

/* For a poll loop: up to two descriptors in fds; returns how many. */
size_t relay_pollfds(struct relay *relay, struct pollfd fds[2], int *timeout_ms);
/* After poll, with the same fds (revents 0 when they were not polled). */
void relay_handle(struct relay *relay, const struct pollfd fds[2], size_t n);

/*
 * The workload has ended: read what it left in the pipe and write it all to the port, for
 * at most timeout_ms. Returns 0, or -ETIMEDOUT when bytes were left (counted in bytes as
 * not written), or the port's -errno.
 */
int relay_drain(struct relay *relay, unsigned int timeout_ms);

void relay_close(struct relay *relay);

#endif
