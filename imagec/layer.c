// SPDX-License-Identifier: MIT
#include "layer.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "error.h"
#include "image.h"

int layer_diff_id(const char *path, char *ret_diff_id)
{
	struct archive *archive = archive_read_new();
	struct archive_entry *entry;
	struct digest_hasher hasher;
	char buf[65536];
	ssize_t n;
	int r = digest_hasher_init(&hasher);

	if (r < 0 || !archive) {
		archive_read_free(archive);
		return -ENOMEM;
	}
	archive_read_support_filter_all(archive);
	archive_read_support_format_raw(archive);
	if (archive_read_open_filename(archive, path, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(archive, &entry) != ARCHIVE_OK) {
		r = error_set(-EBADMSG, "'%s': %s", path, archive_error_string(archive));
		goto out;
	}
	while ((n = archive_read_data(archive, buf, sizeof(buf))) > 0)
		digest_hasher_update(&hasher, buf, (size_t)n);
	if (n < 0)
		r = error_set(-EBADMSG, "decompress '%s': %s", path, archive_error_string(archive));
out:
	if (r >= 0)
		digest_hasher_final(&hasher, ret_diff_id);
	else
		digest_hasher_free(&hasher);
	archive_read_free(archive);
	return r;
}

const char *layer_media_type_of(const char *path)
{
	static const unsigned char gzip_magic[] = { 0x1f, 0x8b };
	static const unsigned char zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char magic[4] = { 0 };

	if (fd >= 0 && read(fd, magic, sizeof(magic)) < 0)
		return MEDIA_OCI_LAYER;
	if (memcmp(magic, gzip_magic, sizeof(gzip_magic)) == 0)
		return MEDIA_OCI_LAYER_GZIP;
	if (memcmp(magic, zstd_magic, sizeof(zstd_magic)) == 0)
		return MEDIA_OCI_LAYER_ZSTD;
	return MEDIA_OCI_LAYER;
}
