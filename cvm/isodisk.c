// SPDX-License-Identifier: MIT
#include "isodisk.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void archive_freep(struct archive **archive)
{
	if (*archive)
		archive_write_free(*archive);
}

static void entry_freep(struct archive_entry **entry)
{
	if (*entry)
		archive_entry_free(*entry);
}

#define _cleanup_archive_ __attribute__((cleanup(archive_freep)))
#define _cleanup_entry_ __attribute__((cleanup(entry_freep)))

static int archive_error(struct archive *archive, const char *what, char *err, size_t err_size)
{
	const char *reason = archive_error_string(archive);

	snprintf(err, err_size, "%s: %s", what, reason ? reason : "unknown libarchive error");
	return -EIO;
}

int isodisk_write(const char *path, const char *name, const void *content, size_t size, char *err,
		  size_t err_size)
{
	_cleanup_archive_ struct archive *archive = archive_write_new();
	_cleanup_entry_ struct archive_entry *entry = archive_entry_new();
	time_t now = time(NULL);

	if (!archive || !entry) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	if (archive_write_set_format_iso9660(archive) != ARCHIVE_OK ||
	    archive_write_set_format_option(archive, "iso9660", "volume-id", ISODISK_LABEL) !=
		    ARCHIVE_OK ||
	    archive_write_set_format_option(archive, "iso9660", "rockridge", "1") != ARCHIVE_OK)
		return archive_error(archive, "set up ISO 9660", err, err_size);
	if (archive_write_open_filename(archive, path) != ARCHIVE_OK)
		return archive_error(archive, "create", err, err_size);

	archive_entry_set_pathname(entry, name);
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_perm(entry, 0444);
	archive_entry_set_size(entry, (la_int64_t)size);
	archive_entry_set_mtime(entry, now, 0);
	if (archive_write_header(archive, entry) != ARCHIVE_OK)
		return archive_error(archive, "write the entry", err, err_size);
	if (archive_write_data(archive, content, size) != (la_ssize_t)size)
		return archive_error(archive, "write the data", err, err_size);
	/* The image is laid out and written here, at close. */
	if (archive_write_close(archive) != ARCHIVE_OK)
		return archive_error(archive, "finish", err, err_size);
	return 0;
}
