// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../tether/volume.h"

static void test_volume_target_allowed_refuses_root_and_api_filesystems(void **state)
{
	static const char *const refused[] = { "/",	  "/proc", "/proc/sys", "/sys",
					       "/sys/fs", "/dev",  "/dev/shm",	"/dev/pts/x" };

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		print_message("%s\n", refused[i]);
		assert_false(volume_target_allowed(refused[i]));
	}
}

static void test_volume_target_allowed_takes_lookalikes(void **state)
{
	static const char *const allowed[] = { "/data",	    "/process", "/system", "/devices",
					       "/var/proc", "/x/dev",	"/run/v" };

	(void)state;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		print_message("%s\n", allowed[i]);
		assert_true(volume_target_allowed(allowed[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_volume_target_allowed_refuses_root_and_api_filesystems),
		cmocka_unit_test(test_volume_target_allowed_takes_lookalikes),
	};

	return cmocka_run_group_tests_name("volume", tests, NULL, NULL);
}
