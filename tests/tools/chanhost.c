// SPDX-License-Identifier: MIT
/*
 * chanhost: the host end of tether's channel for the boot tests. It connects to QEMU's
 * chardev sockets (retrying until they exist), checks every line tether sends with the
 * protocol's own decoder, writes the lines to an events file and the workload's output to
 * files, and plays the host's part: acknowledge the exit, send a signal or a stop once the
 * workload has started, connect late, or drop the connection and come back.
 *
 *   chanhost --control SOCKET --events FILE [options]
 *
 * Exits 0 when every line decoded and sequence numbers only went up from each hello (an
 * exit event may be repeated under its own number), 1 otherwise, 2 on bad usage or when it could
 * not connect.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../common/cleanup.h"
#include "../../common/clock.h"
#include "../../common/protocol.h"

enum stream { CONTROL, OUT, ERR, IN, STREAMS };

struct options {
	const char *socket[STREAMS];
	const char *file[STREAMS]; /* OUT, ERR: where the bytes go; IN: what to send */
	const char *events;
	unsigned int connect_delay_ms;
	const char *on_started; /* "signal:NAME" or "stop[:GRACE_MS]" */
	unsigned int action_delay_ms;
	bool no_ack;
	bool reconnect;	  /* drop the control connection after the first hello, then return */
	const char *send; /* lines sent as soon as the control socket is connected */
	const char *send_on_started; /* ... or once the workload has started (after the delay) */
	unsigned int timeout_s;
	long long stdout_limit; /* close the stdout port after this many bytes; -1: never */
};

struct host {
	struct options options;
	int fd[STREAMS];
	int out_file[STREAMS];
	FILE *events;
	struct protocol_reader reader;
	uint64_t last_seq;
	uint64_t sent_seq;
	int64_t action_at; /* -1: none due */
	bool acted;
	bool dropped_once;
	int64_t reconnect_at;
	uint64_t received[STREAMS];   /* bytes of OUT and ERR */
	json_int_t expected[STREAMS]; /* what the exit event says they are; -1: not said */
	bool bad;
};

static int connect_unix(const char *path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(address.sun_path))
		return -ENAMETOOLONG;
	memcpy(address.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		int r = negative_errno();

		close(fd);
		return r;
	}
	return fd;
}

/* Connect, retrying while QEMU has not made the socket yet. */
static int connect_retrying(const char *path, int64_t deadline)
{
	for (;;) {
		int fd = connect_unix(path);

		if (fd >= 0 || clock_ms() >= deadline)
			return fd;
		usleep(20000);
	}
}

static void send_message(struct host *host, enum protocol_type type, json_t *body)
{
	char *line;
	size_t length;

	if (protocol_encode(type, ++host->sent_seq, clock_us(), body, &line, &length) == 0) {
		if (write(host->fd[CONTROL], line, length) != (ssize_t)length)
			fprintf(stderr, "chanhost: write '%s': %s\n", protocol_type_name(type),
				strerror(errno));
		free(line);
	}
	json_decref(body);
}

static void send_file_lines(struct host *host, const char *path);

static void act(struct host *host)
{
	const char *action = host->options.on_started;

	host->acted = true;
	if (host->options.send_on_started)
		send_file_lines(host, host->options.send_on_started);
	if (!action)
		return;
	if (strncmp(action, "signal:", 7) == 0) {
		send_message(host, PROTOCOL_SIGNAL, json_pack("{s:s}", "signal", action + 7));
	} else if (strcmp(action, "stop") == 0) {
		send_message(host, PROTOCOL_STOP, NULL);
	} else if (strncmp(action, "stop:", 5) == 0) {
		send_message(host, PROTOCOL_STOP, json_pack("{s:i}", "grace_ms", atoi(action + 5)));
	}
}

static void send_file_lines(struct host *host, const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char buffer[4096];
	size_t n;

	if (!f) {
		fprintf(stderr, "chanhost: open '%s': %s\n", path, strerror(errno));
		host->bad = true;
		return;
	}
	while ((n = fread(buffer, 1, sizeof(buffer), f)) > 0) {
		if (write(host->fd[CONTROL], buffer, n) != (ssize_t)n)
			break;
	}
}

/*
 * stdin, once the workload runs: the whole file, then close, which the guest reads as end
 * of file.
 */
static void send_stdin(struct host *host)
{
	_cleanup_close_ int file = open(host->options.file[IN], O_RDONLY | O_CLOEXEC);
	char buffer[65536];
	ssize_t n;

	if (file < 0) {
		fprintf(stderr, "chanhost: open '%s': %s\n", host->options.file[IN],
			strerror(errno));
		host->bad = true;
	}
	while (file >= 0 && (n = read(file, buffer, sizeof(buffer))) > 0) {
		if (write(host->fd[IN], buffer, (size_t)n) != n)
			break;
	}
	close(host->fd[IN]);
	host->fd[IN] = -1;
}

static void on_line(struct host *host, const char *line, size_t length)
{
	struct protocol_message m;
	char err[256];

	fprintf(host->events, "%.*s\n", (int)length, line);
	fflush(host->events);
	if (protocol_decode(line, length, &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "chanhost: bad line: %s: %.*s\n", err, (int)length, line);
		host->bad = true;
		return;
	}
	/* A hello (always seq 1) starts each connection; an exit may come again. */
	if (m.type == PROTOCOL_HELLO)
		host->last_seq = 0;
	if (m.seq <= host->last_seq && m.type != PROTOCOL_EXIT) {
		fprintf(stderr, "chanhost: seq %llu after %llu\n", (unsigned long long)m.seq,
			(unsigned long long)host->last_seq);
		host->bad = true;
	}
	if (m.seq > host->last_seq)
		host->last_seq = m.seq;

	if (m.type == PROTOCOL_STARTED && host->fd[IN] >= 0)
		send_stdin(host);
	if (m.type == PROTOCOL_STARTED &&
	    (host->options.on_started || host->options.send_on_started) && !host->acted)
		host->action_at = clock_ms() + host->options.action_delay_ms;
	if (m.type == PROTOCOL_EXIT) {
		json_t *out = json_object_get(m.json, "stdout_bytes");
		json_t *err_bytes = json_object_get(m.json, "stderr_bytes");

		host->expected[OUT] = json_is_integer(out) ? json_integer_value(out) : -1;
		host->expected[ERR] =
			json_is_integer(err_bytes) ? json_integer_value(err_bytes) : -1;
	}
	if (m.type == PROTOCOL_EXIT && !host->options.no_ack)
		send_message(host, PROTOCOL_ACK, json_pack("{s:I}", "ack", (json_int_t)m.seq));
	if (m.type == PROTOCOL_HELLO && host->options.reconnect && !host->dropped_once) {
		host->dropped_once = true;
		close(host->fd[CONTROL]);
		host->fd[CONTROL] = -1;
		host->reconnect_at = clock_ms() + 1000;
	}
	protocol_message_release(&m);
}

static void read_control(struct host *host)
{
	char *space;
	size_t size = protocol_reader_space(&host->reader, &space);
	ssize_t n = read(host->fd[CONTROL], space, size);
	const char *line;
	size_t length;
	int r;

	if (n <= 0) {
		close(host->fd[CONTROL]);
		host->fd[CONTROL] = -1;
		return;
	}
	protocol_reader_commit(&host->reader, (size_t)n);
	while (host->fd[CONTROL] >= 0 &&
	       (r = protocol_reader_next(&host->reader, &line, &length)) != 0) {
		if (r < 0) {
			fprintf(stderr, "chanhost: line longer than %d bytes\n", PROTOCOL_LINE_MAX);
			host->bad = true;
			continue;
		}
		on_line(host, line, length);
	}
}

static void copy_output(struct host *host, enum stream s)
{
	char buffer[65536];
	ssize_t n = read(host->fd[s], buffer, sizeof(buffer));

	if (n <= 0 || write(host->out_file[s], buffer, (size_t)n) != n) {
		close(host->fd[s]);
		host->fd[s] = -1;
		return;
	}
	host->received[s] += (uint64_t)n;
	if (s == OUT && host->options.stdout_limit >= 0 &&
	    host->received[s] >= (uint64_t)host->options.stdout_limit) {
		/* A reader that has had enough, as "| head" is. */
		close(host->fd[s]);
		host->fd[s] = -1;
	}
}

static int run(struct host *host)
{
	int64_t deadline = clock_ms() + (int64_t)host->options.timeout_s * 1000;

	for (int s = OUT; s <= IN; s++) {
		if (!host->options.socket[s])
			continue;
		host->fd[s] = connect_retrying(host->options.socket[s], deadline);
		if (host->fd[s] < 0)
			return 2;
	}
	usleep(host->options.connect_delay_ms * 1000u);
	host->fd[CONTROL] = connect_retrying(host->options.socket[CONTROL], deadline);
	if (host->fd[CONTROL] < 0)
		return 2;
	if (host->options.send)
		send_file_lines(host, host->options.send);

	while (clock_ms() < deadline) {
		struct pollfd fds[STREAMS];
		int timeout = 100;
		bool open_any = false;

		for (int s = 0; s < STREAMS; s++) {
			/* stdin is written, never read: only its closing is waited for. */
			fds[s] = (struct pollfd){ .fd = s == IN ? -1 : host->fd[s],
						  .events = POLLIN };
			open_any |= s != IN && host->fd[s] >= 0;
		}
		if (!open_any && host->reconnect_at == 0)
			break;
		poll(fds, STREAMS, timeout);
		if (host->fd[CONTROL] >= 0 && fds[CONTROL].revents)
			read_control(host);
		for (int s = OUT; s <= ERR; s++) {
			if (host->fd[s] >= 0 && fds[s].revents)
				copy_output(host, s);
		}
		if (host->action_at >= 0 && clock_ms() >= host->action_at && !host->acted &&
		    host->fd[CONTROL] >= 0)
			act(host);
		if (host->reconnect_at && clock_ms() >= host->reconnect_at) {
			host->reconnect_at = 0;
			host->fd[CONTROL] =
				connect_retrying(host->options.socket[CONTROL], deadline);
		}
	}
	/* Every byte the guest says the workload wrote has arrived. */
	for (int s = OUT; s <= ERR; s++) {
		if (host->options.socket[s] && host->expected[s] >= 0 &&
		    !(s == OUT && host->options.stdout_limit >= 0) &&
		    host->received[s] != (uint64_t)host->expected[s]) {
			fprintf(stderr, "chanhost: %s: %llu bytes, the exit event says %lld\n",
				s == OUT ? "stdout" : "stderr",
				(unsigned long long)host->received[s],
				(long long)host->expected[s]);
			host->bad = true;
		}
	}
	return host->bad ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: chanhost --control SOCKET --events FILE [--stdout SOCKET FILE]\n"
		"  [--stderr SOCKET FILE] [--stdin SOCKET FILE] [--connect-delay MS]\n"
		"  [--on-started signal:NAME|stop[:GRACE_MS]] [--action-delay MS] [--no-ack]\n"
		"  [--reconnect] [--send FILE] [--send-on-started FILE] [--stdout-limit BYTES]\n"
		"  [--timeout SECONDS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "events", required_argument, NULL, 'e' },
		{ "stdout", required_argument, NULL, 'o' },
		{ "stderr", required_argument, NULL, 'r' },
		{ "stdin", required_argument, NULL, 'i' },
		{ "connect-delay", required_argument, NULL, 'd' },
		{ "on-started", required_argument, NULL, 'a' },
		{ "action-delay", required_argument, NULL, 'w' },
		{ "no-ack", no_argument, NULL, 'n' },
		{ "reconnect", no_argument, NULL, 'R' },
		{ "send", required_argument, NULL, 's' },
		{ "send-on-started", required_argument, NULL, 'S' },
		{ "stdout-limit", required_argument, NULL, 'L' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 },
	};
	struct host host = {
		.action_at = -1,
		.options = { .timeout_s = 120, .stdout_limit = -1 },
		.expected = { -1, -1, -1, -1 },
	};
	int option, r;

	for (int s = 0; s < STREAMS; s++)
		host.fd[s] = host.out_file[s] = -1;
	while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		enum stream s = option == 'o' ? OUT : option == 'r' ? ERR : IN;

		switch (option) {
		case 'c':
			host.options.socket[CONTROL] = optarg;
			break;
		case 'e':
			host.options.events = optarg;
			break;
		case 'o':
		case 'r':
		case 'i':
			/* Two arguments: the socket, then the file. */
			if (optind >= argc)
				return usage();
			host.options.socket[s] = optarg;
			host.options.file[s] = argv[optind++];
			break;
		case 'd':
			host.options.connect_delay_ms = (unsigned int)atoi(optarg);
			break;
		case 'a':
			host.options.on_started = optarg;
			break;
		case 'w':
			host.options.action_delay_ms = (unsigned int)atoi(optarg);
			break;
		case 'n':
			host.options.no_ack = true;
			break;
		case 'R':
			host.options.reconnect = true;
			break;
		case 's':
			host.options.send = optarg;
			break;
		case 'S':
			host.options.send_on_started = optarg;
			break;
		case 'L':
			host.options.stdout_limit = atoll(optarg);
			break;
		case 't':
			host.options.timeout_s = (unsigned int)atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (!host.options.socket[CONTROL] || !host.options.events || optind != argc)
		return usage();

	host.events = fopen(host.options.events, "we");
	for (int s = OUT; s <= ERR; s++) {
		if (host.options.file[s])
			host.out_file[s] = open(host.options.file[s],
						O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (host.options.file[s] && host.out_file[s] < 0)
			return 2;
	}
	if (!host.events || protocol_reader_init(&host.reader) < 0)
		return 2;
	r = run(&host);
	if (r == 2)
		fprintf(stderr, "chanhost: could not connect\n");
	fclose(host.events);
	protocol_reader_free(&host.reader);
	return r;
}
