/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_LAYER_H
#define IMAGEC_LAYER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "digest.h"

/*
 * The diffID of a layer blob: sha256 of its tar after decompression (gzip, zstd, or none,
 * recognized by content). Returns 0 or -errno with a reason.
 */
int layer_diff_id(const char *path, char *ret_diff_id);

/*
 * A layer's diffID computed while its compressed bytes arrive: they go down a socket to a
 * thread of its own that decompresses and hashes them, so a download and the check of what
 * it unpacks to run at once.
 */
struct layer_stream {
	int read_fd;
	int write_fd;
	pthread_t thread;
	bool running;
	int result;
	char diff_id[DIGEST_STRING_LEN + 1];
	char reason[512];
};

/* Start a stream. Returns 0 or -errno with a reason. */
int layer_stream_begin(struct layer_stream *stream);

/* The next bytes of the blob. Blocks while the thread is behind; a failed stream ignores them. */
void layer_stream_write(struct layer_stream *stream, const void *buf, size_t size);

/* The end of the blob: the diffID of all the bytes written, or -errno with a reason. */
int layer_stream_end(struct layer_stream *stream, char *ret_diff_id);

/*
 * Stop a stream whose blob will not be finished (no-op when it is not running), keeping the
 * reason of the failure at hand.
 */
void layer_stream_abort(struct layer_stream *stream);

/* The OCI media type for a layer blob, from its first bytes (gzip, zstd, else plain tar). */
const char *layer_media_type_of(const char *path);

#endif
