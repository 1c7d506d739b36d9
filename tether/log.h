/* SPDX-License-Identifier: MIT */
/*
 * The guest logger. Messages go to /dev/kmsg as "<level>tether: ..." once log_open() has
 * found it, and to stderr before that (the console, once early mounts set stdio up) or when
 * tether runs on a host. Levels are syslog's; messages above the current level are dropped.
 */
#ifndef TETHER_LOG_H
#define TETHER_LOG_H

#include <syslog.h>

/* Open /dev/kmsg. Returns 0 or -errno; on failure messages keep going to stderr. */
int log_open(void);
void log_close(void);
void log_set_level(int level);
int log_get_level(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
