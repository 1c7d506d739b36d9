/* SPDX-License-Identifier: MIT */
/*
 * Who the workload runs as, from the container's own /etc/passwd and /etc/group (no NSS):
 * "name", "uid", "name:group", "uid:gid" and the mixed forms, as container runtimes read them.
 */
#ifndef TETHER_USER_H
#define TETHER_USER_H

#include <stddef.h>
#include <sys/types.h>

#define USER_GROUPS_MAX 64

struct user_identity {
	uid_t uid;
	gid_t gid;
	size_t n_groups; /* supplementary groups, the primary group first */
	gid_t groups[USER_GROUPS_MAX];
	char home[256]; /* from passwd; "/" when the user has no entry */
};

/*
 * Resolve spec against the text of passwd and group (NULL for a missing file). An empty spec
 * is root. Returns 0, or -ENOENT (a name that is not in the file) or -EINVAL (a malformed
 * spec), with a message in err.
 */
int user_resolve(const char *spec, const char *passwd, const char *group, struct user_identity *ret,
		 char *err, size_t err_size);

#endif
