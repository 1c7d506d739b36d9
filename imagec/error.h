/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_ERROR_H
#define IMAGEC_ERROR_H

/*
 * The reason for the last failure on this thread, carried from the helper that found it to the
 * command that gives up, which prints it once. Helpers never print.
 */

/* Record a reason and return code (a -errno), so a helper can `return error_set(...)`. */
int error_set(int code, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The recorded reason, or NULL when the last failure recorded none. */
const char *error_message(void);

void error_clear(void);

/*
 * Print "imagec: <what>: <reason>" on stderr, the reason being the recorded one or the text of
 * code, control characters written as \xNN. Returns code.
 */
int error_report(int code, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
