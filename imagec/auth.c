// SPDX-License-Identifier: MIT
#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* RFC 7230 tchar. */
static bool auth_is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *auth_skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static char *auth_token(const char **p)
{
	const char *start = *p;
	char *token;

	while (auth_is_tchar(**p))
		(*p)++;
	if (*p == start)
		return NULL;
	token = strndup(start, (size_t)(*p - start));
	return token;
}

static void auth_lower(char *text)
{
	for (; *text; text++)
		*text = (char)tolower((unsigned char)*text);
}

/* A quoted-string at *p (on its opening quote), with backslash escapes removed. */
static int auth_quoted(const char **p, char **ret)
{
	const char *q = *p + 1;
	char *value = malloc(strlen(q) + 1);
	size_t length = 0;

	if (!value)
		return -ENOMEM;
	for (; *q && *q != '"'; q++) {
		if (*q == '\\' && q[1])
			q++;
		value[length++] = *q;
	}
	if (*q != '"') {
		free(value);
		return error_set(-EINVAL, "unterminated quoted string in WWW-Authenticate");
	}
	value[length] = '\0';
	*p = q + 1;
	*ret = value;
	return 0;
}

/*
 * Parameters of one challenge, until the end or the start of the next challenge (a token not
 * followed by '=').
 */
static int auth_parse_params(const char **p, struct auth_challenge *challenge)
{
	for (;;) {
		const char *start;
		char *name;
		char *value = NULL;
		int r;

		*p = auth_skip_space(*p);
		while (**p == ',')
			*p = auth_skip_space(*p + 1);
		start = *p;
		name = auth_token(p);
		if (!name)
			return **p ? error_set(-EINVAL, "bad WWW-Authenticate near '%s'", *p) : 0;
		*p = auth_skip_space(*p);
		if (**p != '=') {
			/* The next challenge's scheme. */
			free(name);
			*p = start;
			return 0;
		}
		*p = auth_skip_space(*p + 1);
		if (**p == '"')
			r = auth_quoted(p, &value);
		else if (!(value = auth_token(p)))
			r = error_set(-EINVAL, "no value for '%s' in WWW-Authenticate", name);
		if (r >= 0 && challenge->param_count == AUTH_PARAMS_MAX)
			r = error_set(-E2BIG, "too many WWW-Authenticate parameters");
		if (r < 0) {
			free(name);
			free(value);
			return r;
		}
		auth_lower(name);
		challenge->params[challenge->param_count++] = (struct auth_param){ name, value };
		*p = auth_skip_space(*p);
		if (**p && **p != ',')
			return error_set(-EINVAL, "bad WWW-Authenticate near '%s'", *p);
	}
}

int auth_parse(const char *header, struct auth_challenge *ret, size_t max)
{
	const char *p = header;
	size_t count = 0;

	for (;;) {
		struct auth_challenge *challenge;
		int r;

		p = auth_skip_space(p);
		while (*p == ',')
			p = auth_skip_space(p + 1);
		if (!*p)
			break;
		if (count == max) {
			auth_challenges_free(ret, count);
			return error_set(-E2BIG, "too many WWW-Authenticate challenges");
		}
		challenge = &ret[count];
		*challenge = (struct auth_challenge){ .scheme = auth_token(&p) };
		if (!challenge->scheme) {
			auth_challenges_free(ret, count);
			return error_set(-EINVAL, "bad WWW-Authenticate scheme near '%s'", p);
		}
		auth_lower(challenge->scheme);
		count++;
		r = auth_parse_params(&p, challenge);
		if (r < 0) {
			auth_challenges_free(ret, count);
			return r;
		}
	}
	return (int)count;
}

void auth_challenges_free(struct auth_challenge *challenges, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(challenges[i].scheme);
		for (size_t j = 0; j < challenges[i].param_count; j++) {
			free(challenges[i].params[j].name);
			free(challenges[i].params[j].value);
		}
		challenges[i] = (struct auth_challenge){ 0 };
	}
}

const char *auth_param(const struct auth_challenge *challenge, const char *name)
{
	for (size_t i = 0; i < challenge->param_count; i++) {
		if (strcmp(challenge->params[i].name, name) == 0)
			return challenge->params[i].value;
	}
	return NULL;
}
