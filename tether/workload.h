/* SPDX-License-Identifier: MIT */
/*
 * The workload: what to run (argv, environment, working directory, user), composed from the
 * image config and the process fields of config.json, and how it is started: in its own
 * session and mount namespace, inside the container root, with default signal dispositions.
 */
#ifndef TETHER_WORKLOAD_H
#define TETHER_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "user.h"

#define WORKLOAD_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Exit statuses for a workload that could not be started, as shells and runtimes use them. */
#define WORKLOAD_EXIT_NOT_FOUND 127
#define WORKLOAD_EXIT_CANNOT_EXEC 126

struct workload {
	char **argv; /* NULL-terminated, strings owned by the config */
	char **env;  /* NULL-terminated, strings owned here */
	size_t n_env;
	const char *cwd;
	const char *user; /* as configured, for messages */
	struct user_identity identity;
	bool terminal;
	bool no_new_privs;
	const struct config_rlimit *rlimits;
	size_t n_rlimits;
};

/*
 * Compose the workload from config: argv is process.args, else the image's Entrypoint then
 * Cmd; env is the image's Env overridden by process.env, plus PATH, HOME, HOSTNAME (the VM's
 * host name) and TERM when they are missing; passwd and group are the container's files (NULL
 * when absent).
 * Returns 0 or -errno with a message in err.
 */
int workload_prepare(const struct config *config, const char *hostname, const char *passwd,
		     const char *group, struct workload *ret, char *err, size_t err_size);

void workload_free(struct workload *workload);

/*
 * Start the workload inside root (a mount point) and return its pid. stdio, when not NULL,
 * holds descriptors for its stdin, stdout and stderr (-1: keep the console). When it cannot be
 * started, *ret_failed_status is 127 (not found), 126 (not executable) or 125 (setup), err
 * says why, *ret_failed_error is the errno of the step that failed, and the process has
 * already been reaped; otherwise *ret_failed_status is 0.
 * Returns 0, or -errno when not even the fork worked.
 */
int workload_start(const struct workload *workload, const char *root, const int stdio[3],
		   pid_t *ret_pid, int *ret_failed_status, int *ret_failed_error, char *err,
		   size_t err_size);

#endif
