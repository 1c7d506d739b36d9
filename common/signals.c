// SPDX-License-Identifier: MIT
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

struct signal_name {
	int number;
	const char *name;
};

static const struct signal_name signal_names[] = {
	{ SIGHUP, "SIGHUP" },	    { SIGINT, "SIGINT" },	{ SIGQUIT, "SIGQUIT" },
	{ SIGILL, "SIGILL" },	    { SIGTRAP, "SIGTRAP" },	{ SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" },	    { SIGFPE, "SIGFPE" },	{ SIGKILL, "SIGKILL" },
	{ SIGUSR1, "SIGUSR1" },	    { SIGSEGV, "SIGSEGV" },	{ SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" },	    { SIGALRM, "SIGALRM" },	{ SIGTERM, "SIGTERM" },
	{ SIGSTKFLT, "SIGSTKFLT" }, { SIGCHLD, "SIGCHLD" },	{ SIGCONT, "SIGCONT" },
	{ SIGSTOP, "SIGSTOP" },	    { SIGTSTP, "SIGTSTP" },	{ SIGTTIN, "SIGTTIN" },
	{ SIGTTOU, "SIGTTOU" },	    { SIGURG, "SIGURG" },	{ SIGXCPU, "SIGXCPU" },
	{ SIGXFSZ, "SIGXFSZ" },	    { SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" },
	{ SIGWINCH, "SIGWINCH" },   { SIGIO, "SIGIO" },		{ SIGPWR, "SIGPWR" },
	{ SIGSYS, "SIGSYS" },
};

int signals_from_name(const char *name)
{
	const char *bare = strncmp(name, "SIG", 3) == 0 ? name + 3 : name;

	if (bare[0] >= '0' && bare[0] <= '9' && bare == name) {
		char *end;
		long number = strtol(name, &end, 10);

		if (*end != '\0' || number < 1 || number >= NSIG)
			return -EINVAL;
		return (int)number;
	}
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++) {
		if (strcmp(signal_names[i].name + 3, bare) == 0)
			return signal_names[i].number;
	}
	return -EINVAL;
}

const char *signals_name(int signal)
{
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++) {
		if (signal_names[i].number == signal)
			return signal_names[i].name;
	}
	return "SIG?";
}

const char *signals_text(int signal, char buf[16])
{
	const char *name = signals_name(signal);

	if (strcmp(name, "SIG?") != 0)
		return name;
	snprintf(buf, 16, "%d", signal);
	return buf;
}
