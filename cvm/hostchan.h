/* SPDX-License-Identifier: MIT */
/*
 * The host end of tether's channel (docs/protocol.md): the control port's events, checked
 * with the protocol's decoder, copied to an events file and acknowledged; the workload's
 * stdout and stderr copied byte for byte; its stdin fed from a descriptor. Each port is a
 * Unix socket this side listens on and QEMU's chardev connects to. The caller owns the poll
 * loop: hostchan_poll() fills its part of the poll set, hostchan_handle() acts on it.
 */
#ifndef CVM_HOSTCHAN_H
#define CVM_HOSTCHAN_H

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/protocol.h"

enum hostchan_port { HOSTCHAN_CONTROL, HOSTCHAN_STDIN, HOSTCHAN_STDOUT, HOSTCHAN_STDERR };
#define HOSTCHAN_PORTS 4
/* Per port its listener and its connection, then stdin's source, then stdout's and stderr's. */
#define HOSTCHAN_POLL_FDS (2 * HOSTCHAN_PORTS + 3)

/* How the workload's output is written where it goes. */
enum hostchan_output_mode {
	HOSTCHAN_OUTPUT_BLOCKING, /* a file: it never keeps us waiting long */
	HOSTCHAN_OUTPUT_OWN,	  /* a pipe or a terminal, opened again non-blocking for us */
	HOSTCHAN_OUTPUT_SOCKET,	  /* a socket: send() with MSG_DONTWAIT */
};

struct hostchan;
/* Called for each decoded event, after the state below is updated. */
typedef void (*hostchan_event_fn)(struct hostchan *chan, const struct protocol_message *event,
				  void *data);

struct hostchan {
	int listen_fd[HOSTCHAN_PORTS];
	int fd[HOSTCHAN_PORTS];	       /* the accepted connections; -1 when closed */
	int input_fd;		       /* what goes to stdin; -1: the workload reads end of file */
	int output_fd[HOSTCHAN_PORTS]; /* where STDOUT and STDERR bytes go */
	FILE *events;		       /* a copy of every line, or NULL */
	int events_errno;	       /* why writing a copy failed first; 0: it never did */
	hostchan_event_fn on_event;
	void *event_data;

	struct protocol_reader reader;
	uint64_t sent_seq;
	char *input; /* bytes read from input_fd, not yet sent */
	size_t input_start, input_end;
	bool input_eof;
	/*
	 * Output the reader has not taken yet. While there is some, the port is not read: the
	 * guest's writes wait, as they would on a pipe, and nothing here blocks on the reader.
	 */
	int output_own[HOSTCHAN_PORTS]; /* output_fd opened again, non-blocking; or -1 */
	enum hostchan_output_mode output_mode[HOSTCHAN_PORTS];
	char *output[HOSTCHAN_PORTS];
	size_t output_start[HOSTCHAN_PORTS], output_end[HOSTCHAN_PORTS];
	bool output_broken[HOSTCHAN_PORTS]; /* the reader went away, or writing failed */
	int output_errno[HOSTCHAN_PORTS];   /* why, when it was not EPIPE */

	/* What the guest said. */
	bool hello;
	bool started;
	bool exited;
	int exit_status;
	int64_t expected[HOSTCHAN_PORTS]; /* bytes the exit event announces; -1: not said */
	uint64_t received[HOSTCHAN_PORTS];
	bool shutdown;
	char *error_message; /* the last error event's */
	unsigned int bad_lines;
};

/* Every descriptor closed (-1): what hostchan_close() may be called on. */
void hostchan_init(struct hostchan *chan);
/* Listening sockets at the paths given (NULL: no such port). Returns 0 or -errno. */
int hostchan_listen(struct hostchan *chan, const char *const paths[HOSTCHAN_PORTS]);
void hostchan_close(struct hostchan *chan);

/* Fill fds (HOSTCHAN_POLL_FDS entries); returns a poll timeout in ms, or -1 for none. */
int hostchan_poll(struct hostchan *chan, struct pollfd *fds);
/* Act on what poll() reported in fds. Returns 0, or -errno when a socket failed. */
int hostchan_handle(struct hostchan *chan, const struct pollfd *fds);

/* Ask tether to stop the workload, with grace_ms before SIGKILL. Returns 0 or -errno. */
int hostchan_stop(struct hostchan *chan, unsigned int grace_ms);

/* The exit event arrived, and every byte it announces (or the ports closed). */
bool hostchan_done(const struct hostchan *chan);

/* Output read from the guest that its reader has not taken yet. */
bool hostchan_output_pending(const struct hostchan *chan);

#endif
