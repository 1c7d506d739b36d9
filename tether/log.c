// SPDX-License-Identifier: MIT
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

/* /dev/kmsg takes one record per write and truncates records longer than this. */
#define LOG_LINE_MAX 1024

static int kmsg_fd = -1;
static int max_level = LOG_INFO;

int log_open(void)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	log_close();
	kmsg_fd = fd;
	return 0;
}

void log_close(void)
{
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = -1;
}

void log_set_level(int level)
{
	max_level = level;
}

int log_get_level(void)
{
	return max_level;
}

void log_msg(int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	int saved_errno = errno;
	int prefix, n;
	va_list ap;

	if (level > max_level)
		return;

	prefix = snprintf(line, sizeof(line), "<%d>tether: ", level);
	va_start(ap, fmt);
	n = vsnprintf(line + prefix, sizeof(line) - (size_t)prefix - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - (size_t)prefix - 2)
		n = (int)(sizeof(line) - (size_t)prefix - 2);
	line[prefix + n] = '\n';
	n += prefix + 1;

	/* A lost log line must never stop the boot: write errors are deliberately ignored. */
	if (kmsg_fd >= 0) {
		(void)!write(kmsg_fd, line, (size_t)n);
	} else {
		/* Without kmsg nobody reads the "<level>" marker: drop it. */
		(void)!write(STDERR_FILENO, line + 3, (size_t)n - 3);
	}
	errno = saved_errno;
}
