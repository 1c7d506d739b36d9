/* SPDX-License-Identifier: MIT */
#ifndef TETHER_EXITSTATUS_H
#define TETHER_EXITSTATUS_H

#include <stddef.h>

/* How the workload ended, as a container runtime reports it. */
struct exit_status {
	int code;   /* exit code 0-255, or -1 when a signal ended it */
	int signal; /* the signal that ended it, or 0 */
	int status; /* what the VM reports: code, or 128 + signal */
};

/* Map a waitpid() status of a process that has ended. */
struct exit_status exitstatus_from_wait(int wait_status);

/* "exited with code 42", "killed by SIGKILL (exit status 137)". */
const char *exitstatus_describe(const struct exit_status *exit, char *buf, size_t size);

#endif
