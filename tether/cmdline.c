// SPDX-License-Identifier: MIT
#include "cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "../common/cleanup.h"

#define KEY_PREFIX "tether."
#define TIMEOUT_DEFAULT_MS 10000u
#define CHANNEL_TIMEOUT_DEFAULT_MS 5000u
#define TIMEOUT_MAX_S 3600u

struct parse_state {
	struct cmdline_options *options;
	char *err;
	size_t err_size;
};

int cmdline_tokenize(const char *text, cmdline_visit_fn visit, void *userdata)
{
	_cleanup_free_ char *token = NULL;
	size_t length = strlen(text);
	const char *p = text;

	if (length > CMDLINE_MAX)
		return -E2BIG;
	token = malloc(length + 1);
	if (!token)
		return -ENOMEM;

	for (;;) {
		bool in_quote = false;
		char *value = NULL;
		size_t n = 0;
		int r;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return 0;

		for (; *p != '\0'; p++) {
			if (isspace((unsigned char)*p) && !in_quote)
				break;
			if (*p == '"') {
				in_quote = !in_quote;
				continue;
			}
			if (*p == '=' && !value) {
				token[n++] = '\0';
				value = token + n;
				continue;
			}
			token[n++] = *p;
		}
		token[n] = '\0';

		/* The kernel hands everything after "--" to init as arguments. */
		if (!value && !in_quote && strcmp(token, "--") == 0)
			return 0;

		r = visit(token, value, in_quote, userdata);
		if (r != 0)
			return r;
	}
}

void cmdline_options_init(struct cmdline_options *options)
{
	*options = (struct cmdline_options){
		.log_level = LOG_INFO,
		.timeout_ms = TIMEOUT_DEFAULT_MS,
		.channel_timeout_ms = CHANNEL_TIMEOUT_DEFAULT_MS,
	};
	transport_default(&options->channel);
}

static int fail(struct parse_state *state, int error, const char *key, const char *reason)
{
	snprintf(state->err, state->err_size, "'%s': %s", key, reason);
	return error;
}

static int parse_uint(const char *value, unsigned int min, unsigned int max, unsigned int *ret)
{
	unsigned long number;
	char *end;

	if (!isdigit((unsigned char)value[0]))
		return -EINVAL;
	errno = 0;
	number = strtoul(value, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || number < min || number > max)
		return -ERANGE;
	*ret = (unsigned int)number;
	return 0;
}

static int parse_bool(const char *value, bool *ret)
{
	static const char *const truths[] = { "1", "y", "yes", "true", "on" };
	static const char *const lies[] = { "0", "n", "no", "false", "off" };

	for (size_t i = 0; i < ARRAY_SIZE(truths); i++) {
		if (strcmp(value, truths[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(value, lies[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static bool module_name_valid(const char *name, size_t length)
{
	if (length == 0 || length >= CMDLINE_MODULE_NAME_MAX)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	}
	return true;
}

static int parse_modules(struct parse_state *state, const char *key, const char *value)
{
	struct cmdline_options *options = state->options;
	const char *p = value;

	for (;;) {
		size_t length = strcspn(p, ",");

		if (!module_name_valid(p, length))
			return fail(state, -EINVAL, key,
				    "expected a comma-separated list of module names");
		if (options->n_modules == CMDLINE_MODULES_MAX)
			return fail(state, -E2BIG, key, "too many modules");
		memcpy(options->modules[options->n_modules], p, length);
		options->modules[options->n_modules][length] = '\0';
		options->n_modules++;

		if (p[length] == '\0')
			return 0;
		p += length + 1;
	}
}

/* A flag: the key alone means true, or a boolean value says which. */
static int parse_flag(struct parse_state *state, const char *key, const char *value, bool *flag)
{
	bool on = true;

	if (value && parse_bool(value, &on) < 0)
		return fail(state, -EINVAL, key, "expected a boolean (1/0, yes/no, on/off)");
	*flag = on;
	return 0;
}

static int parse_debug(struct parse_state *state, const char *key, const char *value)
{
	return parse_flag(state, key, value, &state->options->debug);
}

static int parse_debug_exit(struct parse_state *state, const char *key, const char *value)
{
	return parse_flag(state, key, value, &state->options->debug_exit);
}

static int parse_loglevel(struct parse_state *state, const char *key, const char *value)
{
	unsigned int level;
	int r;

	if (!value)
		return fail(state, -EINVAL, key, "missing value");
	r = parse_uint(value, 0, LOG_DEBUG, &level);
	if (r < 0)
		return fail(state, r, key, "expected a level from 0 to 7");
	state->options->log_level = (int)level;
	return 0;
}

static int parse_timeout(struct parse_state *state, const char *key, const char *value)
{
	unsigned int seconds;
	int r;

	if (!value)
		return fail(state, -EINVAL, key, "missing value");
	r = parse_uint(value, 1, TIMEOUT_MAX_S, &seconds);
	if (r < 0)
		return fail(state, r, key, "expected whole seconds from 1 to 3600");
	state->options->timeout_ms = seconds * 1000u;
	return 0;
}

static int parse_channel(struct parse_state *state, const char *key, const char *value)
{
	char reason[192];

	if (!value)
		return fail(state, -EINVAL, key, "missing value");
	if (transport_parse(value, &state->options->channel, reason, sizeof(reason)) < 0)
		return fail(state, -EINVAL, key, reason);
	state->options->has_channel = true;
	return 0;
}

static int parse_channel_timeout(struct parse_state *state, const char *key, const char *value)
{
	unsigned int seconds;
	int r;

	if (!value)
		return fail(state, -EINVAL, key, "missing value");
	r = parse_uint(value, 0, TIMEOUT_MAX_S, &seconds);
	if (r < 0)
		return fail(state, r, key, "expected whole seconds from 0 to 3600");
	state->options->channel_timeout_ms = seconds * 1000u;
	return 0;
}

static int parse_modules_key(struct parse_state *state, const char *key, const char *value)
{
	if (!value)
		return fail(state, -EINVAL, key, "missing value");
	return parse_modules(state, key, value);
}

struct known_key {
	const char *name;
	int (*parse)(struct parse_state *state, const char *key, const char *value);
};

static const struct known_key known_keys[] = {
	{ "tether.debug", parse_debug },
	{ "tether.debug_exit", parse_debug_exit },
	{ "tether.loglevel", parse_loglevel },
	{ "tether.timeout", parse_timeout },
	{ "tether.modules", parse_modules_key },
	{ "tether.channel", parse_channel },
	{ "tether.channel_timeout", parse_channel_timeout },
};

static int visit_token(const char *key, const char *value, bool unterminated, void *userdata)
{
	struct parse_state *state = userdata;
	struct cmdline_options *options = state->options;
	const struct known_key *known = NULL;

	if (strncmp(key, KEY_PREFIX, strlen(KEY_PREFIX)) != 0)
		return 0;

	for (size_t i = 0; i < ARRAY_SIZE(known_keys) && !known; i++) {
		if (strcmp(key, known_keys[i].name) == 0)
			known = &known_keys[i];
	}

	/*
	 * A newer host may pass keys this tether does not know, with values it cannot judge:
	 * keep booting, but say so.
	 */
	if (!known) {
		if (options->n_unknown < CMDLINE_UNKNOWN_MAX)
			snprintf(options->unknown[options->n_unknown], sizeof(options->unknown[0]),
				 "%s", key);
		options->n_unknown++;
		return 0;
	}

	if (unterminated)
		return fail(state, -EINVAL, key, "unterminated quote");
	if (value && value[0] == '\0')
		return fail(state, -EINVAL, key, "empty value");
	if (value && strlen(value) > CMDLINE_VALUE_MAX)
		return fail(state, -E2BIG, key, "value too long");
	return known->parse(state, key, value);
}

int cmdline_parse(const char *text, struct cmdline_options *options, char *err, size_t err_size)
{
	struct parse_state state = { .options = options, .err = err, .err_size = err_size };
	int r;

	if (err_size > 0)
		err[0] = '\0';
	r = cmdline_tokenize(text, visit_token, &state);
	if (r < 0 && err_size > 0 && err[0] == '\0') {
		if (r == -E2BIG)
			snprintf(err, err_size, "command line longer than %d bytes", CMDLINE_MAX);
		else
			snprintf(err, err_size, "%s", strerror(-r));
	}
	return r;
}

int cmdline_log_level(const struct cmdline_options *options)
{
	return options->debug ? LOG_DEBUG : options->log_level;
}
