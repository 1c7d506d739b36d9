// SPDX-License-Identifier: MIT
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char error_text[1024];

int error_set(int code, const char *format, ...)
{
	char text[sizeof(error_text)];
	va_list args;

	/* Through a copy: callers often wrap the previous reason, passing error_message(). */
	va_start(args, format);
	vsnprintf(text, sizeof(text), format, args);
	va_end(args);
	memcpy(error_text, text, sizeof(text));
	return code;
}

const char *error_message(void)
{
	return error_text[0] ? error_text : NULL;
}

void error_clear(void)
{
	error_text[0] = '\0';
}

int error_report(int code, const char *format, ...)
{
	char what[512];
	va_list args;

	va_start(args, format);
	vsnprintf(what, sizeof(what), format, args);
	va_end(args);
	fprintf(stderr, "imagec: %s: %s\n", what,
		error_message() ? error_message() : strerror(-code));
	error_clear();
	return code;
}
