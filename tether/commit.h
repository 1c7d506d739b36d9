/* SPDX-License-Identifier: MIT */
/*
 * Commit: the overlay's upper directory written as an OCI image layer (a tar, through
 * libarchive). What overlayfs records in its own way becomes what OCI layers say:
 *
 *   - a character device 0/0 (a deleted file)         -> an empty ".wh.NAME"
 *   - a directory with trusted.overlay.opaque = "y"    -> the directory and ".wh..wh..opq"
 *   - every other trusted.overlay.* attribute          -> dropped
 *   - hard links inside the upper                      -> hard links
 *
 * Ownership, modes, times and other extended attributes are kept. An upper holding a
 * redirect or metacopy attribute is refused: its files are not whole copies.
 */
#ifndef TETHER_COMMIT_H
#define TETHER_COMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Where the tar goes: write(context, buf, n) returns 0 or -errno. */
struct commit_sink {
	int (*write)(void *context, const void *buf, size_t size);
	void *context;
};

/*
 * What the upper holds that is not the workload's doing, and what lies below it:
 * placeholder(path) is true for a path tether made as a mount point (an empty file is
 * skipped, a directory written only as the parent of what is beneath it); lower_stat(path) finds
 * path in the layers below (0, or -ENOENT). A directory the workload did not change (present below,
 * same mode and owner, nothing of its own beneath) is left out: copy-up is not a change. Either may
 * be NULL.
 */
struct commit_filter {
	bool (*placeholder)(void *context, const char *path);
	int (*lower_stat)(void *context, const char *path, struct stat *ret);
	void *context;
};

struct commit_result {
	uint64_t size; /* bytes of tar written */
	uint64_t entries;
	uint64_t whiteouts;
	uint64_t skipped_sockets;
};

/*
 * Write upper as a layer tar into sink, entries sorted by name; filter may be NULL. Returns
 * 0, or -errno with a message naming the path in err.
 */
int commit_write_layer(const char *upper, const struct commit_sink *sink,
		       const struct commit_filter *filter, struct commit_result *ret, char *err,
		       size_t err_size);

#endif
