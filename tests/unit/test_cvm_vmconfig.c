// SPDX-License-Identifier: MIT
/* config.json from cvm's command line and the image's metadata, as tether reads it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cvm/options.h"
#include "../../cvm/vmconfig.h"

#define ARGC(argv) ((int)(sizeof(argv) / sizeof((argv)[0])) - 1)
#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

/* What `imagec inspect` prints, trimmed to what cvm reads (and one field it does not). */
static const char *const INSPECT =
	"{\"id\": \"3333\", \"manifestDigest\": \"" D3 "\", \"configDigest\": \"" D2 "\","
	" \"chainID\": \"" D1 "\", \"diffIDs\": [\"" D1 "\"], \"architecture\": \"amd64\","
	" \"os\": \"linux\", \"created\": \"2024-01-02T03:04:05Z\", \"entrypoint\": null,"
	" \"cmd\": [\"sh\"], \"env\": [\"PATH=/bin\"], \"workingDir\": \"/\", \"user\": null,"
	" \"labels\": {\"a\": \"b\"}, \"tags\": [\"busybox:latest\"]}";

static char err[512];

static json_t *load(const char *text)
{
	json_error_t error;
	json_t *json = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);

	if (!json)
		fail_msg("bad JSON in the test: %s: %s", error.text, text);
	return json;
}

/* The config of `cvm run ARGV` on inspect (NULL: --rootfs) with layer_count layers. */
static json_t *build(int argc, char **argv, const char *inspect_text, size_t layer_count)
{
	struct options options;
	json_t *inspect = inspect_text ? load(inspect_text) : NULL;
	json_t *config = NULL;

	assert_int_equal(options_parse(argc, argv, &options, err, sizeof(err)), 0);
	assert_int_equal(vmconfig_build(&options, inspect, layer_count, &config, err, sizeof(err)),
			 0);
	options_free(&options);
	json_decref(inspect);
	return config;
}

static void assert_json(json_t *actual, const char *path, const char *expected_text)
{
	json_t *expected = load(expected_text);
	json_t *value = actual;

	/* path: keys separated by '.', one level each */
	char copy[128];

	snprintf(copy, sizeof(copy), "%s", path);
	for (char *key = strtok(copy, "."); key && value; key = strtok(NULL, "."))
		value = json_object_get(value, key);
	if (!json_equal(value, expected)) {
		char *got = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

		fail_msg("%s: got %s, expected %s", path, got ? got : "(absent)", expected_text);
	}
	json_decref(expected);
}

static void test_vmconfig_image_defaults(void **state)
{
	char *argv[] = { "run", "busybox", NULL };
	json_t *config = build(ARGC(argv), argv, INSPECT, 1);

	(void)state;
	assert_json(config, "version", "1");
	assert_json(config, "root",
		    "{\"mode\": \"layers\", \"layers\": [{\"serial\": \"layer-0\"}],"
		    " \"scratch\": {\"serial\": \"scratch\"}}");
	assert_json(config, "volumes", "[]");
	/* Nothing on the command line changes the process: tether takes the image's. */
	assert_json(config, "process", "{}");
	assert_json(config, "stop", "{\"signal\": \"SIGTERM\", \"grace_seconds\": 10}");
	assert_null(json_object_get(config, "hostname"));
	assert_json(
		config, "image",
		"{\"name\": \"busybox\", \"manifest_digest\": \"" D3 "\", \"config_digest\": \"" D2
		"\", \"diff_ids\": [\"" D1 "\"], \"chain_id\": \"" D1 "\","
		" \"architecture\": \"amd64\", \"os\": \"linux\","
		" \"created\": \"2024-01-02T03:04:05Z\", \"config\": {\"Cmd\": [\"sh\"],"
		" \"Env\": [\"PATH=/bin\"], \"WorkingDir\": \"/\", \"Labels\": {\"a\": \"b\"}}}");
	json_decref(config);
}

static void test_vmconfig_options_into_process_and_volumes(void **state)
{
	char *argv[] = { "run",
			 "-e",
			 "A=1",
			 "-w",
			 "/srv",
			 "-u",
			 "app",
			 "-v",
			 "data:/data",
			 "-v",
			 "/x.img:/x:ro",
			 "--hostname",
			 "box",
			 "--stop-signal",
			 "SIGINT",
			 "--stop-timeout",
			 "3",
			 "busybox",
			 "ls",
			 "-l",
			 NULL };
	json_t *config = build(ARGC(argv), argv, INSPECT, 3);

	(void)state;
	assert_json(config, "root.layers",
		    "[{\"serial\": \"layer-0\"}, {\"serial\": \"layer-1\"}, {\"serial\": "
		    "\"layer-2\"}]");
	assert_json(config, "process",
		    "{\"args\": [\"ls\", \"-l\"], \"env\": [\"A=1\"], \"cwd\": \"/srv\","
		    " \"user\": \"app\"}");
	assert_json(
		config, "volumes",
		"[{\"disk\": {\"serial\": \"vol-0\"}, \"target\": \"/data\", \"read_only\": false},"
		" {\"disk\": {\"serial\": \"vol-1\"}, \"target\": \"/x\", \"read_only\": true}]");
	assert_json(config, "hostname", "\"box\"");
	assert_json(config, "stop", "{\"signal\": \"SIGINT\", \"grace_seconds\": 3}");
	json_decref(config);
}

/* Docker's rules for Entrypoint and Cmd. */
static const char *const INSPECT_ENTRYPOINT =
	"{\"diffIDs\": [\"" D1 "\"], \"entrypoint\": [\"/init\", \"--flag\"],"
	" \"cmd\": [\"serve\"]}";

/* A real-time stop signal has no name both C libraries agree on: it goes as its number. */
static void test_vmconfig_stop_signal_without_a_name(void **state)
{
	char *argv[] = { "run", "--stop-signal", "40", "busybox", NULL };
	json_t *config = build(ARGC(argv), argv, INSPECT, 1);

	(void)state;
	assert_json(config, "stop", "{\"signal\": \"40\", \"grace_seconds\": 10}");
	json_decref(config);
}

static void test_vmconfig_command_keeps_entrypoint(void **state)
{
	char *argv[] = { "run", "app", "check", NULL };
	json_t *config = build(ARGC(argv), argv, INSPECT_ENTRYPOINT, 1);

	(void)state;
	assert_json(config, "process.args", "[\"/init\", \"--flag\", \"check\"]");
	json_decref(config);
}

static void test_vmconfig_entrypoint_option_drops_cmd(void **state)
{
	char *argv[] = { "run", "--entrypoint", "/bin/sh", "app", NULL };
	char *argv_command[] = { "run", "--entrypoint", "/bin/sh", "app", "-c", "true", NULL };
	char *argv_empty[] = { "run", "--entrypoint", "", "app", "echo", "x", NULL };
	json_t *config = build(ARGC(argv), argv, INSPECT_ENTRYPOINT, 1);

	(void)state;
	assert_json(config, "process.args", "[\"/bin/sh\"]");
	json_decref(config);
	config = build(ARGC(argv_command), argv_command, INSPECT_ENTRYPOINT, 1);
	assert_json(config, "process.args", "[\"/bin/sh\", \"-c\", \"true\"]");
	json_decref(config);
	config = build(ARGC(argv_empty), argv_empty, INSPECT_ENTRYPOINT, 1);
	assert_json(config, "process.args", "[\"echo\", \"x\"]");
	json_decref(config);
}

static void test_vmconfig_refuses_nothing_to_run(void **state)
{
	char *argv[] = { "run", "--entrypoint", "", "app", NULL };
	struct options options;
	json_t *inspect = load(INSPECT_ENTRYPOINT), *config = NULL;

	(void)state;
	assert_int_equal(options_parse(ARGC(argv), argv, &options, err, sizeof(err)), 0);
	assert_int_equal(vmconfig_build(&options, inspect, 1, &config, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "nothing to run: the entry point is empty and no COMMAND was given");
	assert_null(config);
	options_free(&options);
	json_decref(inspect);
}

static void test_vmconfig_refuses_bad_metadata(void **state)
{
	char *argv[] = { "run", "app", "x", NULL };
	struct options options;
	json_t *inspect = load("{\"entrypoint\": [\"/init\", 3]}"), *config = NULL;

	(void)state;
	assert_int_equal(options_parse(ARGC(argv), argv, &options, err, sizeof(err)), 0);
	assert_int_equal(vmconfig_build(&options, inspect, 1, &config, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "image metadata: 'entrypoint[1]' is not a string");
	options_free(&options);
	json_decref(inspect);
}

static void test_vmconfig_rootfs_is_disk_mode_without_image(void **state)
{
	char *argv[] = { "run", "--rootfs", "/r.ext4", "sh", "-c", "exit 3", NULL };
	json_t *config = build(ARGC(argv), argv, NULL, 0);

	(void)state;
	assert_json(config, "root", "{\"mode\": \"disk\", \"disk\": {\"serial\": \"root\"}}");
	assert_json(config, "process.args", "[\"sh\", \"-c\", \"exit 3\"]");
	assert_null(json_object_get(config, "image"));
	json_decref(config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmconfig_image_defaults),
		cmocka_unit_test(test_vmconfig_options_into_process_and_volumes),
		cmocka_unit_test(test_vmconfig_command_keeps_entrypoint),
		cmocka_unit_test(test_vmconfig_entrypoint_option_drops_cmd),
		cmocka_unit_test(test_vmconfig_refuses_nothing_to_run),
		cmocka_unit_test(test_vmconfig_refuses_bad_metadata),
		cmocka_unit_test(test_vmconfig_rootfs_is_disk_mode_without_image),
		cmocka_unit_test(test_vmconfig_stop_signal_without_a_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
