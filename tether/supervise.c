// SPDX-License-Identifier: MIT
#include "supervise.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"

static const int forwarded_signals[] = { SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

int supervise_signals_open(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		sigaddset(&set, forwarded_signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return negative_errno();
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return negative_errno();
	return fd;
}

static bool is_forwarded(int signal)
{
	for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++) {
		if (forwarded_signals[i] == signal)
			return true;
	}
	return false;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reap every child that has ended; returns whether pid was among them. */
static bool reap(pid_t pid, int *ret_status)
{
	bool found = false;
	pid_t reaped;
	int status;

	while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) {
		if (reaped == pid) {
			*ret_status = status;
			found = true;
		}
	}
	return found;
}

struct stop_state {
	bool requested;
	int64_t kill_at; /* -1 when no SIGKILL is due */
};

static void request_stop(pid_t pid, const struct supervise_options *options,
			 const struct supervise_request *request, struct stop_state *stop)
{
	unsigned int grace =
		request && request->has_grace ? request->grace_ms : options->stop_grace_ms;

	if (stop->requested)
		return;
	stop->requested = true;
	kill(pid, options->stop_signal);
	stop->kill_at = monotonic_ms() + grace;
}

static void read_signals(int signal_fd, pid_t pid, const struct supervise_options *options,
			 struct stop_state *stop)
{
	struct signalfd_siginfo info;

	while (read(signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
		int signal = (int)info.ssi_signo;

		if (signal == SIGTERM)
			request_stop(pid, options, NULL, stop);
		else if (is_forwarded(signal))
			kill(pid, signal);
	}
}

static void take_requests(const struct supervise_hooks *hooks, pid_t pid,
			  const struct supervise_options *options, struct stop_state *stop)
{
	struct supervise_request request;

	while (hooks->request(hooks->context, &request)) {
		if (request.stop)
			request_stop(pid, options, &request, stop);
		else
			kill(pid, request.signal);
	}
}

int supervise_run(int signal_fd, pid_t pid, const struct supervise_options *options,
		  const struct supervise_hooks *hooks, struct exit_status *ret_exit,
		  bool *ret_stop_requested)
{
	struct stop_state stop = { .kill_at = -1 };
	int status;

	/* The workload may have ended before the first SIGCHLD was read. */
	for (;;) {
		struct pollfd fds[1 + SUPERVISE_WATCH_MAX] = { { .fd = signal_fd,
								 .events = POLLIN } };
		size_t n = 0;
		int timeout = -1;

		if (reap(pid, &status))
			break;
		/* Requests that came before the workload started, or with the last wakeup. */
		if (hooks)
			take_requests(hooks, pid, options, &stop);

		if (stop.kill_at >= 0) {
			int64_t left = stop.kill_at - monotonic_ms();

			if (left <= 0) {
				/* The workload's session: what it started dies with it. */
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				stop.kill_at = -1;
				continue;
			}
			timeout = (int)left;
		}
		if (hooks)
			n = hooks->watch(hooks->context, fds + 1, SUPERVISE_WATCH_MAX, &timeout);
		if (poll(fds, 1 + n, timeout) < 0 && errno != EINTR)
			return negative_errno();

		read_signals(signal_fd, pid, options, &stop);
		if (hooks)
			hooks->handle(hooks->context, fds + 1, n);
	}

	*ret_exit = exitstatus_from_wait(status);
	*ret_stop_requested = stop.requested;
	return 0;
}
