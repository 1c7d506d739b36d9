/* SPDX-License-Identifier: MIT */
/*
 * Child processes of cvm: the helper tools it runs to completion (imagec, mke2fs) and QEMU,
 * which runs beside it. Every child gets an empty signal mask and default dispositions (cvm
 * blocks the signals it reads through a signalfd) and dies with cvm (PR_SET_PDEATHSIG).
 */
#ifndef CVM_SPAWN_H
#define CVM_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Run argv (searched in PATH) and wait for it. Its stdout is captured into a heap string
 * owned by the caller when ret_output is not NULL (at most 1 MiB), else it is /dev/null; its
 * stderr is cvm's. Returns the exit status (0-255, 128+n for signal n), or -errno when it
 * could not be started.
 */
int spawn_run(char *const argv[], char **ret_output);

/*
 * Start argv in a session of its own (a Ctrl-C on the terminal reaches cvm only), stdin
 * /dev/null, stdout and stderr to the file at log_path. Returns the PID or -errno.
 */
pid_t spawn_background(char *const argv[], const char *log_path);

/* The exit status of a wait status: the code, or 128+n for signal n. */
int spawn_exit_status(int wait_status);

#endif
