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

/*
 * Text with its control bytes written as \xNN: names and messages come from registries,
 * archives and layers, and an escape sequence in one must not reach the terminal as such.
 */
static void error_print_escaped(FILE *out, const char *text)
{
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;

		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

int error_report(int code, const char *format, ...)
{
	char what[512];
	va_list args;

	va_start(args, format);
	vsnprintf(what, sizeof(what), format, args);
	va_end(args);
	fputs("imagec: ", stderr);
	error_print_escaped(stderr, what);
	fputs(": ", stderr);
	error_print_escaped(stderr, error_message() ? error_message() : strerror(-code));
	fputc('\n', stderr);
	error_clear();
	return code;
}
