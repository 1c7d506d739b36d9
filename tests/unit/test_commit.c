// SPDX-License-Identifier: MIT
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tether/commit.h"

struct buffer {
	char *data;
	size_t size;
};

static int buffer_write(void *context, const void *buf, size_t size)
{
	struct buffer *b = context;
	char *grown = realloc(b->data, b->size + size);

	if (!grown)
		return -ENOMEM;
	memcpy(grown + b->size, buf, size);
	b->data = grown;
	b->size += size;
	return 0;
}

static char upper[] = "/tmp/test_commit.XXXXXX";

static void at(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s", upper, name);
}

static void make_file(const char *name, const char *content, mode_t mode)
{
	char path[256];
	int fd;

	at(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void make_dir(const char *name)
{
	char path[256];

	at(path, sizeof(path), name);
	assert_int_equal(mkdir(path, 0750), 0);
}

static int set_xattr(const char *name, const char *key, const char *value)
{
	char path[256];

	at(path, sizeof(path), name);
	return lsetxattr(path, key, value, strlen(value), 0);
}

/* One line per entry: "path type [-> target] [=> link] [xattrs] size mode uid:gid". */
static char *list_tar(const struct buffer *tar)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	static char text[4096];
	size_t used = 0;

	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_memory(a, tar->data, tar->size), ARCHIVE_OK);
	text[0] = '\0';
	while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
		const char *name, *value;
		size_t length;

		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s %c",
					 archive_entry_pathname(entry),
					 archive_entry_hardlink(entry)		     ? 'h'
					 : archive_entry_filetype(entry) == AE_IFDIR ? 'd'
					 : archive_entry_filetype(entry) == AE_IFLNK ? 'l'
					 : archive_entry_filetype(entry) == AE_IFIFO ? 'p'
					 : archive_entry_filetype(entry) == AE_IFCHR ? 'c'
										     : 'f');
		if (archive_entry_symlink(entry))
			used += (size_t)snprintf(text + used, sizeof(text) - used, " -> %s",
						 archive_entry_symlink(entry));
		if (archive_entry_hardlink(entry))
			used += (size_t)snprintf(text + used, sizeof(text) - used, " => %s",
						 archive_entry_hardlink(entry));
		archive_entry_xattr_reset(entry);
		while (archive_entry_xattr_next(entry, &name, (const void **)&value, &length) ==
		       ARCHIVE_OK)
			used += (size_t)snprintf(text + used, sizeof(text) - used, " %s=%.*s", name,
						 (int)length, value);
		used += (size_t)snprintf(text + used, sizeof(text) - used, " %lld %04o %lld:%lld\n",
					 (long long)archive_entry_size(entry),
					 (unsigned int)archive_entry_perm(entry),
					 (long long)archive_entry_uid(entry),
					 (long long)archive_entry_gid(entry));
	}
	archive_read_free(a);
	return text;
}

static int setup(void **state)
{
	(void)state;
	strcpy(upper, "/tmp/test_commit.XXXXXX");
	return mkdtemp(upper) ? 0 : -1;
}

static int teardown(void **state)
{
	char command[300];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf '%s'", upper);
	return system(command) == 0 ? 0 : -1;
}

static void test_commit_converts_overlay_upper_to_oci_layer(void **state)
{
	struct commit_sink sink;
	struct commit_result result;
	struct buffer tar = { 0 };
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	char path[256], other[256], err[256];
	int sock;

	(void)state;
	make_file("a", "alpha", 0640);
	make_dir("d");
	make_file("d/x", "x", 0600);
	make_dir("opq");
	make_file("opq/new", "n", 0644);
	at(path, sizeof(path), "gone");
	assert_int_equal(mknod(path, S_IFCHR | 0644, makedev(0, 0)), 0);
	at(path, sizeof(path), "h1");
	make_file("h1", "same", 0644);
	at(other, sizeof(other), "h2");
	assert_int_equal(link(path, other), 0);
	at(path, sizeof(path), "s");
	assert_int_equal(symlink("a", path), 0);
	at(path, sizeof(path), "p");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(lchown(path, 1000, 100), 0);
	at(path, sizeof(path), "sock");
	assert_true(strlen(path) < sizeof(address.sun_path));
	memcpy(address.sun_path, path, strlen(path) + 1);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(sock, (struct sockaddr *)&address, sizeof(address)), 0);
	close(sock);
	if (set_xattr("opq", "trusted.overlay.opaque", "y") < 0 ||
	    set_xattr("d", "trusted.overlay.origin", "zz") < 0)
		skip(); /* trusted.* needs CAP_SYS_ADMIN and a filesystem that has them */
	assert_int_equal(set_xattr("a", "user.note", "kept"), 0);

	sink = (struct commit_sink){ buffer_write, &tar };
	assert_int_equal(commit_write_layer(upper, &sink, NULL, &result, err, sizeof(err)), 0);
	assert_int_equal(result.size, tar.size);
	assert_int_equal(tar.size % 512, 0);
	assert_int_equal(result.whiteouts, 1);
	assert_int_equal(result.skipped_sockets, 1);
	assert_string_equal(list_tar(&tar), "a f user.note=kept 5 0640 0:0\n"
					    "d/ d 0 0750 0:0\n"
					    "d/x f 1 0600 0:0\n"
					    ".wh.gone f 0 0644 0:0\n"
					    "h1 f 4 0644 0:0\n"
					    "h2 h => h1 0 0644 0:0\n"
					    "opq/ d 0 0750 0:0\n"
					    "opq/.wh..wh..opq f 0 0644 0:0\n"
					    "opq/new f 1 0644 0:0\n"
					    "p p 0 0600 1000:100\n"
					    "s l -> a 0 0777 0:0\n");
	assert_int_equal(result.entries, 11);
	free(tar.data);
}

static void test_commit_refuses_redirect_and_metacopy(void **state)
{
	struct commit_sink sink;
	struct commit_result result;
	struct buffer tar = { 0 };
	char err[256];

	(void)state;
	make_dir("moved");
	if (set_xattr("moved", "trusted.overlay.redirect", "/elsewhere") < 0)
		skip();
	sink = (struct commit_sink){ buffer_write, &tar };
	assert_int_equal(commit_write_layer(upper, &sink, NULL, &result, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_string_equal(err, "'moved': has 'trusted.overlay.redirect': an overlay redirect or "
				 "metacopy is not a whole copy and cannot be committed");
	free(tar.data);
}

static int failing_write(void *context, const void *buf, size_t size)
{
	(void)context;
	(void)buf;
	(void)size;
	return -ENOSPC;
}

static void test_commit_reports_a_full_disk(void **state)
{
	struct commit_sink sink = { failing_write, NULL };
	struct commit_result result;
	char err[256];

	(void)state;
	make_file("big", "content", 0644);
	assert_int_equal(commit_write_layer(upper, &sink, NULL, &result, err, sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, "No space left on device"));
}

static void test_commit_of_an_empty_upper_is_an_empty_layer(void **state)
{
	struct commit_sink sink;
	struct commit_result result;
	struct buffer tar = { 0 };
	char err[256];

	(void)state;
	sink = (struct commit_sink){ buffer_write, &tar };
	assert_int_equal(commit_write_layer(upper, &sink, NULL, &result, err, sizeof(err)), 0);
	assert_int_equal(result.entries, 0);
	assert_string_equal(list_tar(&tar), "");
	assert_true(tar.size >= 1024);
	free(tar.data);
}

/* The layers below, for the filter: "etc" as it is there, mode 0755 root. */
static int lower_stat(void *context, const char *path, struct stat *ret)
{
	(void)context;
	if (strcmp(path, "etc") != 0 && strcmp(path, "var") != 0)
		return -ENOENT;
	*ret = (struct stat){ .st_mode = S_IFDIR | 0755 };
	return 0;
}

static bool placeholder(void *context, const char *path)
{
	(void)context;
	return strcmp(path, "etc/hostname") == 0 || strcmp(path, "proc") == 0 ||
	       strcmp(path, "data") == 0;
}

static void test_commit_leaves_out_copy_ups_and_placeholders(void **state)
{
	struct commit_filter filter = { placeholder, lower_stat, NULL };
	struct commit_sink sink;
	struct commit_result result;
	struct buffer tar = { 0 };
	char path[256], err[256];

	(void)state;
	/* What tether made: an empty /etc/hostname (its parent copied up), /proc, /data. */
	make_dir("etc");
	at(path, sizeof(path), "etc");
	assert_int_equal(chmod(path, 0755), 0);
	make_file("etc/hostname", "", 0644);
	make_dir("proc");
	make_dir("data");
	/* What the workload did: a file in a copied-up var, a mode change, a new empty dir. */
	make_dir("var");
	at(path, sizeof(path), "var");
	assert_int_equal(chmod(path, 0755), 0);
	make_dir("var/cache");
	at(path, sizeof(path), "var/cache");
	assert_int_equal(chmod(path, 0700), 0);
	make_file("var/cache/f", "f", 0644);
	make_dir("empty-new");

	sink = (struct commit_sink){ buffer_write, &tar };
	assert_int_equal(commit_write_layer(upper, &sink, &filter, &result, err, sizeof(err)), 0);
	assert_string_equal(list_tar(&tar), "empty-new/ d 0 0750 0:0\n"
					    "var/ d 0 0755 0:0\n"
					    "var/cache/ d 0 0700 0:0\n"
					    "var/cache/f f 1 0644 0:0\n");
	free(tar.data);

	/* Nothing but tether's own: an empty layer. */
	tar = (struct buffer){ 0 };
	at(path, sizeof(path), "var/cache/f");
	assert_int_equal(unlink(path), 0);
	at(path, sizeof(path), "var/cache");
	assert_int_equal(rmdir(path), 0);
	at(path, sizeof(path), "empty-new");
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(commit_write_layer(upper, &sink, &filter, &result, err, sizeof(err)), 0);
	assert_string_equal(list_tar(&tar), "");
	assert_int_equal(result.entries, 0);
	free(tar.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_converts_overlay_upper_to_oci_layer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_refuses_redirect_and_metacopy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_commit_reports_a_full_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_of_an_empty_upper_is_an_empty_layer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_leaves_out_copy_ups_and_placeholders,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
