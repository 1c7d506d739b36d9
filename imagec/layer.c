// SPDX-License-Identifier: MIT
#include "layer.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "error.h"
#include "image.h"

/*
 * The sha256 of what fd holds after decompression, read by libarchive (any filter it knows,
 * raw format). Returns 0 or -EBADMSG with a reason.
 */
static int layer_hash_fd(int fd, char *ret_diff_id)
{
	struct archive *archive = archive_read_new();
	struct archive_entry *entry;
	struct digest_hasher hasher;
	char buf[65536];
	ssize_t n;
	int r = digest_hasher_init(&hasher);

	if (r < 0 || !archive) {
		if (r >= 0)
			digest_hasher_free(&hasher);
		archive_read_free(archive);
		return -ENOMEM;
	}
	archive_read_support_filter_all(archive);
	archive_read_support_format_raw(archive);
	if (archive_read_open_fd(archive, fd, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(archive, &entry) != ARCHIVE_OK) {
		r = error_set(-EBADMSG, "cannot decompress: %s", archive_error_string(archive));
		goto out;
	}
	while ((n = archive_read_data(archive, buf, sizeof(buf))) > 0)
		digest_hasher_update(&hasher, buf, (size_t)n);
	if (n < 0)
		r = error_set(-EBADMSG, "cannot decompress: %s", archive_error_string(archive));
out:
	if (r >= 0)
		digest_hasher_final(&hasher, ret_diff_id);
	else
		digest_hasher_free(&hasher);
	archive_read_free(archive);
	return r;
}

int layer_diff_id(const char *path, char *ret_diff_id)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return error_set(negative_errno(), "open '%s': %s", path, strerror(errno));
	r = layer_hash_fd(fd, ret_diff_id);
	if (r < 0)
		return error_set(r, "'%s': %s", path, error_message());
	return 0;
}

static void *layer_stream_thread(void *userdata)
{
	struct layer_stream *stream = userdata;

	stream->result = layer_hash_fd(stream->read_fd, stream->diff_id);
	if (stream->result < 0)
		snprintf(stream->reason, sizeof(stream->reason), "%s",
			 error_message() ? error_message() : strerror(-stream->result));
	/* A writer still feeding a failed or finished stream gets EPIPE, never a full buffer. */
	close(stream->read_fd);
	stream->read_fd = -1;
	return NULL;
}

int layer_stream_begin(struct layer_stream *stream)
{
	int fds[2];

	*stream = (struct layer_stream){ .read_fd = -1, .write_fd = -1 };
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
