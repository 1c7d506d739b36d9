// SPDX-License-Identifier: MIT
/*
 * The in-root resolver against fixture trees built in a temporary directory: every path must
 * end up inside the tree, whatever the image's symlinks say.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tether/inroot.h"

struct fixture {
	char top[64];	/* holds root/ and outside/ */
	char root[128]; /* the tree, as the container would see it */
	int root_fd;
};

static void make_dir(const struct fixture *f, const char *path)
{
	char full[PATH_MAX * 2];

	snprintf(full, sizeof(full), "%s/%s", f->top, path);
	assert_int_equal(mkdir(full, 0755), 0);
}

static void make_link(const struct fixture *f, const char *target, const char *path)
{
	char full[PATH_MAX * 2];

	snprintf(full, sizeof(full), "%s/%s", f->root, path);
	assert_int_equal(symlink(target, full), 0);
}

static int setup(void **state)
{
	static struct fixture f;
	char full[PATH_MAX * 2];
	int fd;

	snprintf(f.top, sizeof(f.top), "/tmp/test_inroot.XXXXXX");
	assert_non_null(mkdtemp(f.top));
	snprintf(f.root, sizeof(f.root), "%s/root", f.top);
	make_dir(&f, "root");
	make_dir(&f, "outside");
	make_dir(&f, "root/var");
	make_dir(&f, "root/etc");
	make_link(&f, "/run", "var/run");
	make_link(&f, "../x", "var/lib");
	make_link(&f, "b", "a");
	make_link(&f, "/c/deeper", "b");
	make_link(&f, "loop2", "loop1");
	make_link(&f, "loop1", "loop2");
	make_link(&f, "../../../outside", "up");
	make_link(&f, "/etc", "etclink");
	snprintf(full, sizeof(full), "%s/file", f.root);
	fd = open(full, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);

	f.root_fd = open(f.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(f.root_fd >= 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char command[256];

	close(f->root_fd);
	snprintf(command, sizeof(command), "rm -rf '%s'", f->top);
	return system(command);
}

/* Where fd really is, relative to the tree ("/" for the top), or "OUTSIDE: path". */
static void assert_lands_at(const struct fixture *f, int fd, const char *expected)
{
	char link[64], where[PATH_MAX], relative[PATH_MAX + 16];
	size_t root_length = strlen(f->root);
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, where, sizeof(where) - 1);
	assert_true(n > 0);
	where[n] = '\0';
	if (strncmp(where, f->root, root_length) != 0 ||
	    (where[root_length] != '/' && where[root_length] != '\0'))
		snprintf(relative, sizeof(relative), "OUTSIDE: %s", where);
	else
		snprintf(relative, sizeof(relative), "%s",
			 where[root_length] ? where + root_length : "/");
	close(fd);
	assert_string_equal(relative, expected);
}

static bool outside_is_empty(const struct fixture *f)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/outside/data", f->top);
	return stat(path, &st) < 0 && errno == ENOENT;
}

static void test_inroot_absolute_symlink_stays_inside(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(inroot_open_dir(f->root_fd, "/var/run/app", true, &fd), 0);
	assert_lands_at(f, fd, "/run/app");
}

static void test_inroot_relative_symlink_stays_inside(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(inroot_open_dir(f->root_fd, "/var/lib/data", true, &fd), 0);
	assert_lands_at(f, fd, "/x/data");
}

static void test_inroot_follows_symlink_chains(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(inroot_open_dir(f->root_fd, "/a/vol", true, &fd), 0);
	assert_lands_at(f, fd, "/c/deeper/vol");
}

static void test_inroot_refuses_symlink_escape(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(inroot_open_dir(f->root_fd, "/up/data", true, &fd), 0);
	assert_lands_at(f, fd, "/outside/data");
	assert_true(outside_is_empty(f));
}

static void test_inroot_dot_dot_stops_at_the_top(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(inroot_open_dir(f->root_fd, "/../../outside/data", true, &fd), 0);
	assert_lands_at(f, fd, "/outside/data");
	assert_true(outside_is_empty(f));

	assert_int_equal(inroot_open_dir(f->root_fd, "/etc/../..", false, &fd), 0);
	assert_lands_at(f, fd, "/");
}

static void test_inroot_existing_directory_through_link(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(inroot_open_dir(f->root_fd, "etclink", false, &fd), 0);
	assert_lands_at(f, fd, "/etc");
	assert_int_equal(inroot_open_dir(f->root_fd, "/", false, &fd), 0);
	assert_lands_at(f, fd, "/");
}

static void test_inroot_refuses_symlink_loop(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(inroot_open_dir(f->root_fd, "/loop1/x", true, &fd), -ELOOP);
	assert_int_equal(fd, -1);
}

static void test_inroot_refuses_file_as_directory(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(inroot_open_dir(f->root_fd, "/file", true, &fd), -ENOTDIR);
	assert_int_equal(inroot_open_dir(f->root_fd, "/file/below", true, &fd), -ENOTDIR);
}

static void test_inroot_missing_without_create(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(inroot_open_dir(f->root_fd, "/nope/deeper", false, &fd), -ENOENT);
	assert_int_equal(fd, -1);
}

static void test_inroot_refuses_overlong_component(void **state)
{
	struct fixture *f = *state;
	char path[NAME_MAX + 8];
	int fd = -1;

	path[0] = '/';
	memset(path + 1, 'n', NAME_MAX + 1);
	path[NAME_MAX + 2] = '\0';
	assert_int_equal(inroot_open_dir(f->root_fd, path, true, &fd), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inroot_absolute_symlink_stays_inside),
		cmocka_unit_test(test_inroot_relative_symlink_stays_inside),
		cmocka_unit_test(test_inroot_follows_symlink_chains),
		cmocka_unit_test(test_inroot_refuses_symlink_escape),
		cmocka_unit_test(test_inroot_dot_dot_stops_at_the_top),
		cmocka_unit_test(test_inroot_existing_directory_through_link),
		cmocka_unit_test(test_inroot_refuses_symlink_loop),
		cmocka_unit_test(test_inroot_refuses_file_as_directory),
		cmocka_unit_test(test_inroot_missing_without_create),
		cmocka_unit_test(test_inroot_refuses_overlong_component),
	};

	return cmocka_run_group_tests_name("inroot", tests, setup, teardown);
}
