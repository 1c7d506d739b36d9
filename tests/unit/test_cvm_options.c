// SPDX-License-Identifier: MIT
/* cvm run's command line: options, volume specs and sizes, and the errors for bad ones. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cvm/options.h"

#define ARGC(argv) ((int)(sizeof(argv) / sizeof((argv)[0])) - 1)

static char err[512];

static void assert_volume(const char *spec, const char *name, const char *path, const char *target,
			  bool read_only)
{
	struct options_volume volume;

	assert_int_equal(options_parse_volume(spec, &volume, err, sizeof(err)), 0);
	if (name)
		assert_string_equal(volume.name, name);
	else
		assert_null(volume.name);
	if (path)
		assert_string_equal(volume.path, path);
	else
		assert_null(volume.path);
	assert_string_equal(volume.target, target);
	assert_int_equal(volume.read_only, read_only);
	options_volume_free(&volume);
}

static void assert_volume_refused(const char *spec, const char *reason)
{
	struct options_volume volume;

	assert_int_equal(options_parse_volume(spec, &volume, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, reason);
	assert_null(volume.name);
	assert_null(volume.path);
	assert_null(volume.target);
}

static void test_options_volume_named_and_disk_image(void **state)
{
	(void)state;
	assert_volume("data:/data", "data", NULL, "/data", false);
	assert_volume("my-vol_1.x:/var/lib/db:ro", "my-vol_1.x", NULL, "/var/lib/db", true);
	assert_volume("data:/data:rw", "data", NULL, "/data", false);
	assert_volume("/srv/disk.img:/mnt", NULL, "/srv/disk.img", "/mnt", false);
	assert_volume("/srv/disk.img:/mnt:ro", NULL, "/srv/disk.img", "/mnt", true);
}

static void test_options_volume_refuses_bad_specs(void **state)
{
	(void)state;
	assert_volume_refused("data", "volume 'data': expected SOURCE:TARGET[:ro|rw]");
	assert_volume_refused(":/data", "volume ':/data': the source is empty");
	assert_volume_refused("data:", "volume 'data:': target '' is not an absolute path");
	assert_volume_refused("data:rel",
			      "volume 'data:rel': target 'rel' is not an absolute path");
	assert_volume_refused("data:/d:rx", "volume 'data:/d:rx': mode 'rx' is not 'ro' or 'rw'");
	assert_volume_refused("data:/d:ro:x", "volume 'data:/d:ro:x': mode 'ro:x' is not 'ro' or "
					      "'rw'");
	assert_volume_refused("data:/", "volume 'data:/': a volume cannot be mounted at '/'");
	assert_volume_refused("data://", "volume 'data://': a volume cannot be mounted at '/'");
	assert_volume_refused("data:/x/..",
			      "volume 'data:/x/..': a volume cannot be mounted at '/'");
	assert_volume_refused("./disk.img:/d",
			      "volume './disk.img:/d': './disk.img' is neither an absolute path to "
			      "a disk image nor a volume name (a letter or digit, then letters, "
			      "digits, '_', '.', '-')");
	assert_volume_refused("-x:/d", "volume '-x:/d': '-x' is neither an absolute path to a disk "
				       "image nor a volume name (a letter or digit, then letters, "
				       "digits, '_', '.', '-')");
}

static void test_options_size_units(void **state)
{
	uint64_t bytes;

	(void)state;
	assert_int_equal(options_parse_size("256M", &bytes), 0);
	assert_int_equal(bytes, 256ull << 20);
	assert_int_equal(options_parse_size("2g", &bytes), 0);
	assert_int_equal(bytes, 2ull << 30);
	assert_int_equal(options_parse_size("512k", &bytes), 0);
	assert_int_equal(bytes, 512ull << 10);
	assert_int_equal(options_parse_size("1048576", &bytes), 0);
	assert_int_equal(bytes, 1048576);
	assert_int_equal(options_parse_size("100b", &bytes), 0);
	assert_int_equal(bytes, 100);
	assert_int_equal(options_parse_size("", &bytes), -EINVAL);
	assert_int_equal(options_parse_size("M", &bytes), -EINVAL);
	assert_int_equal(options_parse_size("-1M", &bytes), -EINVAL);
	assert_int_equal(options_parse_size("1.5G", &bytes), -EINVAL);
	assert_int_equal(options_parse_size("1T", &bytes), -EINVAL);
	assert_int_equal(options_parse_size("1MB", &bytes), -EINVAL);
	assert_int_equal(options_parse_size("99999999999999999999", &bytes), -EINVAL);
	assert_int_equal(options_parse_size("17179869184G", &bytes), -EINVAL);
}

static void test_options_defaults(void **state)
{
	char *argv[] = { "run", "busybox", NULL };
	struct options options;

	(void)state;
	assert_int_equal(options_parse(ARGC(argv), argv, &options, err, sizeof(err)), 0);
	assert_string_equal(options.image, "busybox");
	assert_int_equal(options.command_count, 0);
	assert_int_equal(options.memory_mib, 256);
	assert_int_equal(options.cpus, 1);
	assert_int_equal(options.stop_timeout_s, 10);
	assert_int_equal(options.stop_signal, 0);
	assert_int_equal(options.timeout_s, 0);
	assert_false(options.interactive);
	assert_false(options.has_entrypoint);
	assert_null(options.store);
	options_free(&options);
}

static void test_options_every_option(void **state)
{
	char *argv[] = { "run",
			 "-i",
			 "-v",
			 "data:/data",
			 "-v",
			 "/d.img:/d:ro",
			 "-e",
			 "A=1",
			 "-e",
			 "B=x=y",
			 "-w",
			 "/srv",
			 "-u",
			 "app:users",
			 "-m",
			 "1G",
			 "--cpus",
			 "2",
			 "--stop-signal",
			 "INT",
			 "--stop-timeout",
			 "3",
			 "--timeout",
			 "60",
			 "--entrypoint",
			 "/bin/sh",
			 "--hostname",
			 "box",
			 "--events",
			 "ev.ndjson",
			 "--store",
			 "/s",
			 "--kernel",
			 "k",
			 "--initrd",
			 "i",
			 "--console",
			 "c.log",
			 "busybox:1",
			 "-c",
			 "echo -v",
			 NULL };
	struct options options;

	(void)state;
	assert_int_equal(options_parse(ARGC(argv), argv, &options, err, sizeof(err)), 0);
	assert_true(options.interactive);
	assert_int_equal(options.volume_count, 2);
	assert_string_equal(options.volumes[0].name, "data");
	assert_string_equal(options.volumes[1].path, "/d.img");
	assert_true(options.volumes[1].read_only);
	assert_int_equal(options.env_count, 2);
	assert_string_equal(options.env[0], "A=1");
	assert_string_equal(options.env[1], "B=x=y");
	assert_string_equal(options.workdir, "/srv");
	assert_string_equal(options.user, "app:users");
	assert_int_equal(options.memory_mib, 1024);
	assert_int_equal(options.cpus, 2);
	assert_int_equal(options.stop_signal, SIGINT);
	assert_int_equal(options.stop_timeout_s, 3);
	assert_int_equal(options.timeout_s, 60);
	assert_true(options.has_entrypoint);
	assert_string_equal(options.entrypoint, "/bin/sh");
	assert_string_equal(options.hostname, "box");
	assert_string_equal(options.events, "ev.ndjson");
	assert_string_equal(options.store, "/s");
	assert_string_equal(options.kernel, "k");
	assert_string_equal(options.initrd, "i");
	assert_string_equal(options.console, "c.log");
	/* Options after IMAGE belong to the command. */
	assert_string_equal(options.image, "busybox:1");
	assert_int_equal(options.command_count, 2);
	assert_string_equal(options.command[0], "-c");
	assert_string_equal(options.command[1], "echo -v");
	options_free(&options);
}

static void test_options_env_from_cvm(void **state)
{
	char *argv[] = { "run", "-e", "CVM_TEST_SET", "-e", "CVM_TEST_UNSET", "busybox", NULL };
	struct options options;

	(void)state;
	setenv("CVM_TEST_SET", "from host", 1);
	unsetenv("CVM_TEST_UNSET");
	assert_int_equal(options_parse(ARGC(argv), argv, &options, err, sizeof(err)), 0);
	assert_int_equal(options.env_count, 1);
	assert_string_equal(options.env[0], "CVM_TEST_SET=from host");
	options_free(&options);
}

static void test_options_rootfs_takes_command_without_image(void **state)
{
	char *argv[] = { "run", "--rootfs", "/r.ext4", "sh", "-c", "true", NULL };
	struct options options;

	(void)state;
	assert_int_equal(options_parse(ARGC(argv), argv, &options, err, sizeof(err)), 0);
	assert_null(options.image);
	assert_string_equal(options.rootfs, "/r.ext4");
	assert_int_equal(options.command_count, 3);
	assert_string_equal(options.command[0], "sh");
	options_free(&options);
}

static void assert_refused(int argc, char **argv, const char *reason)
{
	struct options options;

	assert_int_equal(options_parse(argc, argv, &options, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, reason);
	options_free(&options);
}

#define REFUSED(reason, ...)                                  \
	do {                                                  \
		char *argv_[] = { "run", __VA_ARGS__, NULL }; \
		assert_refused(ARGC(argv_), argv_, reason);   \
	} while (0)

static void test_options_refuses_bad_values(void **state)
{
	(void)state;
	REFUSED("no IMAGE given", "-i");
	REFUSED("unknown option '--nope'", "--nope", "busybox");
	REFUSED("unknown option '-x'", "-x", "busybox");
	REFUSED("option '-v' needs a value", "-v");
	REFUSED("option '--events' needs a value", "--events");
	REFUSED("memory '12Q': expected a size such as 512M or 2G", "-m", "12Q", "busybox");
	REFUSED("memory '96M': must be from 128M to 256G", "-m", "96M", "busybox");
	REFUSED("cpus '0': expected a whole number from 1 to 64", "--cpus", "0", "busybox");
	REFUSED("cpus '1.5': expected a whole number from 1 to 64", "--cpus", "1.5", "busybox");
	REFUSED("stop signal 'NOPE': not a signal name or number", "--stop-signal", "NOPE",
		"busybox");
	REFUSED("stop timeout '3601': expected seconds from 0 to 3600", "--stop-timeout", "3601",
		"busybox");
	REFUSED("timeout '0': expected seconds, at least 1", "--timeout", "0", "busybox");
	REFUSED("workdir 'srv' is not an absolute path", "-w", "srv", "busybox");
	REFUSED("user ':users': the user is empty", "-u", ":users", "busybox");
	REFUSED("hostname 'a_b': expected 1 to 63 letters, digits, '-' and '.'", "--hostname",
		"a_b", "busybox");
	REFUSED("environment '=x': the name is empty", "-e", "=x", "busybox");
	REFUSED("volume 'b:/d': target '/d' is given twice", "-v", "a:/d", "-v", "b:/d", "busybox");
	REFUSED("--iso cannot be combined with --kernel or --initrd", "--iso", "t.iso", "--kernel",
		"k", "--initrd", "i", "busybox");
	REFUSED("--kernel and --initrd go together", "--kernel", "k", "busybox");
	REFUSED("--rootfs needs a COMMAND to run", "--rootfs", "/r.ext4");
}

/* What goes into config.json is text: a value that is not UTF-8 is refused by name. */
static void test_options_refuses_what_is_not_utf8(void **state)
{
	(void)state;
	REFUSED("environment 'X=\\xff' is not valid UTF-8: config.json carries it as text", "-e",
		"X=\xff", "busybox");
	REFUSED("COMMAND argument 'a\\xc3(' is not valid UTF-8: config.json carries it as text",
		"busybox", "echo", "a\xc3(");
	REFUSED("workdir '/\\xfe' is not valid UTF-8: config.json carries it as text", "-w",
		"/\xfe", "busybox");
	REFUSED("user '\\xe9' is not valid UTF-8: config.json carries it as text", "-u", "\xe9",
		"busybox");
	REFUSED("volume target '/d\\xff' is not valid UTF-8: config.json carries it as text", "-v",
		"v:/d\xff", "busybox");
	REFUSED("IMAGE 'b\\x80' is not valid UTF-8: config.json carries it as text", "b\x80");
	{
		char *argv[] = { "run",		 "-e", "GREETING=h\xc3\xa9llo", "busybox", "echo",
				 "\xe2\x82\xac", NULL };
		struct options options;

		assert_int_equal(options_parse(ARGC(argv), argv, &options, err, sizeof(err)), 0);
		options_free(&options);
	}
}

static void test_options_volume_limit(void **state)
{
	char *argv[3 + 2 * (OPTIONS_VOLUMES_MAX + 1)];
	char specs[OPTIONS_VOLUMES_MAX + 1][32];
	int argc = 0;

	(void)state;
	argv[argc++] = "run";
	for (int i = 0; i <= OPTIONS_VOLUMES_MAX; i++) {
		snprintf(specs[i], sizeof(specs[i]), "v%d:/v%d", i, i);
		argv[argc++] = "-v";
		argv[argc++] = specs[i];
	}
	argv[argc++] = "busybox";
	argv[argc] = NULL;
	assert_refused(argc, argv, "volume 'v16:/v16': more than 16 volumes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_volume_named_and_disk_image),
		cmocka_unit_test(test_options_volume_refuses_bad_specs),
		cmocka_unit_test(test_options_size_units),
		cmocka_unit_test(test_options_defaults),
		cmocka_unit_test(test_options_every_option),
		cmocka_unit_test(test_options_env_from_cvm),
		cmocka_unit_test(test_options_rootfs_takes_command_without_image),
		cmocka_unit_test(test_options_refuses_bad_values),
		cmocka_unit_test(test_options_refuses_what_is_not_utf8),
		cmocka_unit_test(test_options_volume_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
