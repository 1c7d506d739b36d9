// SPDX-License-Identifier: MIT
#include "user.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"

#define FIELDS_MAX 7
#define ID_MAX 4294967294ull /* (uid_t)-1 means "no change" to the kernel */

/* One line of passwd or group split at ':' in place; returns the field count. */
static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;

	for (char *p = line; n < max;) {
		fields[n++] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

static bool parse_id(const char *text, unsigned long long *ret)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	*ret = strtoull(text, &end, 10);
	return *end == '\0' && errno == 0 && *ret <= ID_MAX;
}

/*
 * Call visit for each well-formed line of a passwd or group file with min_fields or more
 * fields. Blank lines, comments and NIS compat entries are skipped. Stops when visit returns
 * true.
 */
typedef bool (*line_visit_fn)(char **fields, size_t n_fields, void *userdata);

static void for_each_line(const char *text, size_t min_fields, line_visit_fn visit, void *userdata)
{
	/* A copy to cut into lines in place: a line is as long as it is (a group of many). */
	_cleanup_free_ char *copy = text ? strdup(text) : NULL;

	for (char *line = copy; line && *line;) {
		size_t length = strcspn(line, "\n");
		char *next = line + length + (line[length] == '\n');
		char *fields[FIELDS_MAX];
		size_t n;

		line[length] = '\0';
		if (length > 0 && line[0] != '#' && line[0] != '+' && line[0] != '-') {
			n = split_fields(line, fields, FIELDS_MAX);
			if (n >= min_fields && visit(fields, n, userdata))
				return;
		}
		line = next;
	}
}

struct passwd_match {
	const char *name; /* match by name, or */
	uid_t uid;	  /* by uid when name is NULL */
	bool found;
	char found_name[64];
	uid_t found_uid;
	gid_t found_gid;
	char home[256];
};

static bool match_passwd(char **fields, size_t n, void *userdata)
{
	struct passwd_match *m = userdata;
	unsigned long long uid, gid;

	(void)n;
	if (!parse_id(fields[2], &uid) || !parse_id(fields[3], &gid))
		return false;
	if (m->name ? strcmp(fields[0], m->name) != 0 : uid != m->uid)
		return false;
	m->found = true;
	snprintf(m->found_name, sizeof(m->found_name), "%s", fields[0]);
	m->found_uid = (uid_t)uid;
	m->found_gid = (gid_t)gid;
	snprintf(m->home, sizeof(m->home), "%s", n > 5 && fields[5][0] ? fields[5] : "/");
	return true;
}

struct group_match {
	const char *name;
	bool found;
	gid_t gid;
};

static bool match_group_name(char **fields, size_t n, void *userdata)
{
	struct group_match *m = userdata;
	unsigned long long gid;

	(void)n;
	if (strcmp(fields[0], m->name) != 0 || !parse_id(fields[2], &gid))
		return false;
	m->found = true;
	m->gid = (gid_t)gid;
	return true;
}

static void add_group(struct user_identity *identity, gid_t gid)
{
	for (size_t i = 0; i < identity->n_groups; i++) {
		if (identity->groups[i] == gid)
			return;
	}
	if (identity->n_groups < USER_GROUPS_MAX)
		identity->groups[identity->n_groups++] = gid;
}

struct member_scan {
	const char *user;
	struct user_identity *identity;
};

static bool collect_memberships(char **fields, size_t n, void *userdata)
{
	struct member_scan *scan = userdata;
	unsigned long long gid;
	char *save = NULL;

	if (n < 4 || !parse_id(fields[2], &gid))
		return false;
	for (char *member = strtok_r(fields[3], ",", &save); member;
	     member = strtok_r(NULL, ",", &save)) {
		if (strcmp(member, scan->user) == 0)
			add_group(scan->identity, (gid_t)gid);
	}
	return false;
}

static int resolve_user(const char *user, const char *passwd, struct user_identity *identity,
			struct passwd_match *m, char *err, size_t err_size)
{
	unsigned long long uid = 0;

	if (parse_id(user, &uid)) {
		m->uid = (uid_t)uid;
	} else if (user[0] >= '0' && user[0] <= '9') {
		snprintf(err, err_size, "user '%s': not a valid uid", user);
		return -EINVAL;
	} else {
		m->name = user;
	}
	for_each_line(passwd, 6, match_passwd, m);

	if (m->name && !m->found) {
		snprintf(err, err_size, "user '%s': not found in /etc/passwd", user);
		return -ENOENT;
	}
	/* A uid without an entry runs with group 0 and "/" as HOME, as runtimes do. */
	identity->uid = m->found ? m->found_uid : (uid_t)uid;
	identity->gid = m->found ? m->found_gid : 0;
	snprintf(identity->home, sizeof(identity->home), "%s", m->found ? m->home : "/");
	return 0;
}

static int resolve_group(const char *group_spec, const char *group, struct user_identity *identity,
			 char *err, size_t err_size)
{
	struct group_match m = { .name = group_spec };
	unsigned long long gid;

	if (parse_id(group_spec, &gid)) {
		identity->gid = (gid_t)gid;
		return 0;
	}
	if (group_spec[0] >= '0' && group_spec[0] <= '9') {
		snprintf(err, err_size, "group '%s': not a valid gid", group_spec);
		return -EINVAL;
	}
	for_each_line(group, 3, match_group_name, &m);
	if (!m.found) {
		snprintf(err, err_size, "group '%s': not found in /etc/group", group_spec);
		return -ENOENT;
	}
	identity->gid = m.gid;
	return 0;
}

int user_resolve(const char *spec, const char *passwd, const char *group, struct user_identity *ret,
		 char *err, size_t err_size)
{
	struct user_identity identity = { 0 };
	struct passwd_match m = { 0 };
	char user[256];
	const char *colon;
	int r;

	if (!spec || spec[0] == '\0')
		spec = "0";
	if (strlen(spec) >= sizeof(user)) {
		snprintf(err, err_size, "user '%.32s...': too long", spec);
		return -EINVAL;
	}
	snprintf(user, sizeof(user), "%s", spec);
	colon = strchr(spec, ':');
	if (colon)
		user[colon - spec] = '\0';
	if (user[0] == '\0' || (colon && colon[1] == '\0')) {
		snprintf(err, err_size, "user '%s': expected USER or USER:GROUP", spec);
		return -EINVAL;
	}

	r = resolve_user(user, passwd, &identity, &m, err, err_size);
	if (r < 0)
		return r;
	if (colon) {
		r = resolve_group(colon + 1, group, &identity, err, err_size);
		if (r < 0)
			return r;
	}

	add_group(&identity, identity.gid);
	if (m.found) {
		struct member_scan scan = { .user = m.found_name, .identity = &identity };

		for_each_line(group, 4, collect_memberships, &scan);
	}
	*ret = identity;
	return 0;
}
