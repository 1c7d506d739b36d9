// SPDX-License-Identifier: MIT
/*
 * OCI layers to overlay-format tars: names, whiteouts, opaque directories, omitted parents,
 * cross-layer hardlinks, and the flattened view. Layers are written with libarchive into a
 * temporary directory; the output is read back with libarchive.
 */
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../imagec/convert.h"
#include "../../imagec/error.h"
#include "../../imagec/image.h"

struct spec {
	const char *path;
	mode_t mode; /* type and permissions */
	unsigned uid, gid;
	const char *content; /* regular files */
	const char *link;    /* symlink target, or hardlink target when hardlink is set */
	bool hardlink;
	const char *xattr; /* name=value */
};

/* A layer tar from specs (NULL path ends the list), in a temporary file. */
static char *write_layer(const struct spec *specs)
{
	char *path = strdup("/tmp/test-convert-layer-XXXXXX");
	struct archive *out = archive_write_new();
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	archive_write_set_format_pax_restricted(out);
	assert_int_equal(archive_write_open_fd(out, fd), ARCHIVE_OK);
	for (const struct spec *spec = specs; spec->path; spec++) {
		struct archive_entry *entry = archive_entry_new();
		size_t size = spec->content ? strlen(spec->content) : 0;

		archive_entry_set_pathname(entry, spec->path);
		archive_entry_set_mode(entry, spec->mode);
		archive_entry_set_uid(entry, spec->uid);
		archive_entry_set_gid(entry, spec->gid);
		archive_entry_set_mtime(entry, 1000, 0);
		if (spec->link && spec->hardlink)
			archive_entry_set_hardlink(entry, spec->link);
		else if (spec->link)
			archive_entry_set_symlink(entry, spec->link);
		if (spec->xattr) {
			const char *equals = strchr(spec->xattr, '=');
			char name[128];

			snprintf(name, sizeof(name), "%.*s", (int)(equals - spec->xattr),
				 spec->xattr);
			archive_entry_xattr_add_entry(entry, name, equals + 1, strlen(equals + 1));
		}
		archive_entry_set_size(entry, spec->hardlink ? 0 : (int64_t)size);
		assert_int_equal(archive_write_header(out, entry), ARCHIVE_OK);
		if (size)
			assert_int_equal(archive_write_data(out, spec->content, size),
					 (ssize_t)size);
		archive_entry_free(entry);
	}
	archive_write_close(out);
	archive_write_free(out);
	close(fd);
	return path;
}

/* One line per output entry: "path type mode uid:gid [-> link] [=content] [xattr]". */
static char *read_output(const char *path)
{
	struct archive *in = archive_read_new();
	struct archive_entry *entry;
	size_t used = 0, capacity = 65536;
	char *listing = calloc(1, capacity);

	archive_read_support_format_tar(in);
	assert_int_equal(archive_read_open_filename(in, path, 4096), ARCHIVE_OK);
	while (archive_read_next_header(in, &entry) == ARCHIVE_OK) {
		mode_t type = archive_entry_filetype(entry);
		char content[256] = "";
		const char *name;
		const void *value;
		size_t size;
		ssize_t n;

		n = archive_read_data(in, content, sizeof(content) - 1);
		content[n > 0 ? n : 0] = '\0';
		used += (size_t)snprintf(listing + used, capacity - used, "%s %c %04o %d:%d",
					 archive_entry_pathname(entry),
					 archive_entry_hardlink(entry) ? 'h'
					 : type == AE_IFDIR	       ? 'd'
					 : type == AE_IFREG	       ? 'f'
					 : type == AE_IFLNK	       ? 'l'
					 : type == AE_IFCHR	       ? 'c'
								       : '?',
					 archive_entry_perm(entry), (int)archive_entry_uid(entry),
					 (int)archive_entry_gid(entry));
		if (type == AE_IFCHR)
			used += (size_t)snprintf(listing + used, capacity - used, " %d/%d",
						 (int)archive_entry_rdevmajor(entry),
						 (int)archive_entry_rdevminor(entry));
		if (archive_entry_symlink(entry))
			used += (size_t)snprintf(listing + used, capacity - used, " -> %s",
						 archive_entry_symlink(entry));
		if (archive_entry_hardlink(entry))
			used += (size_t)snprintf(listing + used, capacity - used, " => %s",
						 archive_entry_hardlink(entry));
		if (*content)
			used += (size_t)snprintf(listing + used, capacity - used, " =%s", content);
		archive_entry_xattr_reset(entry);
		while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK)
			used += (size_t)snprintf(listing + used, capacity - used, " %s=%.*s", name,
						 (int)size, (const char *)value);
		used += (size_t)snprintf(listing + used, capacity - used, "\n");
	}
	archive_read_free(in);
	return listing;
}

/* Add layers (NULL-terminated); write layer `emit` (or the flat view when emit < 0). */
static int convert_layers(const struct spec *const *layers, int emit, char **ret_listing)
{
	char output[] = "/tmp/test-convert-out-XXXXXX";
	struct convert *convert = NULL;
	int fd = mkstemp(output);
	struct archive *out;
	int r = 0;

	assert_true(fd >= 0);
	assert_int_equal(convert_new(&convert), 0);
	out = convert_output_open(fd);
	assert_non_null(out);
	char *paths[8] = { NULL };
	int count = 0;

	/* The layers stay until the end: file contents are read from them when written. */
	for (; layers[count] && r >= 0; count++) {
		paths[count] = write_layer(layers[count]);
		r = convert_add_layer(convert, paths[count], MEDIA_OCI_LAYER, "test",
				      count == emit ? out : NULL);
	}
	if (r >= 0 && emit < 0)
		r = convert_write_flat(convert, out);
	for (int i = 0; i < count; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	convert_output_close(out);
	close(fd);
	convert_free(convert);
	*ret_listing = r >= 0 ? read_output(output) : NULL;
	unlink(output);
	return r;
}

static void assert_clean(const char *name, const char *expected)
{
	char *path = NULL;

	assert_int_equal(convert_clean_path(name, &path), 0);
	assert_string_equal(path, expected);
	free(path);
}

static void test_convert_clean_path(void **state)
{
	char *path = NULL;

	(void)state;
	assert_clean("./a//b/", "a/b");
	assert_clean("./", "");
	assert_clean("a/./b", "a/b");
	assert_clean("..a/b..", "..a/b..");
	error_clear();
	assert_int_equal(convert_clean_path("../x", &path), -EINVAL);
	assert_string_equal(error_message(), "name leaves the layer with '..'");
	assert_int_equal(convert_clean_path("a/../../x", &path), -EINVAL);
	assert_int_equal(convert_clean_path("/etc/x", &path), -EINVAL);
	assert_string_equal(error_message(), "absolute name");
}

static void assert_whiteout(const char *path, enum convert_whiteout kind, const char *target)
{
	enum convert_whiteout actual;
	char *actual_target = NULL;

	assert_int_equal(convert_whiteout_kind(path, &actual, &actual_target), 0);
	assert_int_equal(actual, kind);
	if (target)
		assert_string_equal(actual_target, target);
	else
		assert_null(actual_target);
	free(actual_target);
}

static void test_convert_whiteout_names(void **state)
{
	enum convert_whiteout kind;
	char *target = NULL;

	(void)state;
	assert_whiteout("etc/passwd", CONVERT_PLAIN, NULL);
	assert_whiteout("etc/.wh.motd", CONVERT_REMOVE, "etc/motd");
	assert_whiteout(".wh.top", CONVERT_REMOVE, "top");
	assert_whiteout("opt/old/.wh..wh..opq", CONVERT_OPAQUE, "opt/old");
	assert_whiteout(".wh..wh..opq", CONVERT_OPAQUE, "");
	assert_whiteout("a/.whx", CONVERT_PLAIN, NULL);
	assert_int_equal(convert_whiteout_kind(".wh.dir/x", &kind, &target), -EINVAL);
	assert_int_equal(convert_whiteout_kind("a/.wh.", &kind, &target), -EINVAL);
	assert_int_equal(convert_whiteout_kind("a/.wh...", &kind, &target), -EINVAL);
	assert_int_equal(convert_whiteout_kind("a/.wh..wh.plnk", &kind, &target), -EINVAL);
}

static const struct spec lower_layer[] = {
	{ .path = "./", .mode = S_IFDIR | 0755 },
	{ .path = "etc/", .mode = S_IFDIR | 0750, .uid = 0, .gid = 42 },
	{ .path = "etc/motd", .mode = S_IFREG | 0644, .content = "motd" },
	{ .path = "etc/keep", .mode = S_IFREG | 0600, .uid = 7, .gid = 8, .content = "keep" },
	{ .path = "opt/", .mode = S_IFDIR | 0755 },
	{ .path = "opt/old", .mode = S_IFREG | 0644, .content = "old" },
	{ .path = "data", .mode = S_IFREG | 0640, .uid = 33, .gid = 44, .content = "shared" },
	{ .path = "bin", .mode = S_IFLNK | 0777, .link = "usr/bin" },
	{ .path = NULL },
};

static void test_convert_layer_to_overlay_format(void **state)
{
	static const struct spec upper_layer[] = {
		{ .path = "etc/.wh.motd", .mode = S_IFREG | 0644 },
		{ .path = "etc/new", .mode = S_IFREG | 0644, .content = "new" },
		{ .path = "opt/.wh..wh..opq", .mode = S_IFREG | 0644 },
		{ .path = "opt/fresh", .mode = S_IFREG | 0644, .content = "fresh" },
		{ .path = "link", .mode = S_IFREG | 0644, .link = "data", .hardlink = true },
		{ .path = NULL },
	};
	const struct spec *layers[] = { lower_layer, upper_layer, NULL };
	char *listing = NULL;

	(void)state;
	assert_int_equal(convert_layers(layers, 1, &listing), 0);
	/* etc and opt are not in the layer: they keep the lower layer's attributes. */
	/* The copy of the lower file comes first: files are written in layer order. */
	assert_string_equal(listing, "./ d 0755 0:0\n"
				     "etc/ d 0750 0:42\n"
				     "etc/motd c 0000 0:0 0/0\n"
				     "opt/ d 0755 0:0 trusted.overlay.opaque=y\n"
				     "link f 0640 33:44 =shared\n"
				     "etc/new f 0644 0:0 =new\n"
				     "opt/fresh f 0644 0:0 =fresh\n");
	free(listing);
}

static void test_convert_flattened_view(void **state)
{
	static const struct spec upper_layer[] = {
		{ .path = "etc/.wh.motd", .mode = S_IFREG | 0644 },
		{ .path = "opt/.wh..wh..opq", .mode = S_IFREG | 0644 },
		{ .path = "opt/fresh", .mode = S_IFREG | 0644, .content = "fresh" },
		{ .path = "link", .mode = S_IFREG | 0644, .link = "data", .hardlink = true },
		{ .path = "etc/keep", .mode = S_IFREG | 0644, .content = "replaced" },
		{ .path = NULL },
	};
	const struct spec *layers[] = { lower_layer, upper_layer, NULL };
	char *listing = NULL;

	(void)state;
	assert_int_equal(convert_layers(layers, -1, &listing), 0);
	assert_string_equal(listing, "./ d 0755 0:0\n"
				     "bin l 0777 0:0 -> usr/bin\n"
				     "etc/ d 0750 0:42\n"
				     "opt/ d 0755 0:0\n"
				     "data f 0640 33:44 =shared\n"
				     "opt/fresh f 0644 0:0 =fresh\n"
				     "etc/keep f 0644 0:0 =replaced\n"
				     "link h 0640 33:44 => data\n");
	free(listing);
}

static void assert_layer_refused(const struct spec *bad, const char *reason)
{
	const struct spec *layers[] = { lower_layer, bad, NULL };
	char *listing = NULL;

	error_clear();
	assert_true(convert_layers(layers, 1, &listing) < 0);
	assert_null(listing);
	if (!strstr(error_message(), reason))
		fail_msg("'%s' does not say '%s'", error_message(), reason);
}

static void test_convert_refuses_hostile_entries(void **state)
{
	static const struct spec through_symlink[] = {
		{ .path = "a", .mode = S_IFLNK | 0777, .link = "/" },
		{ .path = "a/x", .mode = S_IFREG | 0644, .content = "x" },
		{ .path = NULL },
	};
	static const struct spec through_lower_symlink[] = {
		{ .path = "bin/sh", .mode = S_IFREG | 0755, .content = "x" },
		{ .path = NULL },
	};
	static const struct spec link_out[] = {
		{ .path = "g",
		  .mode = S_IFREG | 0644,
		  .link = "../../etc/passwd",
		  .hardlink = true },
		{ .path = NULL },
	};
	static const struct spec link_missing[] = {
		{ .path = "g", .mode = S_IFREG | 0644, .link = "nowhere", .hardlink = true },
		{ .path = NULL },
	};
	static const struct spec overlay_xattr[] = {
		{ .path = "d/", .mode = S_IFDIR | 0755, .xattr = "trusted.overlay.redirect=/etc" },
		{ .path = NULL },
	};
	static const struct spec fake_whiteout[] = {
		{ .path = "dev0", .mode = S_IFCHR | 0600 },
		{ .path = NULL },
	};

	(void)state;
	assert_layer_refused(through_symlink, "entry 'a/x': parent 'a' is a symbolic link");
	assert_layer_refused(through_lower_symlink,
			     "entry 'bin/sh': parent 'bin' in a lower layer is a symbolic link");
	assert_layer_refused(link_out, "hardlink target '../../etc/passwd'");
	assert_layer_refused(link_missing, "hardlink to 'nowhere', which is not in the image");
	assert_layer_refused(overlay_xattr, "overlay attribute 'trusted.overlay.redirect' refused");
	assert_layer_refused(fake_whiteout, "char device 0/0 would be read as a whiteout");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_convert_clean_path),
		cmocka_unit_test(test_convert_whiteout_names),
		cmocka_unit_test(test_convert_layer_to_overlay_format),
		cmocka_unit_test(test_convert_flattened_view),
		cmocka_unit_test(test_convert_refuses_hostile_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
