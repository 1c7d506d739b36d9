// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tether/kmod.h"

#ifndef TEST_DATA
#define TEST_DATA "tests/data"
#endif

static int load_fixture(void **state)
{
	static struct kmod_index index;

	assert_int_equal(kmod_index_load(TEST_DATA "/kmod", &index), 0);
	*state = &index;
	return 0;
}

static int free_fixture(void **state)
{
	kmod_index_free(*state);
	return 0;
}

static void assert_plan(const struct kmod_plan *plan, const char *const *names, size_t count)
{
	assert_int_equal(plan->n_steps, count);
	for (size_t i = 0; i < count; i++)
		assert_string_equal(plan->steps[i]->name, names[i]);
}

static void test_kmod_plan_puts_dependencies_first_in_modprobe_order(void **state)
{
	static const char *const expected[] = {
		"virtio",     "virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
		"virtio_pci",
	};
	struct kmod_plan plan = { 0 };

	assert_int_equal(kmod_plan_add(*state, "virtio_pci", &plan), 0);
	assert_plan(&plan, expected, 5);
	assert_string_equal(plan.steps[4]->path, "kernel/drivers/virtio/virtio_pci.ko");
}

static void test_kmod_plan_adds_shared_dependencies_once(void **state)
{
	static const char *const expected[] = {
		"virtio",     "virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
		"virtio_pci", "virtio_blk",
	};
	struct kmod_plan plan = { 0 };

	assert_int_equal(kmod_plan_add(*state, "virtio_pci", &plan), 0);
	assert_int_equal(kmod_plan_add(*state, "virtio_blk", &plan), 0);
	assert_int_equal(kmod_plan_add(*state, "virtio_pci", &plan), 0);
	assert_plan(&plan, expected, 6);
}

static void test_kmod_plan_of_module_without_dependencies(void **state)
{
	static const char *const expected[] = { "scsi_common", "scsi_mod", "sd_mod" };
	struct kmod_plan plan = { 0 };

	assert_int_equal(kmod_plan_add(*state, "sd_mod", &plan), 0);
	assert_plan(&plan, expected, 3);
}

static void test_kmod_plan_reports_builtin_and_adds_nothing(void **state)
{
	struct kmod_plan plan = { 0 };

	assert_int_equal(kmod_plan_add(*state, "ext4", &plan), 1);
	assert_int_equal(kmod_plan_add(*state, "crc32c-generic", &plan), 1);
	assert_int_equal(plan.n_steps, 0);
}

static void test_kmod_plan_names_unknown_module(void **state)
{
	struct kmod_plan plan = { 0 };

	assert_int_equal(kmod_plan_add(*state, "nosuchmodule", &plan), -ENOENT);
	assert_string_equal(plan.missing, "nosuchmodule");
	assert_int_equal(plan.n_steps, 0);
}

static void test_kmod_plan_names_missing_dependency(void **state)
{
	struct kmod_plan plan = { 0 };

	assert_int_equal(kmod_plan_add(*state, "orphan", &plan), -ENOENT);
	assert_string_equal(plan.missing, "gone");
}

static void test_kmod_plan_matches_dash_and_underscore_alike(void **state)
{
	struct kmod_plan plan = { 0 };

	assert_int_equal(kmod_plan_add(*state, "dummy_net", &plan), 0);
	assert_int_equal(kmod_plan_add(*state, "virtio-ring", &plan), 0);
	assert_int_equal(plan.n_steps, 3);
	assert_string_equal(plan.steps[0]->path, "kernel/drivers/net/dummy-net.ko");
	assert_string_equal(plan.steps[0]->name, "dummy_net");
}

static void test_kmod_plan_strips_compression_suffix(void **state)
{
	struct kmod_plan plan = { 0 };

	assert_int_equal(kmod_plan_add(*state, "overlay", &plan), 0);
	assert_int_equal(plan.n_steps, 1);
	assert_string_equal(plan.steps[0]->path, "kernel/fs/overlayfs/overlay.ko.xz");
}

static void test_kmod_plan_refuses_dependency_cycle(void **state)
{
	struct kmod_plan plan = { 0 };

	assert_int_equal(kmod_plan_add(*state, "a", &plan), -ELOOP);
}

static void test_kmod_plan_refuses_to_overflow(void **state)
{
	struct kmod_plan plan = { 0 };

	(void)state;
	plan.n_steps = KMOD_PLAN_MAX;
	assert_int_equal(kmod_plan_add(*state, "scsi_common", &plan), -E2BIG);
	assert_int_equal(plan.n_steps, KMOD_PLAN_MAX);
}

static void test_kmod_index_parse_rejects_line_without_colon(void **state)
{
	struct kmod_index index;

	(void)state;
	assert_int_equal(kmod_index_parse("kernel/a.ko\n", NULL, &index), -EINVAL);
	assert_int_equal(kmod_index_parse(": kernel/a.ko\n", NULL, &index), -EINVAL);
}

static void test_kmod_index_parse_skips_blank_lines_and_needs_no_builtin(void **state)
{
	struct kmod_index index;

	(void)state;
	assert_int_equal(kmod_index_parse("\n  \nkernel/a.ko:\n\n", NULL, &index), 0);
	assert_int_equal(index.n_modules, 1);
	assert_int_equal(index.n_builtin, 0);
	assert_string_equal(index.modules[0].name, "a");
	kmod_index_free(&index);
}

static void test_kmod_index_load_fails_without_modules_dep(void **state)
{
	struct kmod_index index;

	(void)state;
	assert_int_equal(kmod_index_load(TEST_DATA "/no-such-dir", &index), -ENOENT);
}

static void test_kmod_boot_modules_cover_the_boot_path(void **state)
{
	static const char *const needed[] = { "virtio_pci", "virtio_blk", "virtio_console",
					      "overlay",    "squashfs",	  "isofs" };

	(void)state;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		bool found = false;

		for (size_t j = 0; j < kmod_boot_modules_count; j++)
			found = found || strcmp(kmod_boot_modules[j], needed[i]) == 0;
		assert_true(found);
	}
}

static void test_kmod_init_flags_mark_compressed_files(void **state)
{
	(void)state;
	assert_int_equal(kmod_init_flags("kernel/fs/overlayfs/overlay.ko"), 0);
	assert_int_equal(kmod_init_flags("kernel/fs/overlayfs/overlay.ko.xz"),
			 MODULE_INIT_COMPRESSED_FILE);
	assert_int_equal(kmod_init_flags("kernel/a.ko.zst"), MODULE_INIT_COMPRESSED_FILE);
	assert_int_equal(kmod_init_flags("kernel/a.ko.gz"), MODULE_INIT_COMPRESSED_FILE);
	assert_int_equal(kmod_init_flags(".ko.xz"), 0);
	assert_int_equal(kmod_init_flags("kernel/a.xz"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kmod_plan_puts_dependencies_first_in_modprobe_order),
		cmocka_unit_test(test_kmod_plan_adds_shared_dependencies_once),
		cmocka_unit_test(test_kmod_plan_of_module_without_dependencies),
		cmocka_unit_test(test_kmod_plan_reports_builtin_and_adds_nothing),
		cmocka_unit_test(test_kmod_plan_names_unknown_module),
		cmocka_unit_test(test_kmod_plan_names_missing_dependency),
		cmocka_unit_test(test_kmod_plan_matches_dash_and_underscore_alike),
		cmocka_unit_test(test_kmod_plan_strips_compression_suffix),
		cmocka_unit_test(test_kmod_plan_refuses_dependency_cycle),
		cmocka_unit_test(test_kmod_plan_refuses_to_overflow),
		cmocka_unit_test(test_kmod_index_parse_rejects_line_without_colon),
		cmocka_unit_test(test_kmod_index_parse_skips_blank_lines_and_needs_no_builtin),
		cmocka_unit_test(test_kmod_index_load_fails_without_modules_dep),
		cmocka_unit_test(test_kmod_boot_modules_cover_the_boot_path),
		cmocka_unit_test(test_kmod_init_flags_mark_compressed_files),
	};

	return cmocka_run_group_tests_name("kmod", tests, load_fixture, free_fixture);
}
