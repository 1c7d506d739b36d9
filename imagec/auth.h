/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_AUTH_H
#define IMAGEC_AUTH_H

#include <stddef.h>

/* One challenge of a WWW-Authenticate header (RFC 7235): a scheme and its parameters. */
#define AUTH_PARAMS_MAX 16
#define AUTH_CHALLENGES_MAX 8

struct auth_param {
	char *name; /* lowercase */
	char *value;
};

struct auth_challenge {
	char *scheme; /* lowercase: "bearer", "basic" */
	struct auth_param params[AUTH_PARAMS_MAX];
	size_t param_count;
};

/*
 * Parse a WWW-Authenticate value into at most max challenges: several challenges, quoted
 * values with escapes, commas inside quoted values. Returns the number of challenges, or
 * -EINVAL with a reason on malformed input. Free with auth_challenges_free().
 */
int auth_parse(const char *header, struct auth_challenge *ret, size_t max);
void auth_challenges_free(struct auth_challenge *challenges, size_t count);

/* The value of a parameter (name in lowercase), or NULL. */
const char *auth_param(const struct auth_challenge *challenge, const char *name);

#endif
