// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tether/workload.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "app:x:1000:1000::/home/app:/bin/sh\n";
static const char group[] = "root:x:0:\nusers:x:100:app\n";

static void prepare(const char *json, struct config *config, struct workload *w, int expected,
		    const char *message)
{
	char err[256] = "";

	assert_int_equal(config_parse(json, strlen(json), config, err, sizeof(err)), 0);
	assert_int_equal(workload_prepare(config, "vm", passwd, group, w, err, sizeof(err)),
			 expected);
	if (message)
		assert_string_equal(err, message);
}

static void assert_strings(char **actual, const char *const *expected)
{
	size_t i;

	for (i = 0; expected[i]; i++) {
		assert_non_null(actual[i]);
		assert_string_equal(actual[i], expected[i]);
	}
	assert_null(actual[i]);
}

static void test_workload_prepare_entrypoint_then_cmd_with_image_defaults(void **state)
{
	static const char *const argv[] = { "/init", "--flag", "serve", NULL };
	static const char *const env[] = { "A=1", "PATH=" WORKLOAD_DEFAULT_PATH, "HOME=/home/app",
					   "HOSTNAME=vm", NULL };
	struct config config;
	struct workload w;

	(void)state;
	prepare("{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": \"r\"}},"
		" \"hostname\": \"box\", \"image\": {\"config\": {\"Entrypoint\": [\"/init\", "
		"\"--flag\"], \"Cmd\": [\"serve\"], \"Env\": [\"A=1\"], \"User\": \"app\", "
		"\"WorkingDir\": \"/srv\"}}}",
		&config, &w, 0, NULL);
	assert_strings(w.argv, argv);
	assert_strings(w.env, env);
	assert_string_equal(w.cwd, "/srv");
	assert_int_equal(w.identity.uid, 1000);
	assert_int_equal(w.identity.n_groups, 2);
	workload_free(&w);
	config_free(&config);
}

static void test_workload_prepare_process_fields_override(void **state)
{
	static const char *const argv[] = { "sh", "-c", "echo", NULL };
	static const char *const env[] = { "A=2",	  "PATH=/bin",	"B=3", "HOME=/root",
					   "HOSTNAME=vm", "TERM=xterm", NULL };
	struct config config;
	struct workload w;

	(void)state;
	prepare("{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": \"r\"}},"
		" \"image\": {\"config\": {\"Entrypoint\": [\"/init\"], \"Cmd\": [\"serve\"], "
		"\"Env\": [\"A=1\", \"PATH=/usr/bin\"], \"User\": \"app\", \"WorkingDir\": "
		"\"/srv\"}},"
		" \"process\": {\"args\": [\"sh\", \"-c\", \"echo\"], \"env\": [\"A=2\", "
		"\"PATH=/bin\", \"B=3\"], \"user\": \"root\", \"cwd\": \"/tmp\", \"terminal\": "
		"true}}",
		&config, &w, 0, NULL);
	assert_strings(w.argv, argv);
	assert_strings(w.env, env);
	assert_string_equal(w.cwd, "/tmp");
	assert_int_equal(w.identity.uid, 0);
	assert_true(w.terminal);
	workload_free(&w);
	config_free(&config);
}

static void test_workload_prepare_needs_something_to_run(void **state)
{
	struct config config;
	struct workload w;

	(void)state;
	prepare("{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": \"r\"}}}",
		&config, &w, -ENOEXEC,
		"nothing to run: no process.args and no Entrypoint or Cmd in the image config");
	config_free(&config);
}

static void test_workload_prepare_names_unknown_user(void **state)
{
	struct config config;
	struct workload w;

	(void)state;
	prepare("{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": \"r\"}},"
		" \"process\": {\"args\": [\"id\"], \"user\": \"ghost\"}}",
		&config, &w, -ENOENT, "user 'ghost': not found in /etc/passwd");
	config_free(&config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workload_prepare_entrypoint_then_cmd_with_image_defaults),
		cmocka_unit_test(test_workload_prepare_process_fields_override),
		cmocka_unit_test(test_workload_prepare_needs_something_to_run),
		cmocka_unit_test(test_workload_prepare_names_unknown_user),
	};

	return cmocka_run_group_tests_name("workload", tests, NULL, NULL);
}
