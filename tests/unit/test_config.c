// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "../../tether/config.h"

#define ROOT_DISK "\"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": \"root\"}}"

static int parse(const char *text, struct config *config, char *err)
{
	return config_parse(text, strlen(text), config, err, 256);
}

static void test_config_parse_minimal_disk_root_gets_defaults(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"version\": 1, " ROOT_DISK "}", &c, err), 0);
	assert_int_equal(c.root.mode, CONFIG_ROOT_DISK);
	assert_int_equal(c.root.disk.by, CONFIG_SELECT_SERIAL);
	assert_string_equal(c.root.disk.value, "root");
	assert_int_equal(c.n_volumes, 0);
	assert_null(c.process.args.strings);
	assert_null(c.process.cwd);
	assert_null(c.hostname);
	assert_int_equal(c.stop_signal, SIGTERM);
	assert_int_equal(c.stop_grace_ms, 10000);
	assert_int_equal(c.disk_timeout_ms, 0);
	assert_false(c.debug_exit);
	config_free(&c);
}

static void test_config_parse_full_config(void **state)
{
	static const char text[] =
		"{\"version\": 1,"
		" \"root\": {\"mode\": \"layers\", \"layers\": [{\"uuid\": \"u-1\"}, {\"label\": "
		"\"top\"}], \"scratch\": {\"serial\": \"scratch\"}},"
		" \"volumes\": [{\"disk\": {\"serial\": \"vol-a\"}, \"target\": \"/data\"},"
		"   {\"disk\": {\"label\": \"logs\"}, \"target\": \"/var/log\", \"read_only\": "
		"true,"
		"    \"options\": \"noatime\"}],"
		" \"process\": {\"args\": [\"/bin/sh\", \"-c\", \"\"], \"env\": [\"A=1\", \"B=\"],"
		"   \"cwd\": \"/tmp\", \"user\": \"1000:100\", \"terminal\": true, "
		"\"no_new_privs\": true,"
		"   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 4096},"
		"                 {\"type\": \"RLIMIT_CORE\", \"soft\": -1, \"hard\": -1}]},"
		" \"image\": {\"config\": {\"Entrypoint\": [\"/init\"], \"Cmd\": null, \"Env\": "
		"[\"PATH=/bin\"], \"WorkingDir\": \"\", \"User\": \"app\", \"Labels\": {\"a\": "
		"\"b\"},"
		"   \"ExposedPorts\": {\"80/tcp\": {}}}},"
		" \"hostname\": \"box-1\","
		" \"stop\": {\"signal\": \"SIGINT\", \"grace_seconds\": 3},"
		" \"disk_timeout_seconds\": 20, \"debug_exit\": true}";
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(text, &c, err), 0);
	assert_int_equal(c.root.mode, CONFIG_ROOT_LAYERS);
	assert_int_equal(c.root.n_layers, 2);
	assert_int_equal(c.root.layers[0].by, CONFIG_SELECT_UUID);
	assert_string_equal(c.root.layers[0].value, "u-1");
	assert_int_equal(c.root.layers[1].by, CONFIG_SELECT_LABEL);
	assert_true(c.root.has_scratch);
	assert_string_equal(c.root.scratch.value, "scratch");

	assert_int_equal(c.n_volumes, 2);
	assert_string_equal(c.volumes[0].target, "/data");
	assert_false(c.volumes[0].read_only);
	assert_null(c.volumes[0].options);
	assert_true(c.volumes[1].read_only);
	assert_string_equal(c.volumes[1].options, "noatime");
	assert_string_equal(config_selector_name(c.volumes[1].disk.by), "label");

	assert_int_equal(c.process.args.count, 3);
	assert_string_equal(c.process.args.strings[2], "");
	assert_null(c.process.args.strings[3]);
	assert_int_equal(c.process.env.count, 2);
	assert_string_equal(c.process.env.strings[1], "B=");
	assert_string_equal(c.process.cwd, "/tmp");
	assert_string_equal(c.process.user, "1000:100");
	assert_true(c.process.terminal);
	assert_true(c.process.no_new_privs);
	assert_int_equal(c.process.n_rlimits, 2);
	assert_int_equal(c.process.rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(c.process.rlimits[0].limit.rlim_cur, 1024);
	assert_int_equal(c.process.rlimits[0].limit.rlim_max, 4096);
	assert_true(c.process.rlimits[1].limit.rlim_cur == RLIM_INFINITY);

	assert_int_equal(c.image.entrypoint.count, 1);
	assert_null(c.image.cmd.strings);
	assert_string_equal(c.image.env.strings[0], "PATH=/bin");
	assert_null(c.image.working_dir);
	assert_string_equal(c.image.user, "app");

	assert_string_equal(c.hostname, "box-1");
	assert_int_equal(c.stop_signal, SIGINT);
	assert_int_equal(c.stop_grace_ms, 3000);
	assert_int_equal(c.disk_timeout_ms, 20000);
	assert_true(c.debug_exit);
	config_free(&c);
}

struct bad_case {
	const char *text;
	const char *message;
};

static void test_config_parse_errors_name_the_json_path(void **state)
{
	static const struct bad_case cases[] = {
		{ "", "line 1, column 0: '[' or '{' expected near end of file" },
		{ "{\"version\": 1,",
		  "line 1, column 14: string or '}' expected near end of file" },
		{ "[1]", "$: expected an object, got an array" },
		{ "{\"version\": 1, \"version\": 1, " ROOT_DISK "}",
		  "line 1, column 24: duplicate object key near '\"version\"'" },
		{ "{" ROOT_DISK "}", "$: missing key 'version'" },
		{ "{\"version\": 1}", "$: missing key 'root'" },
		{ "{\"version\": 2, " ROOT_DISK "}",
		  "$.version: version 2 is not supported (this tether reads version 1)" },
		{ "{\"version\": \"1\", " ROOT_DISK "}",
		  "$.version: expected a whole number, got a string" },
		{ "{\"version\": 1, \"extra\": 0, " ROOT_DISK "}", "$.extra: unknown key" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"disk\"}}",
		  "$.root: mode 'disk' needs key 'disk'" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"zfs\"}}",
		  "$.root.mode: 'zfs' is not a root mode ('disk' or 'layers')" },
		{ "{\"version\": 1, \"root\": {\"disk\": {\"serial\": \"r\"}}}",
		  "$.root: missing key 'mode'" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {}}}",
		  "$.root.disk: name the disk by exactly one of 'serial', 'label' or 'uuid'" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": \"a\", "
		  "\"uuid\": "
		  "\"b\"}}}",
		  "$.root.disk: name the disk by exactly one of 'serial', 'label' or 'uuid'" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": \"\"}}}",
		  "$.root.disk.serial: must not be empty" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"name\": \"vda\"}}}",
		  "$.root.disk.name: unknown key" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": 7}}}",
		  "$.root.disk.serial: expected a string, got a number" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"disk\", \"disk\": {\"serial\": \"r\"}, "
		  "\"scratch\": {\"serial\": \"s\"}}}",
		  "$.root: mode 'disk' takes neither 'layers' nor 'scratch'" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"layers\"}}",
		  "$.root: mode 'layers' needs key 'layers'" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"layers\", \"layers\": []}}",
		  "$.root.layers: must name at least one layer disk" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"layers\", \"layers\": [{\"serial\": "
		  "\"a\"}, 3]}}",
		  "$.root.layers[1]: expected an object, got a number" },
		{ "{\"version\": 1, \"root\": {\"mode\": \"layers\", \"layers\": [{\"serial\": "
		  "\"a\"}], "
		  "\"disk\": {\"serial\": \"b\"}}}",
		  "$.root: mode 'layers' takes no 'disk'" },
		{ "{\"version\": 1, " ROOT_DISK ", \"volumes\": {}}",
		  "$.volumes: expected an array of volumes, got an object" },
		{ "{\"version\": 1, " ROOT_DISK ", \"volumes\": [{\"disk\": {\"serial\": \"v\"}}]}",
		  "$.volumes[0]: missing key 'target'" },
		{ "{\"version\": 1, " ROOT_DISK ", \"volumes\": [{\"disk\": {\"serial\": \"v\"}, "
		  "\"target\": \"data\"}]}",
		  "$.volumes[0].target: 'data' is not an absolute path" },
		{ "{\"version\": 1, " ROOT_DISK ", \"volumes\": [{\"disk\": {\"serial\": \"v\"}, "
		  "\"target\": \"/d\", \"read_only\": \"yes\"}]}",
		  "$.volumes[0].read_only: expected a boolean, got a string" },
		{ "{\"version\": 1, " ROOT_DISK ", \"process\": {\"args\": []}}",
		  "$.process.args: must name at least the program" },
		{ "{\"version\": 1, " ROOT_DISK ", \"process\": {\"args\": null}}",
		  "$.process.args: expected an array of strings, got null" },
		{ "{\"version\": 1, " ROOT_DISK ", \"process\": {\"args\": [\"\"]}}",
		  "$.process.args[0]: must not be empty" },
		{ "{\"version\": 1, " ROOT_DISK ", \"process\": {\"args\": [\"sh\", 1]}}",
		  "$.process.args[1]: expected a string, got a number" },
		{ "{\"version\": 1, " ROOT_DISK
		  ", \"process\": {\"env\": [\"A=1\", \"NOEQUALS\"]}}",
		  "$.process.env[1]: 'NOEQUALS' is not NAME=VALUE" },
		{ "{\"version\": 1, " ROOT_DISK ", \"process\": {\"env\": [\"=x\"]}}",
		  "$.process.env[0]: '=x' is not NAME=VALUE" },
		{ "{\"version\": 1, " ROOT_DISK ", \"process\": {\"cwd\": \"rel\"}}",
		  "$.process.cwd: 'rel' is not an absolute path" },
		{ "{\"version\": 1, " ROOT_DISK ", \"process\": {\"terminal\": 1}}",
		  "$.process.terminal: expected a boolean, got a number" },
		{ "{\"version\": 1, " ROOT_DISK
		  ", \"process\": {\"rlimits\": [{\"type\": \"RLIMIT_FOO\", "
		  "\"soft\": 1, \"hard\": 1}]}}",
		  "$.process.rlimits[0].type: 'RLIMIT_FOO' is not a resource limit (RLIMIT_NOFILE, "
		  "...)" },
		{ "{\"version\": 1, " ROOT_DISK
		  ", \"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", "
		  "\"soft\": 10, \"hard\": 5}]}}",
		  "$.process.rlimits[0]: soft limit is above the hard limit" },
		{ "{\"version\": 1, " ROOT_DISK
		  ", \"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", "
		  "\"soft\": -2, \"hard\": 5}]}}",
		  "$.process.rlimits[0].soft: -2 is out of range (0 to 9223372036854775807)" },
		{ "{\"version\": 1, " ROOT_DISK
		  ", \"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", "
		  "\"soft\": 1.5, \"hard\": 5}]}}",
		  "$.process.rlimits[0].soft: expected a whole number, got a number" },
		{ "{\"version\": 1, " ROOT_DISK
		  ", \"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", "
		  "\"soft\": 1}]}}",
		  "$.process.rlimits[0]: missing key 'hard'" },
		{ "{\"version\": 1, " ROOT_DISK ", \"image\": {\"config\": {\"Cmd\": \"sh\"}}}",
		  "$.image.config.Cmd: expected an array of strings, got a string" },
		{ "{\"version\": 1, " ROOT_DISK
		  ", \"image\": {\"config\": {\"WorkingDir\": \"app\"}}}",
		  "$.image.config.WorkingDir: 'app' is not an absolute path" },
		{ "{\"version\": 1, " ROOT_DISK ", \"image\": {\"config\": {\"Bogus\": 1}}}",
		  "$.image.config.Bogus: unknown key" },
		{ "{\"version\": 1, " ROOT_DISK ", \"image\": {\"manifest\": 1}}",
		  "$.image.manifest: unknown key" },
		{ "{\"version\": 1, " ROOT_DISK ", \"hostname\": \"bad host\"}",
		  "$.hostname: 'bad host' is not a valid host name" },
		{ "{\"version\": 1, " ROOT_DISK ", \"hostname\": \"-x\"}",
		  "$.hostname: '-x' is not a valid host name" },
		{ "{\"version\": 1, " ROOT_DISK ", \"hostname\": "
		  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		  "$.hostname: longer than 63 characters" },
		{ "{\"version\": 1, " ROOT_DISK ", \"stop\": {\"signal\": \"SIGNOPE\"}}",
		  "$.stop.signal: 'SIGNOPE' is not a signal" },
		{ "{\"version\": 1, " ROOT_DISK ", \"stop\": {\"grace_seconds\": 3601}}",
		  "$.stop.grace_seconds: 3601 is out of range (0 to 3600)" },
		{ "{\"version\": 1, " ROOT_DISK ", \"disk_timeout_seconds\": 0}",
		  "$.disk_timeout_seconds: 0 is out of range (1 to 3600)" },
		{ "{\"version\": 1, " ROOT_DISK ", \"disk_timeout_seconds\": 99999999999999999999}",
		  "line 1, column 113: too big integer near '99999999999999999999'" },
		{ "{\"version\": 1, " ROOT_DISK ", \"debug_exit\": null}",
		  "$.debug_exit: expected a boolean, got null" },
		{ "{\"version\": 1, " ROOT_DISK ", \"hostname\": \"a\\u0000b\"}",
		  "line 1, column 91: \\u0000 is not allowed without JSON_ALLOW_NUL near "
		  "'\"a\\u0000b\"'" },
		{ "{\"version\": 1, " ROOT_DISK ", \"channel\": \"tcp:1\"}",
		  "$.channel: 'tcp:1' is not virtio-serial[:NAME], vsock:[CID:]PORT, "
		  "serial[:DEVICE] or none" },
		{ "{\"version\": 1, \"commit\": {\"disk\": {\"serial\": \"c\"}}, " ROOT_DISK "}",
		  "$.commit: a commit needs root mode 'layers': a disk root has no upper directory "
		  "to commit" },
		{ "{\"version\": 1, " ROOT_DISK ", \"commit\": {}}",
		  "$.commit: missing key 'disk'" },
		{ "{\"version\": 1, " ROOT_DISK ", \"channel\": 5}",
		  "$.channel: expected a string, got a number" },
		{ "{\"version\": 1, " ROOT_DISK
		  ", \"image\": {\"manifest_digest\": \"sha256:AB\"}}",
		  "$.image.manifest_digest: 'sha256:AB' is not sha256: and 64 lowercase hex "
		  "digits" },
		{ "{\"version\": 1, " ROOT_DISK ", \"image\": {\"diff_ids\": [\"md5:x\"]}}",
		  "$.image.diff_ids[0]: 'md5:x' is not sha256: and 64 lowercase hex digits" },
		{ "{\"version\": 1, " ROOT_DISK ", \"image\": {\"diff_ids\": null}}",
		  "$.image.diff_ids: expected an array of digests, got null" },
		{ "{\"version\": 1, " ROOT_DISK
		  ", \"image\": {\"config\": {\"Labels\": {\"a\": 1}}}}",
		  "$.image.config.Labels.a: expected a string, got a number" },
		{ "{\"version\": 1, " ROOT_DISK ", \"image\": {\"config\": {\"Labels\": []}}}",
		  "$.image.config.Labels: expected an object, got an array" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;

		print_message("case %zu: %s\n", i, cases[i].text);
		assert_int_equal(parse(cases[i].text, &c, err), -EINVAL);
		assert_string_equal(err, cases[i].message);
	}
}

#define DIGEST_A  \
	"sha256:" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B  \
	"sha256:" \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_config_parse_image_identity_and_channel(void **state)
{
	static const char text[] =
		"{\"version\": 1, " ROOT_DISK ", \"channel\": \"vsock:1024\","
		" \"image\": {\"name\": \"busybox:latest\", \"manifest_digest\": \"" DIGEST_A "\","
		"  \"config_digest\": \"" DIGEST_B "\", \"diff_ids\": [\"" DIGEST_A
		"\", \"" DIGEST_B "\"],"
		"  \"chain_id\": \"" DIGEST_B "\", \"architecture\": \"amd64\", \"os\": \"linux\","
		"  \"created\": \"\", \"config\": {\"Labels\": {\"k\": \"v\"}}}}";
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(text, &c, err), 0);
	assert_true(c.has_channel);
	assert_int_equal(c.channel.kind, TRANSPORT_VSOCK);
	assert_int_equal(c.channel.cid, 2);
	assert_int_equal(c.channel.port, 1024);
	assert_string_equal(c.image.name, "busybox:latest");
	assert_string_equal(c.image.manifest_digest, DIGEST_A);
	assert_string_equal(c.image.config_digest, DIGEST_B);
	assert_int_equal(c.image.diff_ids.count, 2);
	assert_string_equal(c.image.diff_ids.strings[1], DIGEST_B);
	assert_string_equal(c.image.chain_id, DIGEST_B);
	assert_string_equal(c.image.architecture, "amd64");
	assert_string_equal(c.image.os, "linux");
	/* OCI writes "" for what it does not know: absent. */
	assert_null(c.image.created);
	assert_non_null(c.image.labels);
	config_free(&c);
}

static void test_config_parse_refuses_oversized_input(void **state)
{
	size_t size = CONFIG_SIZE_MAX + 1;
	char *text = malloc(size);
	struct config c;
	char err[256];

	(void)state;
	assert_non_null(text);
	memset(text, ' ', size);
	assert_int_equal(config_parse(text, size, &c, err, sizeof(err)), -EFBIG);
	assert_string_equal(err, "config is 1048577 bytes, more than 1048576");
	free(text);
}

static void test_config_parse_accepts_signal_numbers_and_short_names(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(
		parse("{\"version\": 1, " ROOT_DISK ", \"stop\": {\"signal\": \"9\"}}", &c, err),
		0);
	assert_int_equal(c.stop_signal, SIGKILL);
	config_free(&c);
	assert_int_equal(
		parse("{\"version\": 1, " ROOT_DISK ", \"stop\": {\"signal\": \"QUIT\"}}", &c, err),
		0);
	assert_int_equal(c.stop_signal, SIGQUIT);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_parse_minimal_disk_root_gets_defaults),
		cmocka_unit_test(test_config_parse_full_config),
		cmocka_unit_test(test_config_parse_errors_name_the_json_path),
		cmocka_unit_test(test_config_parse_image_identity_and_channel),
		cmocka_unit_test(test_config_parse_refuses_oversized_input),
		cmocka_unit_test(test_config_parse_accepts_signal_numbers_and_short_names),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
