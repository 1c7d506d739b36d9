// SPDX-License-Identifier: MIT
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/clock.h"
#include "log.h"
#include "version.h"
#include "vport.h"

#define QUEUE_LINES 256
#define QUEUE_BYTES (1u << 20)
#define RETRY_FIRST_MS 20u
#define RETRY_MAX_MS 500u
#define EXIT_RESEND_MS 1000
#define HELLO_SEQ 1
#define BAD_MESSAGES_LOGGED 10

int channel_init(struct channel *ch, const char *kernel_release)
{
	int r;

	protocol_seed_json();
	*ch = (struct channel){ .state = CHANNEL_OFF, .fd = -1, .next_seq = HELLO_SEQ + 1 };
	ch->kernel_release = kernel_release;
	r = eventqueue_init(&ch->queue, QUEUE_LINES, QUEUE_BYTES);
	if (r == 0)
		r = protocol_reader_init(&ch->reader);
	return r;
}

static bool is_kept(enum protocol_type type)
{
	return type == PROTOCOL_HELLO || type == PROTOCOL_EXIT || type == PROTOCOL_ERROR ||
	       type == PROTOCOL_SHUTDOWN || type == PROTOCOL_COMMIT;
}

/* Encode and queue; returns the line's seq, or 0 when it was not queued. */
static uint64_t enqueue(struct channel *ch, enum protocol_type type, json_t *body)
{
	struct event_line entry = { .type = type, .seq = ch->next_seq, .kept = is_kept(type) };
	int r = protocol_encode(type, entry.seq, clock_us(), body, &entry.line, &entry.length);

	if (r < 0) {
		log_warning("channel: '%s' event not sent: %s", protocol_type_name(type),
			    r == -E2BIG ? "longer than the protocol's line limit" : strerror(-r));
		return 0;
	}
	ch->next_seq++;
	r = eventqueue_push(&ch->queue, &entry);
	if (r < 0) {
		log_debug("channel: queue full, '%s' event %llu dropped", protocol_type_name(type),
			  (unsigned long long)entry.seq);
		return 0;
	}
	return entry.seq;
}

static json_t *hello_body(const struct channel *ch)
{
	char transport[128];

	return json_pack("{s:i, s:s, s:s, s:s}", "protocol", PROTOCOL_VERSION, "tether",
			 TETHER_VERSION, "kernel", ch->kernel_release, "transport",
			 transport_format(&ch->transport, transport, sizeof(transport)));
}

/* A copy of a line to queue again. */
static int repeat_line(const char *line, size_t length, enum protocol_type type, uint64_t seq,
		       struct event_line *ret)
{
	*ret = (struct event_line){ .type = type, .seq = seq, .kept = true, .length = length };
	ret->line = malloc(length);
	if (!ret->line)
		return -ENOMEM;
	memcpy(ret->line, line, length);
	return 0;
}

/* Keep a copy of the last line queued, to repeat it. */
static void remember_last(const struct channel *ch, char **line, size_t *length)
{
	const struct event_line *last = &ch->queue.lines[ch->queue.count - 1];

	free(*line);
	*length = 0;
	*line = malloc(last->length);
	if (*line) {
		memcpy(*line, last->line, last->length);
		*length = last->length;
	}
}

/*
 * The hello goes first. It is always seq 1: made again for a new transport, repeated on a
 * new connection, it is the same message, as the host can tell.
 */
static void queue_hello(struct channel *ch)
{
	json_t *body = hello_body(ch);
	struct event_line entry;
	char *line;
	size_t length;
	int r = protocol_encode(PROTOCOL_HELLO, HELLO_SEQ, clock_us(), body, &line, &length);

	json_decref(body);
	if (r < 0)
		return;
	free(ch->hello_line);
	ch->hello_line = line;
	ch->hello_length = length;
	if (repeat_line(line, length, PROTOCOL_HELLO, HELLO_SEQ, &entry) == 0)
		eventqueue_push_front(&ch->queue, &entry);
}

/* A connection after the first starts with the hello again, so the host knows who talks. */
static void repeat_hello(struct channel *ch)
{
	const struct event_line *front = eventqueue_front(&ch->queue);
	struct event_line entry;

	if (!ch->hello_line || (front && front->type == PROTOCOL_HELLO))
		return;
	if (repeat_line(ch->hello_line, ch->hello_length, PROTOCOL_HELLO, HELLO_SEQ, &entry) == 0)
		eventqueue_push_front(&ch->queue, &entry);
}

static void schedule_retry(struct channel *ch)
{
	ch->retry_at_ms = clock_ms() + ch->retry_ms;
	ch->retry_ms = ch->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : ch->retry_ms * 2;
}

/* An attempt failed with error: said once per kind of failure, then retried quietly. */
static void attempt_failed(struct channel *ch, const char *what, int error)
{
	if (error != ch->last_error)
		log_debug("channel: %s: %s, retrying", what, strerror(-error));
	ch->last_error = error;
	ch->state = CHANNEL_ABSENT;
	schedule_retry(ch);
}

static void connected(struct channel *ch)
{
	char transport[128];

	ch->state = CHANNEL_CONNECTED;
	ch->retry_ms = RETRY_FIRST_MS;
	ch->last_error = 0;
	log_info("channel: host connected on %s",
		 transport_format(&ch->transport, transport, sizeof(transport)));
	if (ch->ever_connected)
		repeat_hello(ch);
	ch->ever_connected = true;
}

/* The host went away: what was half written goes again, whole, to the next one. */
static void lost(struct channel *ch, int error)
{
	log_info("channel: host gone (%s), waiting for it",
		 error ? strerror(-error) : "end of file");
	ch->queue.front_written = 0;
	if (ch->transport.kind == TRANSPORT_VIRTIO_SERIAL && ch->fd >= 0) {
		ch->state = CHANNEL_WAITING;
	} else {
		close(ch->fd);
		ch->fd = -1;
		ch->state = CHANNEL_ABSENT;
	}
	ch->retry_ms = RETRY_FIRST_MS;
	schedule_retry(ch);
}

static void check_host(struct channel *ch)
{
	if (vport_host_connected(ch->fd)) {
		connected(ch);
		return;
	}
	ch->state = CHANNEL_WAITING;
	schedule_retry(ch);
}

static void connect_virtio(struct channel *ch)
{
	char path[300];
	int r = vport_find(ch->transport.name, path, sizeof(path));

	if (r < 0) {
		attempt_failed(ch, "no virtio-serial port of that name yet", r);
		return;
	}
	ch->fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (ch->fd < 0) {
		attempt_failed(ch, path, negative_errno());
		return;
	}
	check_host(ch);
}

/*
 * FIXME: the workload can open AF_VSOCK to the host too, and nothing here tells the host
 * which connection is tether's; the host must take only the first.
 */
static void connect_vsock(struct channel *ch)
{
	struct sockaddr_vm address = {
		.svm_family = AF_VSOCK,
		.svm_cid = ch->transport.cid,
		.svm_port = ch->transport.port,
	};

	ch->fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ch->fd < 0) {
		attempt_failed(ch, "vsock socket", negative_errno());
		return;
	}
	if (connect(ch->fd, (struct sockaddr *)&address, sizeof(address)) == 0) {
		connected(ch);
		return;
	}
	if (errno == EINPROGRESS) {
		ch->state = CHANNEL_CONNECTING;
		return;
	}
	/* Never keep the descriptor of a failed connect: the next attempt takes a new one. */
	attempt_failed(ch, "vsock connect", negative_errno());
	close(ch->fd);
	ch->fd = -1;
}

/*
 * FIXME: a tty opens more than once, so a root workload that makes the node of this port
 * with mknod in its /dev could write to the channel; only a device cgroup or dropping
 * CAP_MKNOD would close that.
 */
static void connect_serial(struct channel *ch)
{
	char path[TRANSPORT_NAME_MAX + 8];
	struct termios tio;

	snprintf(path, sizeof(path), "/dev/%s", ch->transport.name);
	ch->fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (ch->fd < 0) {
		attempt_failed(ch, path, negative_errno());
		return;
	}
	/* Raw bytes both ways: no echo, no line editing, no newline translation. */
	if (tcgetattr(ch->fd, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetspeed(&tio, B115200);
		tcsetattr(ch->fd, TCSANOW, &tio);
	}
	connected(ch);
}

static void try_connect(struct channel *ch)
{
	switch (ch->transport.kind) {
	case TRANSPORT_VIRTIO_SERIAL:
		connect_virtio(ch);
		break;
	case TRANSPORT_VSOCK:
		connect_vsock(ch);
		break;
	case TRANSPORT_SERIAL:
		connect_serial(ch);
		break;
	case TRANSPORT_NONE:
		ch->state = CHANNEL_OFF;
		break;
	}
}

static void add_request(struct channel *ch, const struct protocol_message *m)
{
	if (m->type == PROTOCOL_SIGNAL) {
		ch->pending_signals |= 1ull << (m->signal.signal - 1);
		return;
	}
	if (!ch->stop_pending) {
		ch->stop_pending = true;
		ch->stop_has_grace = m->stop.has_grace;
		ch->stop_grace_ms = m->stop.grace_ms;
	} else if (m->stop.has_grace &&
		   (!ch->stop_has_grace || m->stop.grace_ms < ch->stop_grace_ms)) {
		ch->stop_has_grace = true;
		ch->stop_grace_ms = m->stop.grace_ms;
	}
}

/* Said for the first few only: a broken host must not flood the console. */
static void bad_message(struct channel *ch, const char *reason)
{
	if (ch->bad_messages++ < BAD_MESSAGES_LOGGED)
		log_warning("channel: message from the host ignored: %s", reason);
}

static void act_on(struct channel *ch, const struct protocol_message *m)
{
	switch (m->type) {
	case PROTOCOL_SIGNAL:
	case PROTOCOL_STOP:
		add_request(ch, m);
		break;
	case PROTOCOL_ACK:
		if (ch->exit_line && m->ack.seq == ch->exit_seq && !ch->exit_acked) {
			log_debug("channel: host acknowledged the exit event");
			ch->exit_acked = true;
		}
		break;
	default: {
		char reason[128];

		snprintf(reason, sizeof(reason), "'%s' is not a request",
			 json_string_value(json_object_get(m->json, "type")));
		bad_message(ch, reason);
		break;
	}
	}
}

static void read_lines(struct channel *ch)
{
	const char *line;
	size_t length;
	int r;

	while ((r = protocol_reader_next(&ch->reader, &line, &length)) != 0) {
		struct protocol_message m;
		char err[256];

		if (r < 0) {
			bad_message(ch, "longer than the protocol's line limit");
			continue;
		}
		if (protocol_decode(line, length, &m, err, sizeof(err)) < 0) {
			bad_message(ch, err);
			continue;
		}
		act_on(ch, &m);
		protocol_message_release(&m);
	}
}

static void receive(struct channel *ch)
{
	while (ch->state == CHANNEL_CONNECTED) {
		char *space;
		size_t size = protocol_reader_space(&ch->reader, &space);
		ssize_t n = read(ch->fd, space, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			lost(ch, n < 0 ? negative_errno() : 0);
			return;
		}
		protocol_reader_commit(&ch->reader, (size_t)n);
		read_lines(ch);
	}
}

static ssize_t write_some(struct channel *ch, const char *data, size_t size)
{
	if (ch->transport.kind == TRANSPORT_VSOCK)
		return send(ch->fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
	return write(ch->fd, data, size);
}

static void flush(struct channel *ch)
{
	const struct event_line *front;

	while (ch->state == CHANNEL_CONNECTED && (front = eventqueue_front(&ch->queue))) {
		size_t done = ch->queue.front_written;
		ssize_t n = write_some(ch, front->line + done, front->length - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			lost(ch, n < 0 ? negative_errno() : -EIO);
			return;
		}
		ch->queue.front_written += (size_t)n;
		if (ch->queue.front_written < front->length)
			continue;
		if (front->type == PROTOCOL_EXIT) {
			ch->exit_queued = false;
			ch->exit_resend_at_ms = clock_ms() + EXIT_RESEND_MS;
		}
		eventqueue_pop(&ch->queue);
	}
}

static void resend_exit(struct channel *ch)
{
	struct event_line entry = { .type = PROTOCOL_EXIT, .seq = ch->exit_seq, .kept = true };

	if (!ch->exit_line || ch->exit_acked || ch->exit_queued ||
	    clock_ms() < ch->exit_resend_at_ms)
		return;
	entry.line = malloc(ch->exit_length);
	if (!entry.line)
		return;
	memcpy(entry.line, ch->exit_line, ch->exit_length);
	entry.length = ch->exit_length;
	if (eventqueue_push(&ch->queue, &entry) == 0)
		ch->exit_queued = true;
}

/* Everything that can be done now without waiting. */
static void pump(struct channel *ch)
{
	if (ch->state == CHANNEL_OFF)
		return;
	if (ch->state == CHANNEL_ABSENT && clock_ms() >= ch->retry_at_ms)
		try_connect(ch);
	else if (ch->state == CHANNEL_WAITING && clock_ms() >= ch->retry_at_ms)
		check_host(ch);
	resend_exit(ch);
	receive(ch);
	flush(ch);
}

void channel_open(struct channel *ch, const struct transport *transport)
{
	const struct event_line *front = eventqueue_front(&ch->queue);

	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	ch->queue.front_written = 0;
	ch->transport = *transport;
	ch->retry_ms = RETRY_FIRST_MS;
	ch->retry_at_ms = 0;
	ch->state = transport->kind == TRANSPORT_NONE ? CHANNEL_OFF : CHANNEL_ABSENT;
	ch->ever_connected = false;

	/*
	 * The hello names the transport: a new one gets a new hello, in the old one's place
	 * when that was not sent yet.
	 */
	if (front && front->type == PROTOCOL_HELLO)
		eventqueue_pop(&ch->queue);
	queue_hello(ch);
	pump(ch);
}

void channel_send(struct channel *ch, enum protocol_type type, json_t *body)
{
	uint64_t seq;

	if (!ch->queue.lines) {
		json_decref(body);
		return;
	}
	seq = enqueue(ch, type, body);
	json_decref(body);
	if (type == PROTOCOL_EXIT && seq) {
		remember_last(ch, &ch->exit_line, &ch->exit_length);
		ch->exit_seq = seq;
		ch->exit_queued = true;
		ch->exit_acked = false;
	}
	pump(ch);
}

static void lower_timeout(int *timeout_ms, int64_t deadline)
{
	int left = clock_ms_until(deadline);

	if (*timeout_ms < 0 || left < *timeout_ms)
		*timeout_ms = left;
}

int channel_pollfd(struct channel *ch, struct pollfd *ret, int *timeout_ms)
{
	if (ch->exit_line && !ch->exit_acked && !ch->exit_queued)
		lower_timeout(timeout_ms, ch->exit_resend_at_ms);

	switch (ch->state) {
	case CHANNEL_CONNECTED:
		*ret = (struct pollfd){ .fd = ch->fd, .events = POLLIN };
		if (eventqueue_front(&ch->queue))
			ret->events |= POLLOUT;
		return 1;
	case CHANNEL_CONNECTING:
		*ret = (struct pollfd){ .fd = ch->fd, .events = POLLOUT };
		return 1;
	case CHANNEL_ABSENT:
	case CHANNEL_WAITING:
		lower_timeout(timeout_ms, ch->retry_at_ms);
		return 0;
	case CHANNEL_OFF:
		return 0;
	}
	return 0;
}

static void finish_connect(struct channel *ch)
{
	int error = 0;
	socklen_t length = sizeof(error);

	if (getsockopt(ch->fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
		error = errno;
	if (error == 0) {
		connected(ch);
		return;
	}
	close(ch->fd);
	ch->fd = -1;
	attempt_failed(ch, "vsock connect", -error);
}

void channel_handle(struct channel *ch, short revents)
{
	if (ch->state == CHANNEL_CONNECTING && revents)
		finish_connect(ch);
	pump(ch);
}

bool channel_take_request(struct channel *ch, struct channel_request *ret)
{
	if (ch->stop_pending) {
		*ret = (struct channel_request){ .kind = CHANNEL_REQUEST_STOP,
						 .has_grace = ch->stop_has_grace,
						 .grace_ms = ch->stop_grace_ms };
		ch->stop_pending = false;
		return true;
	}
	if (ch->pending_signals == 0)
		return false;
	*ret = (struct channel_request){ .kind = CHANNEL_REQUEST_SIGNAL,
					 .signal = __builtin_ctzll(ch->pending_signals) + 1 };
	ch->pending_signals &= ch->pending_signals - 1;
	return true;
}

static bool finished(const struct channel *ch)
{
	return !eventqueue_front(&ch->queue) && (!ch->exit_line || ch->exit_acked);
}

void channel_finish(struct channel *ch, unsigned int timeout_ms)
{
	int64_t deadline = clock_ms() + timeout_ms;

	/* tether.channel=none: there was never anything to send. */
	if (ch->state == CHANNEL_OFF)
		return;
	pump(ch);
	while (ch->state != CHANNEL_OFF && !finished(ch) && clock_ms() < deadline) {
		struct pollfd pfd;
		int timeout = -1;
		int n;

		/* Nobody has ever been there to talk to: waiting would only delay the power-off. */
		if (!ch->ever_connected && ch->state == CHANNEL_ABSENT)
			return;
		n = channel_pollfd(ch, &pfd, &timeout);
		lower_timeout(&timeout, deadline);
		if (poll(&pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			return;
		channel_handle(ch, n ? pfd.revents : 0);
	}
	if (!finished(ch))
		log_info("channel: %s after %u ms, going on",
			 eventqueue_front(&ch->queue) ? "events not sent" : "exit not acknowledged",
			 timeout_ms);
}

void channel_close(struct channel *ch)
{
	if (!ch->queue.lines)
		return;
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	ch->state = CHANNEL_OFF;
	eventqueue_free(&ch->queue);
	protocol_reader_free(&ch->reader);
	free(ch->exit_line);
	free(ch->hello_line);
	ch->exit_line = ch->hello_line = NULL;
}
