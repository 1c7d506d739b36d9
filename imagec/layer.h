/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_LAYER_H
#define IMAGEC_LAYER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "digest.h"

struct archive;

/* How a layer blob is compressed: its descriptor's media type says, never its content. */
enum layer_compression {
	LAYER_PLAIN,
	LAYER_GZIP,
	LAYER_ZSTD,
};

/* The compression of a layer media type; -ENOTSUP with a reason when it is not a layer's. */
int layer_compression_of(const char *media_type, enum layer_compression *ret);

/*
 * A libarchive reader of the layer blob at path, decompressed once as media_type says: its tar
 * entries, or (raw) one entry holding the bytes of the tar. libarchive finds no tar in a layer
 * of no bytes: see layer_is_empty(). The caller frees it with archive_read_free(). Returns 0
 * or -errno with a reason.
 */
int layer_open(const char *path, const char *media_type, bool raw, struct archive **ret);

/*
 * The diffID of a layer blob: sha256 of its tar after decompression as media_type says
 * (gzip, zstd, or none). Returns 0 or -errno with a reason.
 */
int layer_diff_id(const char *path, const char *media_type, char *ret_diff_id);

/*
 * 1 when the layer decompresses to no bytes at all (an empty layer, as umoci reads it), 0 when
 * it does not, -errno with a reason when it cannot be read.
 */
int layer_is_empty(const char *path, const char *media_type);

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
	enum layer_compression compression;
	int result;
	char diff_id[DIGEST_STRING_LEN + 1];
	char reason[512];
};

/* Start a stream of a blob of media_type. Returns 0 or -errno with a reason. */
int layer_stream_begin(struct layer_stream *stream, const char *media_type);

/* The next bytes of the blob. Blocks while the thread is behind; a failed stream ignores them. */
void layer_stream_write(struct layer_stream *stream, const void *buf, size_t size);

/* The end of the blob: the diffID of all the bytes written, or -errno with a reason. */
int layer_stream_end(struct layer_stream *stream, char *ret_diff_id);

/*
 * Stop a stream whose blob will not be finished (no-op when it is not running), keeping the
 * reason of the failure at hand.
 */
void layer_stream_abort(struct layer_stream *stream);

/*
 * The OCI media type for a layer blob that came without one (a docker-save archive), from its
 * first bytes: a tar header, else gzip or zstd magic, else plain tar.
 */
const char *layer_media_type_of(const char *path);

#endif
