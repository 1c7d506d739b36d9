// SPDX-License-Identifier: MIT
/* WWW-Authenticate as registries send it, and as RFC 7235 allows it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../imagec/auth.h"
#include "../../imagec/error.h"

static void test_auth_docker_hub_bearer(void **state)
{
	struct auth_challenge challenges[AUTH_CHALLENGES_MAX];
	int count = auth_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry"
			       ".docker.io\",scope=\"repository:library/busybox:pull\"",
			       challenges, AUTH_CHALLENGES_MAX);

	(void)state;
	assert_int_equal(count, 1);
	assert_string_equal(challenges[0].scheme, "bearer");
	assert_int_equal(challenges[0].param_count, 3);
	assert_string_equal(auth_param(&challenges[0], "realm"), "https://auth.docker.io/token");
	assert_string_equal(auth_param(&challenges[0], "service"), "registry.docker.io");
	assert_string_equal(auth_param(&challenges[0], "scope"), "repository:library/busybox:pull");
	assert_null(auth_param(&challenges[0], "error"));
	auth_challenges_free(challenges, (size_t)count);
}

static void test_auth_commas_and_escapes_inside_quotes(void **state)
{
	struct auth_challenge challenges[AUTH_CHALLENGES_MAX];
	int count = auth_parse("Bearer realm=\"https://h/token\", scope=\"repository:a:pull,push "
			       "repository:b:pull\", error=\"say \\\"no\\\"\"",
			       challenges, AUTH_CHALLENGES_MAX);

	(void)state;
	assert_int_equal(count, 1);
	assert_string_equal(auth_param(&challenges[0], "scope"),
			    "repository:a:pull,push repository:b:pull");
	assert_string_equal(auth_param(&challenges[0], "error"), "say \"no\"");
	auth_challenges_free(challenges, (size_t)count);
}

static void test_auth_several_challenges_and_case(void **state)
{
	struct auth_challenge challenges[AUTH_CHALLENGES_MAX];
	int count = auth_parse("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
			       "BASIC Realm=\"simple\"",
			       challenges, AUTH_CHALLENGES_MAX);

	(void)state;
	assert_int_equal(count, 2);
	assert_string_equal(challenges[0].scheme, "newauth");
	assert_string_equal(auth_param(&challenges[0], "type"), "1");
	assert_string_equal(auth_param(&challenges[0], "title"), "Login to \"apps\"");
	assert_string_equal(challenges[1].scheme, "basic");
	assert_string_equal(auth_param(&challenges[1], "realm"), "simple");
	auth_challenges_free(challenges, (size_t)count);
}

static void test_auth_tokens_and_spaces_around_equals(void **state)
{
	struct auth_challenge challenges[AUTH_CHALLENGES_MAX];
	int count = auth_parse("  Basic realm = registry ,charset=\"UTF-8\"", challenges,
			       AUTH_CHALLENGES_MAX);

	(void)state;
	assert_int_equal(count, 1);
	assert_string_equal(auth_param(&challenges[0], "realm"), "registry");
	assert_string_equal(auth_param(&challenges[0], "charset"), "UTF-8");
	auth_challenges_free(challenges, (size_t)count);
}

static void test_auth_scheme_without_parameters(void **state)
{
	struct auth_challenge challenges[AUTH_CHALLENGES_MAX];
	int count = auth_parse("Negotiate, Basic realm=\"x\"", challenges, AUTH_CHALLENGES_MAX);

	(void)state;
	assert_int_equal(count, 2);
	assert_string_equal(challenges[0].scheme, "negotiate");
	assert_int_equal(challenges[0].param_count, 0);
	assert_string_equal(challenges[1].scheme, "basic");
	auth_challenges_free(challenges, (size_t)count);
}

static void test_auth_refuses_malformed(void **state)
{
	struct auth_challenge challenges[AUTH_CHALLENGES_MAX];

	(void)state;
	error_clear();
	assert_int_equal(auth_parse("Bearer realm=\"unterminated", challenges, AUTH_CHALLENGES_MAX),
			 -EINVAL);
	assert_non_null(strstr(error_message(), "unterminated quoted string"));
	assert_int_equal(auth_parse("Bearer realm=", challenges, AUTH_CHALLENGES_MAX), -EINVAL);
	assert_int_equal(auth_parse("Bearer realm=\"a\" junk", challenges, AUTH_CHALLENGES_MAX),
			 -EINVAL);
	assert_int_equal(auth_parse("a, b, c", challenges, 2), -E2BIG);
	assert_int_equal(auth_parse("", challenges, AUTH_CHALLENGES_MAX), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_docker_hub_bearer),
		cmocka_unit_test(test_auth_commas_and_escapes_inside_quotes),
		cmocka_unit_test(test_auth_several_challenges_and_case),
		cmocka_unit_test(test_auth_tokens_and_spaces_around_equals),
		cmocka_unit_test(test_auth_scheme_without_parameters),
		cmocka_unit_test(test_auth_refuses_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
