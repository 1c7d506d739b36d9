/* SPDX-License-Identifier: MIT */
#ifndef TETHER_SHUTDOWN_H
#define TETHER_SHUTDOWN_H

#include <stdbool.h>

/*
 * Send SIGTERM to every process but PID 1, reap them for up to grace_ms, then SIGKILL and reap
 * what is left. Returns whether SIGKILL was needed.
 */
bool shutdown_kill_all(unsigned int grace_ms);

/*
 * Unmount every filesystem but / and the early API mounts, newest first; a busy one is retried
 * and then detached. Logs each failure. Returns how many could not be unmounted cleanly.
 */
int shutdown_unmount_all(void);

/*
 * Let what the console's tty still holds go out, for at most ms milliseconds: a stopped
 * (tcflow) or flow-controlled console must not hold PID 1 up.
 */
void shutdown_drain_console(unsigned int ms);

/*
 * Write status to QEMU's isa-debug-exit port (0xf4), which ends QEMU at once with exit status
 * (status << 1) | 1. Without that device, nothing happens and this returns.
 */
void shutdown_debug_exit(int status);

/* sync and power the machine off. Never returns, whatever happens. */
_Noreturn void shutdown_power_off(void);

#endif
