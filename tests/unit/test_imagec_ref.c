// SPDX-License-Identifier: MIT
/* Image references and platforms as users and registries write them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../imagec/digest.h"
#include "../../imagec/error.h"
#include "../../imagec/ref.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void assert_ref(const char *text, const char *registry, const char *repository,
		       const char *tag, const char *digest)
{
	struct ref ref;

	assert_int_equal(ref_parse(text, &ref), 0);
	assert_string_equal(ref.registry, registry);
	assert_string_equal(ref.repository, repository);
	if (tag)
		assert_string_equal(ref.tag, tag);
	else
		assert_null(ref.tag);
	if (digest)
		assert_string_equal(ref.digest, digest);
	else
		assert_null(ref.digest);
	ref_free(&ref);
}

static void assert_ref_refused(const char *text, const char *reason)
{
	struct ref ref;

	error_clear();
	assert_int_equal(ref_parse(text, &ref), -EINVAL);
	assert_non_null(error_message());
	assert_non_null(strstr(error_message(), reason));
}

static void test_ref_docker_hub_short_names(void **state)
{
	(void)state;
	assert_ref("busybox", "docker.io", "library/busybox", "latest", NULL);
	assert_ref("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL);
	assert_ref("user/app:v2", "docker.io", "user/app", "v2", NULL);
	assert_ref("docker.io/library/debian:12", "docker.io", "library/debian", "12", NULL);
}

static void test_ref_registry_host_and_port(void **state)
{
	(void)state;
	assert_ref("127.0.0.1:5000/team/app:1", "127.0.0.1:5000", "team/app", "1", NULL);
	assert_ref("localhost/app", "localhost", "app", "latest", NULL);
	assert_ref("registry.example.com/a/b/c", "registry.example.com", "a/b/c", "latest", NULL);
	/* A port is not a tag. */
	assert_ref("localhost:5000/app", "localhost:5000", "app", "latest", NULL);
}

static void test_ref_digest_with_and_without_tag(void **state)
{
	(void)state;
	assert_ref("app@sha256:" HEX64, "docker.io", "library/app", NULL, "sha256:" HEX64);
	assert_ref("h.io:1/app:v1@sha256:" HEX64, "h.io:1", "app", "v1", "sha256:" HEX64);
}

static void test_ref_refuses_bad_digests(void **state)
{
	(void)state;
	assert_ref_refused("app@sha256:0123", "is not sha256: and 64 lowercase hex");
	assert_ref_refused("app@sha256:" HEX64 "00", "is not sha256: and 64 lowercase hex");
	assert_ref_refused("app@sha256:../../../../etc/passwd", "is not sha256");
	assert_ref_refused("app@sha512:" HEX64, "only sha256 digests are supported");
	assert_ref_refused("app@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789"
			   "abcdef",
			   "64 lowercase hex");
}

static void test_ref_refuses_bad_names_and_tags(void **state)
{
	(void)state;
	assert_ref_refused("", "empty image reference");
	assert_ref_refused("Upper/app", "bad repository 'Upper/app'");
	assert_ref_refused("app/../x", "bad repository");
	assert_ref_refused("app:-bad", "bad tag '-bad'");
	assert_ref_refused("app:has space", "bad tag");
	assert_ref_refused("a//b", "bad repository");
}

static void test_ref_tag_name_is_complete(void **state)
{
	struct ref ref;
	char *name;

	(void)state;
	assert_int_equal(ref_parse("busybox", &ref), 0);
	name = ref_tag_name(&ref);
	assert_string_equal(name, "docker.io/library/busybox:latest");
	free(name);
	ref_free(&ref);
	assert_int_equal(ref_parse("127.0.0.1:5000/x:7", &ref), 0);
	assert_string_equal(ref_api_host(&ref), "127.0.0.1:5000");
	ref_free(&ref);
	assert_int_equal(ref_parse("x", &ref), 0);
	assert_string_equal(ref_api_host(&ref), "registry-1.docker.io");
	ref_free(&ref);
}

static void test_ref_platforms(void **state)
{
	struct platform platform;

	(void)state;
	assert_int_equal(ref_parse_platform("linux/arm64/v8", &platform), 0);
	assert_string_equal(platform.os, "linux");
	assert_string_equal(platform.architecture, "arm64");
	assert_string_equal(platform.variant, "v8");
	assert_int_equal(ref_parse_platform("linux/amd64", &platform), 0);
	assert_string_equal(platform.variant, "");
	assert_int_equal(ref_parse_platform("linux", &platform), -EINVAL);
	assert_int_equal(ref_parse_platform("linux/amd64/v1/x", &platform), -EINVAL);
	assert_int_equal(ref_parse_platform("linux//v1", &platform), -EINVAL);
	assert_int_equal(ref_parse_platform("Linux/AMD64", &platform), -EINVAL);
}

static void test_digest_validity_and_chain_id(void **state)
{
	const char *ids[] = { "sha256:" HEX64, "sha256:" HEX64 };
	char chain[DIGEST_STRING_LEN + 1];
	char expected[DIGEST_STRING_LEN + 1];
	const char *link = "sha256:" HEX64 " sha256:" HEX64;

	(void)state;
	assert_true(digest_is_valid("sha256:" HEX64));
	assert_false(digest_is_valid("sha256:" HEX64 "0"));
	assert_false(digest_is_valid("sha256:/" HEX64));
	assert_false(digest_is_valid("md5:" HEX64));
	assert_false(digest_is_valid(NULL));
	assert_int_equal(digest_chain_id(ids, 1, chain), 0);
	assert_string_equal(chain, "sha256:" HEX64);
	/* chainID(a, b) = sha256("a b") */
	assert_int_equal(digest_chain_id(ids, 2, chain), 0);
	assert_int_equal(digest_of_buffer(link, strlen(link), expected), 0);
	assert_string_equal(chain, expected);
	assert_int_equal(digest_of_buffer("", 0, chain), 0);
	assert_string_equal(chain, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991"
				   "b7852b855");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_docker_hub_short_names),
		cmocka_unit_test(test_ref_registry_host_and_port),
		cmocka_unit_test(test_ref_digest_with_and_without_tag),
		cmocka_unit_test(test_ref_refuses_bad_digests),
		cmocka_unit_test(test_ref_refuses_bad_names_and_tags),
		cmocka_unit_test(test_ref_tag_name_is_complete),
		cmocka_unit_test(test_ref_platforms),
		cmocka_unit_test(test_digest_validity_and_chain_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
