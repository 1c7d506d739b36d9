// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the layer conversion: any input, read as a layer tar (plain, gzip or
 * zstd), is either converted (as a bottom layer, as a layer above itself, and flattened) or
 * refused with a reason; nothing crashes or leaks, and no name in the output leaves the tree.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../imagec/convert.h"
#include "../../imagec/error.h"
#include "../../imagec/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every name in the converted tar is relative and has no ".." component. */
static void check_output(int fd)
{
	struct archive *in = archive_read_new();
	struct archive_entry *entry;

	lseek(fd, 0, SEEK_SET);
	archive_read_support_format_tar(in);
	if (archive_read_open_fd(in, fd, 4096) != ARCHIVE_OK)
		abort();
	while (archive_read_next_header(in, &entry) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(entry);
		const char *link = archive_entry_hardlink(entry);

		if (!name || name[0] == '/' || strstr(name, "..") == name || strstr(name, "/../"))
			abort();
		if (link && (link[0] == '/' || strstr(link, "..") == link))
			abort();
	}
	archive_read_free(in);
}

static void convert_twice(const char *path, int out_fd, int emit)
{
	struct convert *convert = NULL;
	struct archive *out;
	int r;

	if (ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) < 0)
		abort();
	if (convert_new(&convert) < 0)
		abort();
	out = convert_output_open(out_fd);
	if (!out)
		abort();
	r = convert_add_layer(convert, path, MEDIA_OCI_LAYER, "fuzz", emit == 0 ? out : NULL);
	if (r >= 0)
		r = convert_add_layer(convert, path, MEDIA_OCI_LAYER, "fuzz",
				      emit == 1 ? out : NULL);
	if (r >= 0 && emit == 2)
		r = convert_write_flat(convert, out);
	if (r < 0 && !error_message())
		abort();
	error_clear();
	convert_output_close(out);
	convert_free(convert);
	if (r >= 0)
		check_output(out_fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int layer_fd = memfd_create("layer", MFD_CLOEXEC);
	int out_fd = memfd_create("out", MFD_CLOEXEC);
	char path[64];

	if (layer_fd < 0 || out_fd < 0 || write(layer_fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", layer_fd);
	for (int emit = 0; emit < 3; emit++)
		convert_twice(path, out_fd, emit);
	close(layer_fd);
	close(out_fd);
	return 0;
}
