// SPDX-License-Identifier: MIT
#include "layer.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include "../common/cleanup.h"
#include "error.h"
#include "image.h"

/* What a layer is read and decompressed by, at a time. */
#define LAYER_BUFFER (256 * 1024)

/* --- reading a layer blob ------------------------------------------------------------- */

static const struct {
	const char *media_type;
	enum layer_compression compression;
} layer_media_types[] = {
	{ MEDIA_OCI_LAYER, LAYER_PLAIN },
	{ MEDIA_OCI_LAYER_GZIP, LAYER_GZIP },
	{ MEDIA_OCI_LAYER_ZSTD, LAYER_ZSTD },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar", LAYER_PLAIN },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", LAYER_GZIP },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", LAYER_ZSTD },
	{ MEDIA_DOCKER_LAYER, LAYER_GZIP },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", LAYER_GZIP },
};

int layer_compression_of(const char *media_type, enum layer_compression *ret)
{
	for (size_t i = 0; i < sizeof(layer_media_types) / sizeof(layer_media_types[0]); i++) {
		if (strcmp(media_type, layer_media_types[i].media_type) == 0) {
			*ret = layer_media_types[i].compression;
			return 0;
		}
	}
	return error_set(-ENOTSUP, "media type '%s' is not a layer (tar, tar+gzip or tar+zstd)",
			 media_type);
}

/* The bytes a compressed blob must begin with, so that garbage is not read as no data. */
static bool layer_magic_matches(enum layer_compression compression, const unsigned char *head,
				size_t length)
{
	static const unsigned char gzip_magic[] = { 0x1f, 0x8b };
	static const unsigned char zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };

	switch (compression) {
	case LAYER_GZIP:
		return length >= sizeof(gzip_magic) && memcmp(head, gzip_magic, 2) == 0;
	case LAYER_ZSTD:
		/* A frame, or a skippable frame (magic 0x184D2A5?, little-endian). */
		return length >= sizeof(zstd_magic) &&
		       (memcmp(head, zstd_magic, 4) == 0 ||
			((head[0] & 0xf0) == 0x50 && head[1] == 0x2a && head[2] == 0x4d &&
			 head[3] == 0x18));
	case LAYER_PLAIN:
		break;
	}
	return true;
}

/* What libarchive reads from: the blob's descriptor, its first bytes checked as they pass. */
struct layer_source {
	int fd;
	bool owns_fd;
	enum layer_compression compression;
	unsigned char start[4];
	size_t start_length;
	bool checked;
	char buffer[65536];
};

static la_ssize_t layer_source_read(struct archive *archive, void *data, const void **ret_buffer)
{
	static const char *const names[] = { "tar", "gzip", "zstd" };
	struct layer_source *source = data;
	size_t take;
	ssize_t n;

	do
		n = read(source->fd, source->buffer, sizeof(source->buffer));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(archive, errno, "read: %s", strerror(errno));
		return -1;
	}
	take = sizeof(source->start) - source->start_length;
	if ((size_t)n < take)
		take = (size_t)n;
	memcpy(source->start + source->start_length, source->buffer, take);
	source->start_length += take;
	if (!source->checked && (source->start_length >= 4 || n == 0)) {
		source->checked = true;
		if (!layer_magic_matches(source->compression, source->start,
					 source->start_length)) {
			archive_set_error(archive, EILSEQ, "not %s data, as its media type says",
					  names[source->compression]);
			return -1;
		}
	}
	*ret_buffer = source->buffer;
	return n;
}

static int layer_source_close(struct archive *archive, void *data)
{
	struct layer_source *source = data;

	(void)archive;
	if (source->owns_fd)
		close(source->fd);
	free(source);
	return ARCHIVE_OK;
}

/*
 * A reader of the blob on fd, decompressed exactly once, as compression says: the filter is
 * appended, not bid for, so a tar whose first bytes look like bzip2 or gzip stays a tar.
 */
static int layer_reader(int fd, bool owns_fd, enum layer_compression compression, bool raw,
			struct archive **ret)
{
	struct archive *archive = archive_read_new();
	struct layer_source *source = calloc(1, sizeof(*source));
	int r = ARCHIVE_OK;

	if (!archive || !source) {
		archive_read_free(archive);
		free(source);
		if (owns_fd)
			close(fd);
		return -ENOMEM;
	}
	*source = (struct layer_source){ .fd = fd, .owns_fd = owns_fd, .compression = compression };
	if (compression == LAYER_GZIP)
		r = archive_read_append_filter(archive, ARCHIVE_FILTER_GZIP);
	else if (compression == LAYER_ZSTD)
		r = archive_read_append_filter(archive, ARCHIVE_FILTER_ZSTD);
	if (r == ARCHIVE_OK)
		r = raw ? archive_read_support_format_raw(archive)
			: archive_read_support_format_tar(archive);
	if (r != ARCHIVE_OK) {
		r = error_set(-ENOTSUP, "%s", archive_error_string(archive));
		archive_read_free(archive);
		layer_source_close(NULL, source);
		return r;
	}
	/* From here on, libarchive calls layer_source_close, also when the open fails. */
	if (archive_read_open(archive, source, NULL, layer_source_read, layer_source_close) !=
	    ARCHIVE_OK) {
		r = error_set(-EBADMSG, "%s", archive_error_string(archive));
		archive_read_free(archive);
		return r;
	}
	*ret = archive;
	return 0;
}

int layer_open(const char *path, const char *media_type, bool raw, struct archive **ret)
{
	enum layer_compression compression;
	int fd, r = layer_compression_of(media_type, &compression);

	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(negative_errno(), "open '%s': %s", path, strerror(errno));
	return layer_reader(fd, true, compression, raw, ret);
}

static ssize_t layer_read(int fd, void *buf, size_t size)
{
	ssize_t n;

	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	return n < 0 ? negative_errno() : n;
}

static int layer_hash_plain(int fd, struct digest_hasher *hasher)
{
	char buf[65536];
	ssize_t n;

	while ((n = layer_read(fd, buf, sizeof(buf))) > 0)
		digest_hasher_update(hasher, buf, (size_t)n);
	return n < 0 ? error_set((int)n, "read: %s", strerror((int)-n)) : 0;
}

static const char *layer_gzip_error(int status)
{
	switch (status) {
	case ISAL_INVALID_WRAPPER:
		return "not gzip data (no gzip header)";
	case ISAL_UNSUPPORTED_METHOD:
		return "a compression method other than deflate";
	case ISAL_INCORRECT_CHECKSUM:
		return "the data does not match its CRC";
	default:
		return "corrupt deflate data";
	}
}

/*
 * gzip members one after the other, as gzip and Go read them, inflated by ISA-L (several times
 * faster than zlib: a layer's diffID is checked on every pull). Not libarchive: it reads a
 * stream it cannot decompress as one that holds nothing.
 */
static int layer_hash_gzip(int fd, struct digest_hasher *hasher)
{
	_cleanup_free_ struct inflate_state *state = malloc(sizeof(*state));
	_cleanup_free_ unsigned char *in = malloc(LAYER_BUFFER), *out = malloc(LAYER_BUFFER);
	bool in_member = false, any = false;
	ssize_t n = 0;
	int r = 0;

	if (!state || !in || !out)
		return -ENOMEM;
	isal_inflate_init(state);
	while (r >= 0 && (n = layer_read(fd, in, LAYER_BUFFER)) > 0) {
		any = true;
		state->next_in = in;
		state->avail_in = (uint32_t)n;
		while (r >= 0 && (state->avail_in > 0 || (in_member && state->avail_out == 0))) {
			int status;

			if (!in_member) {
				uint8_t *next = state->next_in;
				uint32_t pending = state->avail_in;

				isal_inflate_init(state);
				state->crc_flag = ISAL_GZIP;
				state->next_in = next;
				state->avail_in = pending;
				in_member = true;
			}
			state->next_out = out;
			state->avail_out = LAYER_BUFFER;
			status = isal_inflate(state);
			if (status != ISAL_DECOMP_OK)
				r = error_set(-EBADMSG, "gzip decompression failed: %s",
					      layer_gzip_error(status));
			digest_hasher_update(hasher, out, LAYER_BUFFER - state->avail_out);
			/* A member's end gives back the bytes read past it: the next member's. */
			if (state->block_state == ISAL_BLOCK_FINISH)
				in_member = false;
		}
	}
	if (r >= 0 && n < 0)
		r = error_set((int)n, "read: %s", strerror((int)-n));
	if (r >= 0 && (in_member || !any))
		r = error_set(-EBADMSG, "gzip decompression failed: %s",
			      any ? "the data ends inside a gzip member" : "no gzip data");
	return r;
}

/* zstd frames one after the other, by libzstd; a frame may hold no bytes at all. */
static int layer_hash_zstd(int fd, struct digest_hasher *hasher)
{
	ZSTD_DStream *zstd = ZSTD_createDStream();
	_cleanup_free_ unsigned char *in = malloc(LAYER_BUFFER), *out = malloc(LAYER_BUFFER);
	bool any = false;
	size_t left = 0; /* 0 at a frame's end */
	ssize_t n = 0;
	int r = 0;

	if (!zstd || !in || !out) {
		ZSTD_freeDStream(zstd);
		return -ENOMEM;
	}
	while (r >= 0 && (n = layer_read(fd, in, LAYER_BUFFER)) > 0) {
		ZSTD_inBuffer input = { in, (size_t)n, 0 };

		any = true;
		/* Until the input is taken and the output no longer fills: nothing is held back. */
		for (bool full = true; r >= 0 && (input.pos < input.size || full);) {
			ZSTD_outBuffer output = { out, LAYER_BUFFER, 0 };

			left = ZSTD_decompressStream(zstd, &output, &input);
			if (ZSTD_isError(left))
				r = error_set(-EBADMSG, "zstd decompression failed: %s",
					      ZSTD_getErrorName(left));
			else
				digest_hasher_update(hasher, out, output.pos);
			full = output.pos == output.size;
		}
	}
	ZSTD_freeDStream(zstd);
	if (r >= 0 && n < 0)
		r = error_set((int)n, "read: %s", strerror((int)-n));
	if (r >= 0 && (left > 0 || !any))
		r = error_set(-EBADMSG, "zstd decompression failed: %s",
			      any ? "the data ends inside a zstd frame" : "no zstd data");
	return r;
}

/*
 * The sha256 of what fd holds after decompression as compression says. Returns 0 or -EBADMSG
 * with a reason.
 */
static int layer_hash_fd(int fd, enum layer_compression compression, char *ret_diff_id)
{
	struct digest_hasher hasher;
	int r = digest_hasher_init(&hasher);

	if (r < 0)
		return r;
	if (compression == LAYER_GZIP)
		r = layer_hash_gzip(fd, &hasher);
	else if (compression == LAYER_ZSTD)
		r = layer_hash_zstd(fd, &hasher);
	else
		r = layer_hash_plain(fd, &hasher);
	if (r < 0) {
		digest_hasher_free(&hasher);
		return error_set(r, "cannot decompress: %s", error_message() ?: strerror(-r));
	}
	digest_hasher_final(&hasher, ret_diff_id);
	return 0;
}

int layer_diff_id(const char *path, const char *media_type, char *ret_diff_id)
{
	_cleanup_close_ int fd = -1;
	enum layer_compression compression;
	int r = layer_compression_of(media_type, &compression);

	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(negative_errno(), "open '%s': %s", path, strerror(errno));
	r = layer_hash_fd(fd, compression, ret_diff_id);
	if (r < 0)
		return error_set(r, "'%s': %s", path, error_message());
	return 0;
}

static void *layer_stream_thread(void *userdata)
{
	struct layer_stream *stream = userdata;

	stream->result = layer_hash_fd(stream->read_fd, stream->compression, stream->diff_id);
	if (stream->result < 0)
		snprintf(stream->reason, sizeof(stream->reason), "%s",
			 error_message() ? error_message() : strerror(-stream->result));
	/* A writer still feeding a failed or finished stream gets EPIPE, never a full buffer. */
	close(stream->read_fd);
	stream->read_fd = -1;
	return NULL;
}

int layer_is_empty(const char *path, const char *media_type)
{
	static const char empty[] =
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	char diff_id[DIGEST_STRING_LEN + 1];
	int r = layer_diff_id(path, media_type, diff_id);

	return r < 0 ? r : strcmp(diff_id, empty) == 0;
}

int layer_stream_begin(struct layer_stream *stream, const char *media_type)
{
	enum layer_compression compression;
	int fds[2];
	int r = layer_compression_of(media_type, &compression);

	*stream = (struct layer_stream){ .read_fd = -1, .write_fd = -1 };
	if (r < 0)
		return r;
	stream->compression = compression;
	/* A socket, not a pipe: send() with MSG_NOSIGNAL reports a gone reader without SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return error_set(negative_errno(), "socketpair: %s", strerror(errno));
	stream->read_fd = fds[0];
	stream->write_fd = fds[1];
	if (pthread_create(&stream->thread, NULL, layer_stream_thread, stream) != 0) {
		close(fds[0]);
		close(fds[1]);
		*stream = (struct layer_stream){ .read_fd = -1, .write_fd = -1 };
		return error_set(-EAGAIN, "cannot start a thread to decompress the layer");
	}
	stream->running = true;
	return 0;
}

void layer_stream_write(struct layer_stream *stream, const void *buf, size_t size)
{
	const char *bytes = buf;

	while (stream->write_fd >= 0 && size > 0) {
		ssize_t n = send(stream->write_fd, bytes, size, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* The reader is gone: it has its result, or its reason. */
			close(stream->write_fd);
			stream->write_fd = -1;
			return;
		}
		bytes += n;
		size -= (size_t)n;
	}
}

/* Tell the thread the blob has ended and wait for it; the error state is left alone. */
static void layer_stream_stop(struct layer_stream *stream)
{
	if (stream->write_fd >= 0)
		close(stream->write_fd);
	stream->write_fd = -1;
	pthread_join(stream->thread, NULL);
	stream->running = false;
}

int layer_stream_end(struct layer_stream *stream, char *ret_diff_id)
{
	if (!stream->running)
		return -EINVAL;
	layer_stream_stop(stream);
	if (stream->result < 0)
		return error_set(stream->result, "%s", stream->reason);
	memcpy(ret_diff_id, stream->diff_id, sizeof(stream->diff_id));
	return 0;
}

void layer_stream_abort(struct layer_stream *stream)
{
	if (stream->running)
		layer_stream_stop(stream);
}

/* Whether a 512-byte block is a tar header: its checksum is the sum of its bytes. */
static bool layer_is_tar_header(const unsigned char *block)
{
	unsigned long sum = 0, stored = 0;
	int i;

	for (i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : block[i];
	for (i = 148; i < 156 && block[i] == ' '; i++)
		;
	for (; i < 156 && block[i] >= '0' && block[i] <= '7'; i++)
		stored = stored * 8 + (unsigned long)(block[i] - '0');
	return i > 148 && stored == sum;
}

const char *layer_media_type_of(const char *path)
{
	static const unsigned char gzip_magic[] = { 0x1f, 0x8b };
	static const unsigned char zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char block[512] = { 0 };

	/* A tar's first name may begin with any bytes: a valid header says tar first. */
	if (fd < 0 || read(fd, block, sizeof(block)) < 0 || layer_is_tar_header(block))
		return MEDIA_OCI_LAYER;
	if (memcmp(block, gzip_magic, sizeof(gzip_magic)) == 0)
		return MEDIA_OCI_LAYER_GZIP;
	if (memcmp(block, zstd_magic, sizeof(zstd_magic)) == 0)
		return MEDIA_OCI_LAYER_ZSTD;
	return MEDIA_OCI_LAYER;
}
