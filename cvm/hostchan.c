// SPDX-License-Identifier: MIT
#include "hostchan.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/clock.h"
#include "../common/fileio.h"

#define INPUT_BUFFER 65536
#define OUTPUT_BUFFER 65536
/* The poll slot of stdout's or stderr's destination. */
#define OUTPUT_SLOT(p) (2 * HOSTCHAN_PORTS + 1 + (p)-HOSTCHAN_STDOUT)
/* How often to look whether QEMU has taken the last stdin bytes. */
#define INPUT_DRAIN_POLL_MS 10

static int listen_unix(const char *path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(address.sun_path))
		return -ENAMETOOLONG;
	memcpy(address.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negative_errno();
	if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0 || listen(fd, 1) < 0)
		return negative_errno();
	return take_fd(fd);
}

void hostchan_init(struct hostchan *chan)
{
	*chan = (struct hostchan){ .input_fd = -1 };
	for (int p = 0; p < HOSTCHAN_PORTS; p++) {
		chan->listen_fd[p] = chan->fd[p] = chan->output_fd[p] = chan->output_own[p] = -1;
		chan->expected[p] = -1;
	}
}

/*
 * How to write to fd without waiting on its reader: a socket takes MSG_DONTWAIT; a pipe, FIFO
 * or terminal is opened again through /proc, which gives a file description of our own to
 * make non-blocking (O_NONBLOCK on fd itself would be shared with whoever else holds it); a
 * file is written as it is.
 */
static void open_output(struct hostchan *chan, enum hostchan_port p)
{
	char path[64];
	struct stat st;

	chan->output_mode[p] = HOSTCHAN_OUTPUT_BLOCKING;
	if (fstat(chan->output_fd[p], &st) < 0)
		return;
	if (S_ISSOCK(st.st_mode)) {
		chan->output_mode[p] = HOSTCHAN_OUTPUT_SOCKET;
		return;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", chan->output_fd[p]);
	chan->output_own[p] = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (chan->output_own[p] >= 0)
		chan->output_mode[p] = HOSTCHAN_OUTPUT_OWN;
}

int hostchan_listen(struct hostchan *chan, const char *const paths[HOSTCHAN_PORTS])
{
	for (int p = 0; p < HOSTCHAN_PORTS; p++) {
		if (!paths[p])
			continue;
		chan->listen_fd[p] = listen_unix(paths[p]);
		if (chan->listen_fd[p] < 0)
			return chan->listen_fd[p];
	}
	for (int p = HOSTCHAN_STDOUT; p <= HOSTCHAN_STDERR; p++) {
		chan->output[p] = malloc(OUTPUT_BUFFER);
		if (!chan->output[p])
			return -ENOMEM;
		if (chan->output_fd[p] >= 0)
			open_output(chan, p);
	}
	chan->input = malloc(INPUT_BUFFER);
	if (!chan->input)
		return -ENOMEM;
	return protocol_reader_init(&chan->reader);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void hostchan_close(struct hostchan *chan)
{
	for (int p = 0; p < HOSTCHAN_PORTS; p++) {
		close_fd(&chan->listen_fd[p]);
		close_fd(&chan->fd[p]);
		close_fd(&chan->output_own[p]);
		free(chan->output[p]);
		chan->output[p] = NULL;
	}
	free(chan->input);
	chan->input = NULL;
	free(chan->error_message);
	chan->error_message = NULL;
	protocol_reader_free(&chan->reader);
}

static int send_message(struct hostchan *chan, enum protocol_type type, json_t *body)
{
	_cleanup_free_ char *line = NULL;
	size_t length;
	int r;

	if (chan->fd[HOSTCHAN_CONTROL] < 0) {
		json_decref(body);
		return -ENOTCONN;
	}
	r = protocol_encode(type, ++chan->sent_seq, clock_us(), body, &line, &length);
	json_decref(body);
	if (r < 0)
		return r;
	/*
	 * A few hundred bytes: they fit unless the guest stopped reading the port for long
	 * enough to fill the socket's buffer, and then the request fails (EAGAIN) instead of
	 * holding up the relay.
	 */
	if (send(chan->fd[HOSTCHAN_CONTROL], line, length, MSG_NOSIGNAL) != (ssize_t)length)
		return negative_errno();
	return 0;
}

int hostchan_stop(struct hostchan *chan, unsigned int grace_ms)
{
	return send_message(chan, PROTOCOL_STOP,
			    json_pack("{s:I}", "grace_ms", (json_int_t)grace_ms));
}

static int64_t integer_or(const json_t *object, const char *key, int64_t fallback)
{
	json_t *value = json_object_get(object, key);

	return json_is_integer(value) ? (int64_t)json_integer_value(value) : fallback;
}

static void on_exit_event(struct hostchan *chan, const struct protocol_message *m)
{
	chan->exited = true;
	chan->exit_status = (int)integer_or(m->json, "status", 125);
	chan->expected[HOSTCHAN_STDOUT] = integer_or(m->json, "stdout_bytes", -1);
	chan->expected[HOSTCHAN_STDERR] = integer_or(m->json, "stderr_bytes", -1);
	/* tether repeats the exit until it is acknowledged, under a new seq each time. */
	send_message(chan, PROTOCOL_ACK, json_pack("{s:I}", "ack", (json_int_t)m->seq));
}

static void on_line(struct hostchan *chan, const char *line, size_t length)
{
	struct protocol_message m;
	char err[256];

	if (chan->events) {
		if ((fprintf(chan->events, "%.*s\n", (int)length, line) < 0 ||
		     fflush(chan->events) != 0) &&
		    !chan->events_errno)
			chan->events_errno = errno ? errno : EIO;
	}
	if (protocol_decode(line, length, &m, err, sizeof(err)) < 0) {
		chan->bad_lines++;
		return;
	}
	switch (m.type) {
	case PROTOCOL_HELLO:
		chan->hello = true;
		break;
	case PROTOCOL_STARTED:
		chan->started = true;
		break;
	case PROTOCOL_EXIT:
		on_exit_event(chan, &m);
		break;
	case PROTOCOL_ERROR: {
		const char *message = json_string_value(json_object_get(m.json, "message"));

		if (message) {
			free(chan->error_message);
			chan->error_message = strdup(message);
		}
		break;
	}
	case PROTOCOL_SHUTDOWN:
		chan->shutdown = true;
		break;
	default:
		break;
	}
	if (chan->on_event)
		chan->on_event(chan, &m, chan->event_data);
	protocol_message_release(&m);
}

static int read_control(struct hostchan *chan)
{
	char *space;
	size_t size = protocol_reader_space(&chan->reader, &space);
	ssize_t n = read(chan->fd[HOSTCHAN_CONTROL], space, size);
	const char *line;
	size_t length;
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		close_fd(&chan->fd[HOSTCHAN_CONTROL]);
		return n < 0 ? negative_errno() : 0;
	}
	protocol_reader_commit(&chan->reader, (size_t)n);
	while ((r = protocol_reader_next(&chan->reader, &line, &length)) != 0) {
		if (r < 0)
			chan->bad_lines++;
		else
			on_line(chan, line, length);
	}
	return 0;
}

static bool output_waits(const struct hostchan *chan, enum hostchan_port p)
{
	return chan->output_start[p] < chan->output_end[p];
}

/*
 * The reader of the workload's output went away (or writing to it failed): the rest is
 * dropped, and the workload gets SIGPIPE, as a writer to a pipe with no reader does, so that
 * `cvm run ... | head` ends.
 */
static void output_broke(struct hostchan *chan, enum hostchan_port p, int error)
{
	chan->output_broken[p] = true;
	chan->output_start[p] = chan->output_end[p] = 0;
	if (error == EPIPE)
		send_message(chan, PROTOCOL_SIGNAL, json_pack("{s:s}", "signal", "PIPE"));
	else
		chan->output_errno[p] = error;
}

/* Write what waits for port p's reader, as far as it takes it without blocking. */
static void flush_output(struct hostchan *chan, enum hostchan_port p)
{
	int fd = chan->output_own[p] >= 0 ? chan->output_own[p] : chan->output_fd[p];

	while (output_waits(chan, p)) {
		const char *data = chan->output[p] + chan->output_start[p];
		size_t length = chan->output_end[p] - chan->output_start[p];
		ssize_t n = chan->output_mode[p] == HOSTCHAN_OUTPUT_SOCKET
				    ? send(fd, data, length, MSG_DONTWAIT | MSG_NOSIGNAL)
				    : write(fd, data, length);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			output_broke(chan, p, n < 0 ? errno : EIO);
			return;
		}
		chan->output_start[p] += (size_t)n;
	}
	chan->output_start[p] = chan->output_end[p] = 0;
}

static int copy_output(struct hostchan *chan, enum hostchan_port p)
{
	ssize_t n = read(chan->fd[p], chan->output[p], OUTPUT_BUFFER);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		close_fd(&chan->fd[p]);
		return n < 0 ? negative_errno() : 0;
	}
	chan->received[p] += (uint64_t)n;
	if (chan->output_broken[p])
		return 0;
	chan->output_start[p] = 0;
	chan->output_end[p] = (size_t)n;
	flush_output(chan, p);
	return 0;
}

static void read_input(struct hostchan *chan)
{
	ssize_t n = read(chan->input_fd, chan->input, INPUT_BUFFER);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		chan->input_eof = true;
		return;
	}
	chan->input_start = 0;
	chan->input_end = (size_t)n;
}

static void write_input(struct hostchan *chan)
{
	ssize_t n = send(chan->fd[HOSTCHAN_STDIN], chan->input + chan->input_start,
			 chan->input_end - chan->input_start, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* QEMU went away: nobody reads the rest. */
		close_fd(&chan->fd[HOSTCHAN_STDIN]);
		return;
	}
	chan->input_start += (size_t)n;
}

/*
 * The guest reads end of file when this side closes; bytes still in the socket would be
 * lost with it. Close once QEMU has taken them all (nothing left in our send queue).
 */
static void close_input_when_drained(struct hostchan *chan)
{
	int queued = 0;

	if (ioctl(chan->fd[HOSTCHAN_STDIN], SIOCOUTQ, &queued) < 0 || queued == 0)
		close_fd(&chan->fd[HOSTCHAN_STDIN]);
}

static bool input_pending(const struct hostchan *chan)
{
	return chan->input_start < chan->input_end;
}

int hostchan_poll(struct hostchan *chan, struct pollfd *fds)
{
	int timeout = -1;

	for (int p = 0; p < HOSTCHAN_PORTS; p++) {
		fds[p] = (struct pollfd){ .fd = chan->listen_fd[p], .events = POLLIN };
		fds[HOSTCHAN_PORTS + p] = (struct pollfd){ .fd = chan->fd[p], .events = POLLIN };
	}
	fds[2 * HOSTCHAN_PORTS] = (struct pollfd){ .fd = -1 };
	for (int p = HOSTCHAN_STDOUT; p <= HOSTCHAN_STDERR; p++) {
		int fd = chan->output_own[p] >= 0 ? chan->output_own[p] : chan->output_fd[p];

		fds[OUTPUT_SLOT(p)] = (struct pollfd){ .fd = -1 };
		if (!output_waits(chan, p))
			continue;
		/* The port is not read until its reader has taken what waits. */
		fds[HOSTCHAN_PORTS + p].fd = -1;
		fds[OUTPUT_SLOT(p)] = (struct pollfd){ .fd = fd, .events = POLLOUT };
	}
	if (chan->fd[HOSTCHAN_STDIN] >= 0) {
		/* stdin's socket is written, not read: POLLOUT when there is something to send. */
		fds[HOSTCHAN_PORTS + HOSTCHAN_STDIN].events = input_pending(chan) ? POLLOUT : 0;
		if (!input_pending(chan) && !chan->input_eof)
			fds[2 * HOSTCHAN_PORTS] =
				(struct pollfd){ .fd = chan->input_fd, .events = POLLIN };
		if (!input_pending(chan) && chan->input_eof)
			timeout = INPUT_DRAIN_POLL_MS;
	}
	return timeout;
}

static int accept_port(struct hostchan *chan, enum hostchan_port p)
{
	int fd = accept4(chan->listen_fd[p], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : negative_errno();
	/* QEMU connects once; the listener has done its job. */
	close_fd(&chan->listen_fd[p]);
	chan->fd[p] = fd;
	if (p == HOSTCHAN_STDIN && chan->input_fd < 0)
		close_fd(&chan->fd[p]);
	return 0;
}

int hostchan_handle(struct hostchan *chan, const struct pollfd *fds)
{
	int r = 0;

	for (int p = 0; p < HOSTCHAN_PORTS && r == 0; p++) {
		if (fds[p].fd >= 0 && fds[p].revents)
			r = accept_port(chan, p);
	}
	if (r == 0 && chan->fd[HOSTCHAN_CONTROL] >= 0 && fds[HOSTCHAN_PORTS].revents)
		r = read_control(chan);
	for (int p = HOSTCHAN_STDOUT; p <= HOSTCHAN_STDERR && r == 0; p++) {
		if (fds[OUTPUT_SLOT(p)].fd >= 0 && fds[OUTPUT_SLOT(p)].revents)
			flush_output(chan, p);
		if (chan->fd[p] >= 0 && fds[HOSTCHAN_PORTS + p].fd >= 0 &&
		    fds[HOSTCHAN_PORTS + p].revents && !output_waits(chan, p))
			r = copy_output(chan, p);
	}
	if (chan->fd[HOSTCHAN_STDIN] < 0)
		return r;
	if (fds[2 * HOSTCHAN_PORTS].fd >= 0 && fds[2 * HOSTCHAN_PORTS].revents)
		read_input(chan);
	if (input_pending(chan) && (fds[HOSTCHAN_PORTS + HOSTCHAN_STDIN].revents & POLLOUT))
		write_input(chan);
	else if (fds[HOSTCHAN_PORTS + HOSTCHAN_STDIN].revents & (POLLHUP | POLLERR))
		close_fd(&chan->fd[HOSTCHAN_STDIN]);
	if (chan->fd[HOSTCHAN_STDIN] >= 0 && !input_pending(chan) && chan->input_eof)
		close_input_when_drained(chan);
	return r;
}

bool hostchan_done(const struct hostchan *chan)
{
	if (!chan->exited)
		return false;
	for (int p = HOSTCHAN_STDOUT; p <= HOSTCHAN_STDERR; p++) {
		if (chan->fd[p] >= 0 && chan->expected[p] >= 0 &&
		    chan->received[p] < (uint64_t)chan->expected[p])
			return false;
	}
	return true;
}

bool hostchan_output_pending(const struct hostchan *chan)
{
	return output_waits(chan, HOSTCHAN_STDOUT) || output_waits(chan, HOSTCHAN_STDERR);
}
