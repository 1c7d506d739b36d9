// SPDX-License-Identifier: MIT
/*
 * Exit statuses from real processes: every exit code 0-255 and every signal that ends a
 * process, mapped as a container runtime maps them.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tether/exitstatus.h"

static int wait_status_of_child(int code, int signal)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (signal) {
			struct sigaction action = { .sa_handler = SIG_DFL };
			struct rlimit no_core = { 0, 0 };

			/* SIGQUIT, SIGSEGV and friends would leave core files behind. */
			setrlimit(RLIMIT_CORE, &no_core);
			sigaction(signal, &action, NULL);
			raise(signal);
			pause();
		}
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_exitstatus_every_exit_code(void **state)
{
	(void)state;
	for (int code = 0; code <= 255; code++) {
		struct exit_status exit = exitstatus_from_wait(wait_status_of_child(code, 0));

		assert_int_equal(exit.code, code);
		assert_int_equal(exit.signal, 0);
		assert_int_equal(exit.status, code);
	}
}

static void test_exitstatus_every_fatal_signal_is_128_plus_n(void **state)
{
	static const int signals[] = { SIGHUP,	  SIGINT,  SIGQUIT, SIGILL,    SIGTRAP, SIGABRT,
				       SIGBUS,	  SIGFPE,  SIGKILL, SIGUSR1,   SIGSEGV, SIGUSR2,
				       SIGPIPE,	  SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ,
				       SIGVTALRM, SIGPROF, SIGIO,   SIGPWR,    SIGSYS };

	(void)state;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		struct exit_status exit = exitstatus_from_wait(wait_status_of_child(0, signals[i]));

		assert_int_equal(exit.code, -1);
		assert_int_equal(exit.signal, signals[i]);
		assert_int_equal(exit.status, 128 + signals[i]);
	}
}

static void test_exitstatus_describe(void **state)
{
	struct exit_status killed = { .code = -1, .signal = SIGKILL, .status = 137 };
	struct exit_status exited = { .code = 42, .status = 42 };
	char buf[64];

	(void)state;
	assert_string_equal(exitstatus_describe(&killed, buf, sizeof(buf)),
			    "killed by SIGKILL (exit status 137)");
	assert_string_equal(exitstatus_describe(&exited, buf, sizeof(buf)), "exited with code 42");

	/* Real-time signals have no name of their own. */
	killed = (struct exit_status){ .code = -1, .signal = 64, .status = 192 };
	assert_string_equal(exitstatus_describe(&killed, buf, sizeof(buf)),
			    "killed by signal 64 (exit status 192)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exitstatus_every_exit_code),
		cmocka_unit_test(test_exitstatus_every_fatal_signal_is_128_plus_n),
		cmocka_unit_test(test_exitstatus_describe),
	};

	return cmocka_run_group_tests_name("exitstatus", tests, NULL, NULL);
}
