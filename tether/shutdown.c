// SPDX-License-Identifier: MIT
#include "shutdown.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "earlyfs.h"
#include "log.h"
#include "mountinfo.h"

#define POLL_MS 10
#define UNMOUNT_TRIES 5
#define UNMOUNT_RETRY_MS 50
#define KILL_REAP_MS 1000
#define DEBUG_EXIT_PORT 0xf4
#define CONSOLE_DRAIN_MS 2000

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

/* Reap children until none is left or ms pass. Returns whether none is left. */
static bool reap_all(unsigned int ms)
{
	for (unsigned int waited = 0;; waited += POLL_MS) {
		pid_t pid;

		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {}
		if (pid < 0 && errno == ECHILD)
			return true;
		if (waited >= ms)
			return false;
		sleep_ms(POLL_MS);
	}
}

bool shutdown_kill_all(unsigned int grace_ms)
{
	/* kill(-1) reaches every process but PID 1 itself; ESRCH: there is none. */
	if (kill(-1, SIGTERM) < 0 && errno == ESRCH)
		return false;
	/* A stopped process cannot act on SIGTERM until it is continued. */
	kill(-1, SIGCONT);
	if (reap_all(grace_ms))
		return false;

	kill(-1, SIGKILL);
	if (!reap_all(KILL_REAP_MS))
		log_warning("processes left after SIGKILL, continuing shutdown");
	return true;
}

static int unmount_one(const char *target)
{
	for (int try = 0; try < UNMOUNT_TRIES; try++) {
		if (umount2(target, 0) == 0)
			return 0;
		/* EINVAL: no longer a mount point, because its parent went first. */
		if (errno == EINVAL || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		sleep_ms(UNMOUNT_RETRY_MS);
	}
	/* Still busy: detach it so its filesystem is at least flushed when the last user goes. */
	if (umount2(target, MNT_DETACH) < 0)
		return -errno;
	return -EBUSY;
}

int shutdown_unmount_all(void)
{
	struct mountinfo_list mounts;
	int failures = 0;
	int r;

	sync();
	r = mountinfo_read(&mounts);
	if (r < 0) {
		log_error("read mount table: %s, skipping unmount", strerror(-r));
		return 1;
	}

	for (size_t i = mounts.count; i-- > 0;) {
		const char *target = mounts.targets[i];

		if (strcmp(target, "/") == 0 || earlyfs_owns(target))
			continue;
		r = unmount_one(target);
		if (r == -EBUSY) {
			log_warning("unmount '%s': busy, detached it", target);
			failures++;
		} else if (r < 0) {
			log_error("unmount '%s': %s", target, strerror(-r));
			failures++;
		}
	}
	mountinfo_list_free(&mounts);
	sync();
	return failures;
}

void shutdown_drain_console(unsigned int ms)
{
	/* The workload may have stopped output with tcflow(TCOOFF): restart it first. */
	tcflow(STDOUT_FILENO, TCOON);
	for (unsigned int waited = 0; waited < ms; waited += POLL_MS) {
		int pending = 0;

		if (ioctl(STDOUT_FILENO, TIOCOUTQ, &pending) < 0 || pending == 0)
			return;
		sleep_ms(POLL_MS);
	}
}

void shutdown_debug_exit(int status)
{
	/* QEMU ends the moment the port is written: whatever the console holds goes out first. */
	shutdown_drain_console(CONSOLE_DRAIN_MS);
	sync();
	if (ioperm(DEBUG_EXIT_PORT, 1, 1) < 0) {
		log_warning("isa-debug-exit port: %s, powering off without it", strerror(errno));
		return;
	}
	outb((unsigned char)status, DEBUG_EXIT_PORT);
	/* Still here: the VM has no such device, so the power-off below must do. */
	log_debug("isa-debug-exit: no device at port 0x%x", DEBUG_EXIT_PORT);
}

_Noreturn void shutdown_power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);

	/* PID 1 must never exit: that is a kernel panic. Wait for someone to pull the plug. */
	log_error("power off: %s, halting here", strerror(errno));
	for (;;)
		pause();
}
