/* SPDX-License-Identifier: MIT */
#ifndef COMMON_SIGNALS_H
#define COMMON_SIGNALS_H

/*
 * The signal NAME names: "SIGTERM", "TERM" or a number ("15"), case as written. Returns the
 * signal number, or -EINVAL.
 */
int signals_from_name(const char *name);

/* "SIGTERM" for 15; "SIG?" for a number without a name. */
const char *signals_name(int signal);

/*
 * "SIGTERM" for 15, the number ("40") for one without a name (the real-time signals, whose
 * names differ between C libraries): text that signals_from_name() reads back. buf holds it.
 */
const char *signals_text(int signal, char buf[16]);

#endif
