/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line, as tether reads it. Tokens are split the way the kernel splits
 * them: on white space outside double quotes. Quotes group and are removed; a backslash is an
 * ordinary character, as it is to the kernel. Tokens after a lone "--" belong to init's argv
 * and are not read. Only "tether." keys are tether's: see docs/cmdline.md.
 */
#ifndef TETHER_CMDLINE_H
#define TETHER_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "transport.h"

/* The longest command line accepted; x86's own limit is 2048 bytes. */
#define CMDLINE_MAX 4096
/* The longest value of a tether key. */
#define CMDLINE_VALUE_MAX 255
#define CMDLINE_MODULES_MAX 16
#define CMDLINE_MODULE_NAME_MAX 56
#define CMDLINE_UNKNOWN_MAX 8

struct cmdline_options {
	int log_level;		 /* tether.loglevel: syslog level of tether's messages */
	bool debug;		 /* tether.debug: log everything, whatever log_level says */
	bool debug_exit;	 /* tether.debug_exit: exit status to QEMU's isa-debug-exit */
	unsigned int timeout_ms; /* deadline for every wait in the boot path */
	size_t n_modules;	 /* tether.modules: loaded on top of the built-in list */
	char modules[CMDLINE_MODULES_MAX][CMDLINE_MODULE_NAME_MAX];
	bool has_channel;		 /* tether.channel was given: it wins over config.json */
	struct transport channel;	 /* ... and says this */
	unsigned int channel_timeout_ms; /* tether.channel_timeout: wait for the exit's ack */
	size_t n_unknown; /* tether.* keys not known to this version, for a warning ... */
	char unknown[CMDLINE_UNKNOWN_MAX][CMDLINE_VALUE_MAX + 1]; /* ... the first ones named */
};

/*
 * Called for every token; value is NULL for a token without '='. A non-zero return stops the
 * walk and is returned by cmdline_tokenize().
 */
typedef int (*cmdline_visit_fn)(const char *key, const char *value, bool unterminated,
				void *userdata);

/*
 * Split text into key[=value] tokens and call visit for each. Returns 0, -E2BIG when text is
 * longer than CMDLINE_MAX, or the first non-zero visit result.
 */
int cmdline_tokenize(const char *text, cmdline_visit_fn visit, void *userdata);

/* The defaults that hold when the command line says nothing. */
void cmdline_options_init(struct cmdline_options *options);

/*
 * Read tether's keys from text into options (which the caller initialised). Returns 0 or a
 * -errno with a message naming the key and the reason in err.
 */
int cmdline_parse(const char *text, struct cmdline_options *options, char *err, size_t err_size);

/* The level tether logs at: LOG_DEBUG with tether.debug, else tether.loglevel. */
int cmdline_log_level(const struct cmdline_options *options);

#endif
