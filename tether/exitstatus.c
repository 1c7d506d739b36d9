// SPDX-License-Identifier: MIT
#include "exitstatus.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "../common/signals.h"

struct exit_status exitstatus_from_wait(int wait_status)
{
	if (WIFSIGNALED(wait_status)) {
		int signal = WTERMSIG(wait_status);

		return (struct exit_status){ .code = -1, .signal = signal, .status = 128 + signal };
	}
	return (struct exit_status){ .code = WEXITSTATUS(wait_status),
				     .status = WEXITSTATUS(wait_status) };
}

const char *exitstatus_describe(const struct exit_status *exit, char *buf, size_t size)
{
	if (exit->signal && strcmp(signals_name(exit->signal), "SIG?") == 0)
		snprintf(buf, size, "killed by signal %d (exit status %d)", exit->signal,
			 exit->status);
	else if (exit->signal)
		snprintf(buf, size, "killed by %s (exit status %d)", signals_name(exit->signal),
			 exit->status);
	else
		snprintf(buf, size, "exited with code %d", exit->code);
	return buf;
}
