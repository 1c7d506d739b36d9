/* SPDX-License-Identifier: MIT */
/*
 * PID 1's supervision of the workload: the one waitpid loop (every orphan is reaped as it
 * ends, and the workload's status is never stolen), signal forwarding, and the stop sequence.
 */
#ifndef TETHER_SUPERVISE_H
#define TETHER_SUPERVISE_H

#include <stdbool.h>
#include <sys/types.h>

#include "exitstatus.h"

struct supervise_options {
	int stop_signal;	    /* sent first when a stop is requested */
	unsigned int stop_grace_ms; /* then SIGKILL after this long */
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
 * period. Returns 0 with the exit status and whether a stop was requested, or -errno.
 */
int supervise_run(int signal_fd, pid_t pid, const struct supervise_options *options,
		  struct exit_status *ret_exit, bool *ret_stop_requested);

#endif
