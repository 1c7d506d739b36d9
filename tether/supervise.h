/* SPDX-License-Identifier: MIT */
/*
 * PID 1's supervision of the workload: the one waitpid loop (every orphan is reaped as it
 * ends, and the workload's status is never stolen), signal forwarding, and the stop sequence.
 */
#ifndef TETHER_SUPERVISE_H
#define TETHER_SUPERVISE_H

#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#include "exitstatus.h"

struct supervise_options {
	int stop_signal;	    /* sent first when a stop is requested */
	unsigned int stop_grace_ms; /* then SIGKILL after this long */
};

#define SUPERVISE_WATCH_MAX 8

/* What the host asks for while the workload runs. */
struct supervise_request {
	bool stop;	/* else: send signal */
	int signal;	/* to the workload */
	bool has_grace; /* stop: this grace instead of the configured one */
	unsigned int grace_ms;
};

/*
 * Other work for the loop while it waits (the host channel, output relays): watch() adds up
 * to max descriptors and may lower *timeout_ms (-1: none); handle() gets them back after
 * poll(); request() hands over the host's requests one by one.
 */
struct supervise_hooks {
	size_t (*watch)(void *context, struct pollfd *fds, size_t max, int *timeout_ms);
	void (*handle)(void *context, const struct pollfd *fds, size_t n);
	bool (*request)(void *context, struct supervise_request *ret);
	void *context;
};

/*
 * Block the signals PID 1 handles and return a signalfd for them, or -errno. Call it before
 * starting the workload, so that no signal falls between the fork and the loop.
 */
int supervise_signals_open(void);

/*
 * Wait until process pid ends. Meanwhile reap every other child, forward SIGINT, SIGHUP,
 * SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to pid, and take SIGTERM to PID 1 as a stop
 * request: the stop signal to pid, then SIGKILL to its process group after the grace
 * period; a stop request from hooks does the same. hooks may be NULL. Returns 0 with the
 * exit status and whether a stop was requested, or -errno.
 */
int supervise_run(int signal_fd, pid_t pid, const struct supervise_options *options,
		  const struct supervise_hooks *hooks, struct exit_status *ret_exit,
		  bool *ret_stop_requested);

#endif
