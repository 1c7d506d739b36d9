// SPDX-License-Identifier: MIT
/*
 * Process semantics of the supervision loop, run on the host with the test as a child
 * subreaper standing in for PID 1: exit statuses, orphans, many simultaneous exits, signal
 * forwarding and the stop sequence.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tether/supervise.h"

static int signal_fd = -1;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	signal_fd = supervise_signals_open();
	assert_true(signal_fd >= 0);
	return 0;
}

static pid_t spawn_shell(const char *script)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static struct exit_status supervise(pid_t pid, unsigned int grace_ms, bool *stop_requested)
{
	struct supervise_options options = { .stop_signal = SIGTERM, .stop_grace_ms = grace_ms };
	struct exit_status exit;

	assert_int_equal(supervise_run(signal_fd, pid, &options, NULL, &exit, stop_requested), 0);
	return exit;
}

static bool no_children_left(void)
{
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static void test_supervise_reports_exit_code(void **state)
{
	bool stop_requested = true;
	struct exit_status exit = supervise(spawn_shell("exit 42"), 1000, &stop_requested);

	(void)state;
	assert_int_equal(exit.status, 42);
	assert_false(stop_requested);
	assert_true(no_children_left());
}

static void test_supervise_reports_signal_as_128_plus_n(void **state)
{
	bool stop_requested;
	struct exit_status exit = supervise(spawn_shell("kill -9 $$"), 1000, &stop_requested);

	(void)state;
	assert_int_equal(exit.signal, SIGKILL);
	assert_int_equal(exit.status, 137);
}

static void test_supervise_reaps_200_simultaneous_orphans(void **state)
{
	bool stop_requested;
	struct exit_status exit = supervise(
		spawn_shell("i=0; while [ $i -lt 200 ]; do sleep 0.2 & i=$((i + 1)); done; exit 5"),
		1000, &stop_requested);

	(void)state;
	assert_int_equal(exit.status, 5);
	/* The orphans end after the workload: what is left is reaped the same way. */
	for (int i = 0; i < 100 && !no_children_left(); i++) {
		usleep(20000);
		while (waitpid(-1, NULL, WNOHANG) > 0) {}
	}
	assert_true(no_children_left());
}

static void test_supervise_reaps_orphans_while_the_workload_runs(void **state)
{
	char pid_file[] = "/tmp/test_supervise.XXXXXX", script[256];
	bool stop_requested;
	struct exit_status exit;
	int fd = mkstemp(pid_file);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	/* The grandchild ends while the workload sleeps: by then it must be gone, not a zombie. */
	snprintf(script, sizeof(script),
		 "sh -c 'sleep 0.1 & echo $! > %s'; sleep 0.8; test ! -e /proc/$(cat %s)", pid_file,
		 pid_file);
	exit = supervise(spawn_shell(script), 1000, &stop_requested);
	unlink(pid_file);
	assert_int_equal(exit.status, 0);
}

static void test_supervise_forwards_signals(void **state)
{
	bool stop_requested;
	pid_t pid = spawn_shell("trap 'exit 9' USR1; while :; do sleep 0.05; done");
	struct exit_status exit;

	(void)state;
	usleep(300000);
	kill(getpid(), SIGUSR1);
	exit = supervise(pid, 1000, &stop_requested);
	assert_int_equal(exit.status, 9);
	assert_false(stop_requested);
}

static void test_supervise_stop_escalates_to_sigkill(void **state)
{
	struct timespec start;
	bool stop_requested = false;
	pid_t pid = spawn_shell("trap '' TERM; sleep 30");
	struct exit_status exit;

	(void)state;
	usleep(300000);
	clock_gettime(CLOCK_MONOTONIC, &start);
	kill(getpid(), SIGTERM);
	exit = supervise(pid, 500, &stop_requested);
	assert_true(stop_requested);
	assert_int_equal(exit.signal, SIGKILL);
	assert_int_equal(exit.status, 137);
	assert_true(seconds_since(&start) >= 0.5);
	assert_true(seconds_since(&start) < 10);
}

static void test_supervise_stop_ends_a_cooperative_workload(void **state)
{
	bool stop_requested = false;
	pid_t pid = spawn_shell("trap 'exit 3' TERM; while :; do sleep 0.05; done");
	struct exit_status exit;

	(void)state;
	usleep(300000);
	kill(getpid(), SIGTERM);
	exit = supervise(pid, 5000, &stop_requested);
	assert_true(stop_requested);
	assert_int_equal(exit.status, 3);
}

/* A host stand-in: its requests are handed over after a delay, through a pipe it watches. */
struct fake_host {
	int pipe_fds[2];
	struct supervise_request requests[4];
	size_t n_requests;
	size_t next;
	unsigned int polled;
};

static size_t host_watch(void *context, struct pollfd *fds, size_t max, int *timeout_ms)
{
	struct fake_host *host = context;

	assert_true(max >= 1);
	fds[0] = (struct pollfd){ .fd = host->pipe_fds[0], .events = POLLIN };
	(void)timeout_ms;
	return 1;
}

static void host_handle(void *context, const struct pollfd *fds, size_t n)
{
	struct fake_host *host = context;
	char byte;

	assert_int_equal(n, 1);
	if (fds[0].revents & POLLIN && read(host->pipe_fds[0], &byte, 1) == 1)
		host->polled++;
}

static bool host_request(void *context, struct supervise_request *ret)
{
	struct fake_host *host = context;

	/* One request per byte the test wrote: they arrive while the loop runs. */
	if (host->next >= host->n_requests || host->next >= host->polled)
		return false;
	*ret = host->requests[host->next++];
	return true;
}

static struct exit_status supervise_with_host(pid_t pid, struct fake_host *host,
					      bool *stop_requested)
{
	struct supervise_options options = { .stop_signal = SIGTERM, .stop_grace_ms = 30000 };
	struct supervise_hooks hooks = { host_watch, host_handle, host_request, host };
	struct exit_status exit;

	assert_int_equal(supervise_run(signal_fd, pid, &options, &hooks, &exit, stop_requested), 0);
	close(host->pipe_fds[0]);
	close(host->pipe_fds[1]);
	return exit;
}

static void test_supervise_host_signal_reaches_the_workload(void **state)
{
	struct fake_host host = { .requests = { { .signal = SIGUSR2 } }, .n_requests = 1 };
	pid_t pid = spawn_shell("trap 'exit 12' USR2; while :; do sleep 0.05; done");
	bool stop_requested = true;
	struct exit_status exit;

	(void)state;
	assert_int_equal(pipe(host.pipe_fds), 0);
	usleep(300000);
	assert_int_equal(write(host.pipe_fds[1], "x", 1), 1);
	exit = supervise_with_host(pid, &host, &stop_requested);
	assert_int_equal(exit.status, 12);
	assert_false(stop_requested);
}

static void test_supervise_host_stop_uses_its_grace_then_sigkill(void **state)
{
	struct fake_host host = {
		.requests = { { .stop = true, .has_grace = true, .grace_ms = 400 } },
		.n_requests = 1,
	};
	pid_t pid = spawn_shell("trap '' TERM; sleep 30");
	bool stop_requested = false;
	struct timespec start;
	struct exit_status exit;

	(void)state;
	assert_int_equal(pipe(host.pipe_fds), 0);
	usleep(300000);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(write(host.pipe_fds[1], "x", 1), 1);
	/* The configured grace is 30 s: only the request's 400 ms can end it this soon. */
	exit = supervise_with_host(pid, &host, &stop_requested);
	assert_true(stop_requested);
	assert_int_equal(exit.status, 137);
	assert_true(seconds_since(&start) >= 0.4);
	assert_true(seconds_since(&start) < 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_supervise_reports_exit_code),
		cmocka_unit_test(test_supervise_reports_signal_as_128_plus_n),
		cmocka_unit_test(test_supervise_reaps_200_simultaneous_orphans),
		cmocka_unit_test(test_supervise_reaps_orphans_while_the_workload_runs),
		cmocka_unit_test(test_supervise_forwards_signals),
		cmocka_unit_test(test_supervise_stop_escalates_to_sigkill),
		cmocka_unit_test(test_supervise_stop_ends_a_cooperative_workload),
		cmocka_unit_test(test_supervise_host_signal_reaches_the_workload),
		cmocka_unit_test(test_supervise_host_stop_uses_its_grace_then_sigkill),
	};

	return cmocka_run_group_tests_name("supervise", tests, setup, NULL);
}
