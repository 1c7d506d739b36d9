// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../tether/user.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# a comment\n"
			     "\n"
			     "+nis:x:::::\n"
			     "broken line without fields\n"
			     "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
			     "app:x:1000:1000:App User:/home/app:/bin/sh\n"
			     "nohome:x:1001:100:::/bin/sh\n"
			     "badid:x:12x:1::/:/bin/sh\n";

static const char group[] = "root:x:0:\n"
			    "users:x:100:app,nohome\n"
			    "app:x:1000:\n"
			    "audio:x:29:app\n"
			    "video:x:44:other,app,third\n"
			    "staff:x:50:\n";

static void test_user_resolve_name_takes_passwd_entry_and_groups(void **state)
{
	struct user_identity id;
	char err[256];

	(void)state;
	assert_int_equal(user_resolve("app", passwd, group, &id, err, sizeof(err)), 0);
	assert_int_equal(id.uid, 1000);
	assert_int_equal(id.gid, 1000);
	assert_string_equal(id.home, "/home/app");
	assert_int_equal(id.n_groups, 4);
	assert_int_equal(id.groups[0], 1000);
	assert_int_equal(id.groups[1], 100);
	assert_int_equal(id.groups[2], 29);
	assert_int_equal(id.groups[3], 44);
}

/* Lines of any length: a user with a long GECOS, a group with a long member list. */
static void test_user_resolve_long_lines(void **state)
{
	char passwd_long[4096], group_long[8192], gecos[3000], members[6000];
	struct user_identity id;
	char err[256];
	size_t n = 0;

	(void)state;
	memset(gecos, 'g', sizeof(gecos) - 1);
	gecos[sizeof(gecos) - 1] = '\0';
	while (n + 12 < sizeof(members))
		n += (size_t)snprintf(members + n, sizeof(members) - n, "user%04zu,", n);
	snprintf(members + n, sizeof(members) - n, "app");
	snprintf(passwd_long, sizeof(passwd_long), "app:x:1000:1000:%s:/home/app:/bin/sh\n", gecos);
	snprintf(group_long, sizeof(group_long), "app:x:1000:\nmany:x:77:%s\n", members);
	assert_int_equal(user_resolve("app", passwd_long, group_long, &id, err, sizeof(err)), 0);
	assert_int_equal(id.uid, 1000);
	assert_string_equal(id.home, "/home/app");
	assert_int_equal(id.n_groups, 2);
	assert_int_equal(id.groups[1], 77);
}

static void test_user_resolve_uid_with_entry_uses_it(void **state)
{
	struct user_identity id;
	char err[256];

	(void)state;
	assert_int_equal(user_resolve("1000", passwd, group, &id, err, sizeof(err)), 0);
	assert_int_equal(id.uid, 1000);
	assert_int_equal(id.gid, 1000);
	assert_string_equal(id.home, "/home/app");
	assert_int_equal(id.n_groups, 4);
}

static void test_user_resolve_uid_without_entry_gets_group_0_and_root_home(void **state)
{
	struct user_identity id;
	char err[256];

	(void)state;
	assert_int_equal(user_resolve("4242", passwd, group, &id, err, sizeof(err)), 0);
	assert_int_equal(id.uid, 4242);
	assert_int_equal(id.gid, 0);
	assert_string_equal(id.home, "/");
	assert_int_equal(id.n_groups, 1);
	assert_int_equal(id.groups[0], 0);
}

static void test_user_resolve_explicit_group_by_name_and_number(void **state)
{
	struct user_identity id;
	char err[256];

	(void)state;
	assert_int_equal(user_resolve("app:staff", passwd, group, &id, err, sizeof(err)), 0);
	assert_int_equal(id.uid, 1000);
	assert_int_equal(id.gid, 50);
	assert_int_equal(id.groups[0], 50);
	assert_int_equal(id.n_groups, 4);

	assert_int_equal(user_resolve("4242:4343", NULL, NULL, &id, err, sizeof(err)), 0);
	assert_int_equal(id.uid, 4242);
	assert_int_equal(id.gid, 4343);
	assert_int_equal(id.n_groups, 1);
}

static void test_user_resolve_empty_home_reads_as_root(void **state)
{
	struct user_identity id;
	char err[256];

	(void)state;
	assert_int_equal(user_resolve("nohome", passwd, group, &id, err, sizeof(err)), 0);
	assert_int_equal(id.uid, 1001);
	assert_int_equal(id.gid, 100);
	assert_string_equal(id.home, "/");
	assert_int_equal(id.n_groups, 1);
}

static void test_user_resolve_empty_spec_is_root(void **state)
{
	struct user_identity id;
	char err[256];

	(void)state;
	assert_int_equal(user_resolve("", passwd, group, &id, err, sizeof(err)), 0);
	assert_int_equal(id.uid, 0);
	assert_int_equal(id.gid, 0);
	assert_string_equal(id.home, "/root");
	assert_int_equal(user_resolve(NULL, NULL, NULL, &id, err, sizeof(err)), 0);
	assert_string_equal(id.home, "/");
}

struct bad_case {
	const char *spec;
	int error;
	const char *message;
};

static void test_user_resolve_errors_name_the_user_or_group(void **state)
{
	static const struct bad_case cases[] = {
		{ "nobody", -ENOENT, "user 'nobody': not found in /etc/passwd" },
		{ "badid", -ENOENT, "user 'badid': not found in /etc/passwd" },
		{ "app:nogroup", -ENOENT, "group 'nogroup': not found in /etc/group" },
		{ "12x", -EINVAL, "user '12x': not a valid uid" },
		{ "4294967295", -EINVAL, "user '4294967295': not a valid uid" },
		{ "app:9z", -EINVAL, "group '9z': not a valid gid" },
		{ ":100", -EINVAL, "user ':100': expected USER or USER:GROUP" },
		{ "app:", -EINVAL, "user 'app:': expected USER or USER:GROUP" },
	};
	struct user_identity id;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(user_resolve(cases[i].spec, passwd, group, &id, err, sizeof(err)),
				 cases[i].error);
		assert_string_equal(err, cases[i].message);
	}
}

static void test_user_resolve_name_without_passwd_file(void **state)
{
	struct user_identity id;
	char err[256];

	(void)state;
	assert_int_equal(user_resolve("app", NULL, group, &id, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "user 'app': not found in /etc/passwd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_resolve_name_takes_passwd_entry_and_groups),
		cmocka_unit_test(test_user_resolve_long_lines),
		cmocka_unit_test(test_user_resolve_uid_with_entry_uses_it),
		cmocka_unit_test(test_user_resolve_uid_without_entry_gets_group_0_and_root_home),
		cmocka_unit_test(test_user_resolve_explicit_group_by_name_and_number),
		cmocka_unit_test(test_user_resolve_empty_home_reads_as_root),
		cmocka_unit_test(test_user_resolve_empty_spec_is_root),
		cmocka_unit_test(test_user_resolve_errors_name_the_user_or_group),
		cmocka_unit_test(test_user_resolve_name_without_passwd_file),
	};

	return cmocka_run_group_tests_name("user", tests, NULL, NULL);
}
