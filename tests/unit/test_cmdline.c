// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "../../tether/cmdline.h"

#define TOKENS_MAX 16

struct tokens {
	size_t count;
	char keys[TOKENS_MAX][128];
	char values[TOKENS_MAX][128]; /* "(null)" for a token without '=' */
	bool unterminated[TOKENS_MAX];
};

static int collect(const char *key, const char *value, bool unterminated, void *userdata)
{
	struct tokens *tokens = userdata;

	assert_true(tokens->count < TOKENS_MAX);
	snprintf(tokens->keys[tokens->count], 128, "%s", key);
	snprintf(tokens->values[tokens->count], 128, "%s", value ? value : "(null)");
	tokens->unterminated[tokens->count] = unterminated;
	tokens->count++;
	return 0;
}

static struct tokens tokenize(const char *text)
{
	struct tokens tokens = { 0 };

	assert_int_equal(cmdline_tokenize(text, collect, &tokens), 0);
	return tokens;
}

static void test_cmdline_tokenize_splits_on_any_white_space(void **state)
{
	struct tokens t = tokenize("  root=/dev/vda\tro\n quiet  ");

	(void)state;
	assert_int_equal(t.count, 3);
	assert_string_equal(t.keys[0], "root");
	assert_string_equal(t.values[0], "/dev/vda");
	assert_string_equal(t.keys[1], "ro");
	assert_string_equal(t.values[1], "(null)");
	assert_string_equal(t.keys[2], "quiet");
}

static void test_cmdline_tokenize_quotes_group_and_are_removed(void **state)
{
	struct tokens t = tokenize("a=\"one two\" \"b=three four\" c=x\"y z\"w");

	(void)state;
	assert_int_equal(t.count, 3);
	assert_string_equal(t.values[0], "one two");
	assert_string_equal(t.keys[1], "b");
	assert_string_equal(t.values[1], "three four");
	assert_string_equal(t.values[2], "xy zw");
}

static void test_cmdline_tokenize_splits_at_first_equals_only(void **state)
{
	struct tokens t = tokenize("a=b=c d==");

	(void)state;
	assert_string_equal(t.keys[0], "a");
	assert_string_equal(t.values[0], "b=c");
	assert_string_equal(t.keys[1], "d");
	assert_string_equal(t.values[1], "=");
}

static void test_cmdline_tokenize_backslash_is_literal_as_in_kernel(void **state)
{
	/* The kernel knows no escapes: \" still toggles quoting and the backslash stays. */
	struct tokens t = tokenize("a=x\\\"y z\" b=c\\d");

	(void)state;
	assert_int_equal(t.count, 2);
	assert_string_equal(t.values[0], "x\\y z");
	assert_string_equal(t.values[1], "c\\d");
}

static void test_cmdline_tokenize_flags_unterminated_quote(void **state)
{
	struct tokens t = tokenize("a=1 b=\"open ended");

	(void)state;
	assert_int_equal(t.count, 2);
	assert_false(t.unterminated[0]);
	assert_true(t.unterminated[1]);
	assert_string_equal(t.values[1], "open ended");
}

static void test_cmdline_tokenize_stops_at_double_dash(void **state)
{
	struct tokens t = tokenize("a=1 -- tether.debug init-arg");

	(void)state;
	assert_int_equal(t.count, 1);
	assert_string_equal(t.keys[0], "a");
}

static void test_cmdline_tokenize_empty_and_blank_input(void **state)
{
	(void)state;
	assert_int_equal(tokenize("").count, 0);
	assert_int_equal(tokenize(" \t\n").count, 0);
}

static void test_cmdline_tokenize_refuses_overlong_input(void **state)
{
	static char text[CMDLINE_MAX + 2];
	struct tokens tokens = { 0 };

	(void)state;
	memset(text, 'a', CMDLINE_MAX + 1);
	assert_int_equal(cmdline_tokenize(text, collect, &tokens), -E2BIG);
	assert_int_equal(tokens.count, 0);

	text[CMDLINE_MAX] = '\0';
	assert_int_equal(cmdline_tokenize(text, collect, &tokens), 0);
	assert_int_equal(tokens.count, 1);
}

static int parse(const char *text, struct cmdline_options *options, char *err)
{
	cmdline_options_init(options);
	return cmdline_parse(text, options, err, 256);
}

static void test_cmdline_parse_defaults(void **state)
{
	struct cmdline_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse("console=ttyS0 panic=-1", &o, err), 0);
	assert_int_equal(o.log_level, LOG_INFO);
	assert_false(o.debug);
	assert_int_equal(o.timeout_ms, 10000);
	assert_int_equal(o.n_modules, 0);
	assert_int_equal(o.n_unknown, 0);
	assert_false(o.has_channel);
	assert_int_equal(o.channel.kind, TRANSPORT_VIRTIO_SERIAL);
	assert_string_equal(o.channel.name, "org.tether.control");
	assert_int_equal(o.channel_timeout_ms, 5000);
}

static void test_cmdline_parse_channel_keys(void **state)
{
	struct cmdline_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse("tether.channel=vsock:1:5000 tether.channel_timeout=0", &o, err), 0);
	assert_true(o.has_channel);
	assert_int_equal(o.channel.kind, TRANSPORT_VSOCK);
	assert_int_equal(o.channel.cid, 1);
	assert_int_equal(o.channel.port, 5000);
	assert_int_equal(o.channel_timeout_ms, 0);
	assert_int_equal(parse("tether.channel=serial tether.channel=none", &o, err), 0);
	assert_int_equal(o.channel.kind, TRANSPORT_NONE);
}

static void test_cmdline_parse_reads_tether_keys(void **state)
{
	struct cmdline_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse("tether.loglevel=3 tether.timeout=30 "
			       "tether.modules=loop,dm-mod tether.modules=nbd",
			       &o, err),
			 0);
	assert_int_equal(o.log_level, 3);
	assert_int_equal(o.timeout_ms, 30000);
	assert_int_equal(o.n_modules, 3);
	assert_string_equal(o.modules[0], "loop");
	assert_string_equal(o.modules[1], "dm-mod");
	assert_string_equal(o.modules[2], "nbd");
}

static void test_cmdline_parse_debug_with_and_without_value(void **state)
{
	struct cmdline_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse("tether.debug", &o, err), 0);
	assert_true(o.debug);
	assert_int_equal(cmdline_log_level(&o), LOG_DEBUG);

	assert_int_equal(parse("tether.debug=off", &o, err), 0);
	assert_false(o.debug);
	assert_int_equal(cmdline_log_level(&o), LOG_INFO);

	assert_int_equal(parse("tether.debug=\"yes\"", &o, err), 0);
	assert_true(o.debug);
}

static void test_cmdline_parse_later_key_wins(void **state)
{
	struct cmdline_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse("tether.timeout=5 tether.timeout=7", &o, err), 0);
	assert_int_equal(o.timeout_ms, 7000);

	assert_int_equal(parse("tether.loglevel=3 tether.debug tether.debug=0", &o, err), 0);
	assert_false(o.debug);
	assert_int_equal(cmdline_log_level(&o), 3);

	assert_int_equal(parse("tether.debug tether.loglevel=2", &o, err), 0);
	assert_int_equal(cmdline_log_level(&o), LOG_DEBUG);
}

static void test_cmdline_parse_debug_exit(void **state)
{
	struct cmdline_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse("", &o, err), 0);
	assert_false(o.debug_exit);
	assert_int_equal(parse("tether.debug_exit", &o, err), 0);
	assert_true(o.debug_exit);
	assert_int_equal(parse("tether.debug_exit tether.debug_exit=no", &o, err), 0);
	assert_false(o.debug_exit);
	assert_int_equal(parse("tether.debug_exit=2", &o, err), -EINVAL);
	assert_string_equal(err, "'tether.debug_exit': expected a boolean (1/0, yes/no, on/off)");
}

static void test_cmdline_parse_collects_unknown_tether_keys(void **state)
{
	struct cmdline_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse("tether.future=1 foo.bar=2 tether.other", &o, err), 0);
	assert_int_equal(o.n_unknown, 2);
	assert_string_equal(o.unknown[0], "tether.future");
	assert_string_equal(o.unknown[1], "tether.other");
}

static void test_cmdline_parse_judges_no_value_of_unknown_keys(void **state)
{
	char text[CMDLINE_VALUE_MAX + 64];
	struct cmdline_options o;
	char err[256];
	int n;

	(void)state;
	n = snprintf(text, sizeof(text), "tether.empty= tether.long=");
	memset(text + n, 'v', CMDLINE_VALUE_MAX + 1);
	snprintf(text + n + CMDLINE_VALUE_MAX + 1, sizeof(text) - (size_t)n - CMDLINE_VALUE_MAX - 1,
		 " tether.quote=\"open");
	assert_int_equal(parse(text, &o, err), 0);
	assert_int_equal(o.n_unknown, 3);
	assert_string_equal(o.unknown[0], "tether.empty");
	assert_string_equal(o.unknown[1], "tether.long");
	assert_string_equal(o.unknown[2], "tether.quote");
}

static void test_cmdline_parse_counts_unknown_keys_past_those_it_names(void **state)
{
	struct cmdline_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse("tether.u1 tether.u2 tether.u3 tether.u4 tether.u5 tether.u6 "
			       "tether.u7 tether.u8 tether.u9 tether.u10",
			       &o, err),
			 0);
	assert_int_equal(o.n_unknown, 10);
	assert_string_equal(o.unknown[CMDLINE_UNKNOWN_MAX - 1], "tether.u8");
}

static void test_cmdline_parse_ignores_keys_that_are_not_ours(void **state)
{
	struct cmdline_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse("tetherx.timeout=abc tether=1 loglevel=\"broken", &o, err), 0);
	assert_int_equal(o.timeout_ms, 10000);
	assert_int_equal(o.n_unknown, 0);
}

struct bad_case {
	const char *text;
	int error;
	const char *message;
};

static void test_cmdline_parse_bad_values_name_the_key(void **state)
{
	static const struct bad_case cases[] = {
		{ "tether.timeout=", -EINVAL, "'tether.timeout': empty value" },
		{ "tether.timeout=\"\"", -EINVAL, "'tether.timeout': empty value" },
		{ "tether.timeout", -EINVAL, "'tether.timeout': missing value" },
		{ "tether.timeout=0", -ERANGE,
		  "'tether.timeout': expected whole seconds from 1 to 3600" },
		{ "tether.timeout=3601", -ERANGE,
		  "'tether.timeout': expected whole seconds from 1 to 3600" },
		{ "tether.timeout=99999999999999999999", -ERANGE,
		  "'tether.timeout': expected whole seconds from 1 to 3600" },
		{ "tether.timeout=10s", -EINVAL,
		  "'tether.timeout': expected whole seconds from 1 to 3600" },
		{ "tether.timeout=-1", -EINVAL,
		  "'tether.timeout': expected whole seconds from 1 to 3600" },
		{ "tether.loglevel=8", -ERANGE, "'tether.loglevel': expected a level from 0 to 7" },
		{ "tether.loglevel=debug", -EINVAL,
		  "'tether.loglevel': expected a level from 0 to 7" },
		{ "tether.debug=maybe", -EINVAL,
		  "'tether.debug': expected a boolean (1/0, yes/no, on/off)" },
		{ "tether.modules=a,,b", -EINVAL,
		  "'tether.modules': expected a comma-separated list of module names" },
		{ "tether.modules=a,b/c", -EINVAL,
		  "'tether.modules': expected a comma-separated list of module names" },
		{ "tether.modules=a,", -EINVAL,
		  "'tether.modules': expected a comma-separated list of module names" },
		{ "tether.timeout=\"5", -EINVAL, "'tether.timeout': unterminated quote" },
		{ "tether.channel", -EINVAL, "'tether.channel': missing value" },
		{ "tether.channel=vsock:x", -EINVAL,
		  "'tether.channel': 'vsock:x' is not vsock:[CID:]PORT with whole numbers" },
		{ "tether.channel=usb", -EINVAL,
		  "'tether.channel': 'usb' is not virtio-serial[:NAME], vsock:[CID:]PORT, "
		  "serial[:DEVICE] or none" },
		{ "tether.channel_timeout=3601", -ERANGE,
		  "'tether.channel_timeout': expected whole seconds from 0 to 3600" },
	};
	struct cmdline_options o;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &o, err), cases[i].error);
		assert_string_equal(err, cases[i].message);
	}
}

static void test_cmdline_parse_refuses_overlong_value(void **state)
{
	char text[CMDLINE_VALUE_MAX + 64];
	struct cmdline_options o;
	char err[256];
	int n;

	(void)state;
	n = snprintf(text, sizeof(text), "tether.modules=");
	memset(text + n, 'm', CMDLINE_VALUE_MAX + 1);
	text[n + CMDLINE_VALUE_MAX + 1] = '\0';
	assert_int_equal(parse(text, &o, err), -E2BIG);
	assert_string_equal(err, "'tether.modules': value too long");
}

static void test_cmdline_parse_refuses_too_many_modules(void **state)
{
	char text[1024] = "tether.modules=m0";
	struct cmdline_options o;
	char err[256];

	(void)state;
	for (int i = 1; i <= CMDLINE_MODULES_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), ",m%d", i);
	assert_int_equal(parse(text, &o, err), -E2BIG);
	assert_string_equal(err, "'tether.modules': too many modules");
}

static void test_cmdline_parse_refuses_overlong_command_line(void **state)
{
	static char text[CMDLINE_MAX + 2];
	struct cmdline_options o;
	char err[256];

	(void)state;
	memset(text, 'x', CMDLINE_MAX + 1);
	assert_int_equal(parse(text, &o, err), -E2BIG);
	assert_string_equal(err, "command line longer than 4096 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_tokenize_splits_on_any_white_space),
		cmocka_unit_test(test_cmdline_tokenize_quotes_group_and_are_removed),
		cmocka_unit_test(test_cmdline_tokenize_splits_at_first_equals_only),
		cmocka_unit_test(test_cmdline_tokenize_backslash_is_literal_as_in_kernel),
		cmocka_unit_test(test_cmdline_tokenize_flags_unterminated_quote),
		cmocka_unit_test(test_cmdline_tokenize_stops_at_double_dash),
		cmocka_unit_test(test_cmdline_tokenize_empty_and_blank_input),
		cmocka_unit_test(test_cmdline_tokenize_refuses_overlong_input),
		cmocka_unit_test(test_cmdline_parse_defaults),
		cmocka_unit_test(test_cmdline_parse_channel_keys),
		cmocka_unit_test(test_cmdline_parse_reads_tether_keys),
		cmocka_unit_test(test_cmdline_parse_debug_with_and_without_value),
		cmocka_unit_test(test_cmdline_parse_later_key_wins),
		cmocka_unit_test(test_cmdline_parse_collects_unknown_tether_keys),
		cmocka_unit_test(test_cmdline_parse_debug_exit),
		cmocka_unit_test(test_cmdline_parse_judges_no_value_of_unknown_keys),
		cmocka_unit_test(test_cmdline_parse_counts_unknown_keys_past_those_it_names),
		cmocka_unit_test(test_cmdline_parse_ignores_keys_that_are_not_ours),
		cmocka_unit_test(test_cmdline_parse_bad_values_name_the_key),
		cmocka_unit_test(test_cmdline_parse_refuses_overlong_value),
		cmocka_unit_test(test_cmdline_parse_refuses_too_many_modules),
		cmocka_unit_test(test_cmdline_parse_refuses_overlong_command_line),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
