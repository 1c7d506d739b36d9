// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tether/mountinfo.h"

static void test_mountinfo_parse_lists_targets_in_mount_order(void **state)
{
	const char *text = "1 1 0:2 / / rw - rootfs rootfs rw\n"
			   "20 1 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw,mode=755\n"
			   "21 1 0:20 / /proc rw,nosuid,nodev,noexec - proc proc rw\n"
			   "35 1 254:16 / /run/tether/root rw,relatime - ext4 /dev/vdb rw\n";
	struct mountinfo_list list;

	(void)state;
	assert_int_equal(mountinfo_parse(text, &list), 0);
	assert_int_equal(list.count, 4);
	assert_string_equal(list.targets[0], "/");
	assert_string_equal(list.targets[1], "/dev");
	assert_string_equal(list.targets[2], "/proc");
	assert_string_equal(list.targets[3], "/run/tether/root");
	mountinfo_list_free(&list);
}

static void test_mountinfo_parse_decodes_octal_escapes(void **state)
{
	const char *text =
		"40 1 8:1 / /mnt/with\\040space\\011tab\\134slash rw - ext4 /dev/sda1 rw\n"
		"41 1 8:1 / /mnt/not\\9escape rw - ext4 /dev/sda1 rw";
	struct mountinfo_list list;

	(void)state;
	assert_int_equal(mountinfo_parse(text, &list), 0);
	assert_int_equal(list.count, 2);
	assert_string_equal(list.targets[0], "/mnt/with space\ttab\\slash");
	assert_string_equal(list.targets[1], "/mnt/not\\9escape");
	mountinfo_list_free(&list);
}

static void test_mountinfo_parse_escape_at_end_of_field(void **state)
{
	const char *text = "40 1 8:1 / /mnt/a\\04 rw - ext4 /dev/sda1 rw\n";
	struct mountinfo_list list;

	(void)state;
	assert_int_equal(mountinfo_parse(text, &list), 0);
	assert_string_equal(list.targets[0], "/mnt/a\\04");
	mountinfo_list_free(&list);
}

static void test_mountinfo_parse_refuses_short_line(void **state)
{
	struct mountinfo_list list;

	(void)state;
	assert_int_equal(mountinfo_parse("1 1 0:2 /\n", &list), -EINVAL);
	assert_int_equal(mountinfo_parse("1 1 0:2 / \n", &list), -EINVAL);
}

static void test_mountinfo_parse_empty_text(void **state)
{
	struct mountinfo_list list;

	(void)state;
	assert_int_equal(mountinfo_parse("", &list), 0);
	assert_int_equal(list.count, 0);
	mountinfo_list_free(&list);
}

static void test_mountinfo_read_sees_proc(void **state)
{
	struct mountinfo_list list;
	bool found = false;

	/* It reads /proc/self/mountinfo, so /proc is mounted wherever this runs. */
	(void)state;
	assert_int_equal(mountinfo_read(&list), 0);
	for (size_t i = 0; i < list.count; i++)
		found = found || strcmp(list.targets[i], "/proc") == 0;
	mountinfo_list_free(&list);
	assert_true(found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo_parse_lists_targets_in_mount_order),
		cmocka_unit_test(test_mountinfo_parse_decodes_octal_escapes),
		cmocka_unit_test(test_mountinfo_parse_escape_at_end_of_field),
		cmocka_unit_test(test_mountinfo_parse_refuses_short_line),
		cmocka_unit_test(test_mountinfo_parse_empty_text),
		cmocka_unit_test(test_mountinfo_read_sees_proc),
	};

	return cmocka_run_group_tests_name("mountinfo", tests, NULL, NULL);
}
