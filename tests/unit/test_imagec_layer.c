// SPDX-License-Identifier: MIT
/* A layer's diffID from its file and from its bytes as they arrive, which must agree. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "../../imagec/digest.h"
#include "../../imagec/error.h"
#include "../../imagec/image.h"
#include "../../imagec/layer.h"

#define TAR_SIZE (3 * 1024 * 1024 + 17)

static unsigned char *tar;
static unsigned char *gz;
static size_t gz_size;

/* Bytes that compress poorly, so the compressed form is megabytes too. */
static int setup(void **state)
{
	unsigned long state_word = 12345;
	uLongf bound;
	z_stream z = { 0 };

	(void)state;
	tar = malloc(TAR_SIZE);
	for (size_t i = 0; i < TAR_SIZE; i++) {
		state_word = state_word * 1103515245 + 12345;
		tar[i] = (unsigned char)(state_word >> 16);
	}
	bound = compressBound(TAR_SIZE) + 64;
	gz = malloc(bound);
	/* windowBits 31: a gzip stream, as layers are. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = tar;
	z.avail_in = TAR_SIZE;
	z.next_out = gz;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		return -1;
	gz_size = z.total_out;
	deflateEnd(&z);
	return 0;
}

/* in gzipped into out (of capacity bytes), as a layer's gzip stream. */
static int gzip_buffer(const unsigned char *in, size_t size, unsigned char *out, size_t capacity,
		       size_t *ret_size)
{
	z_stream z = { 0 };

	if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)size;
	z.next_out = out;
	z.avail_out = (uInt)capacity;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		return -1;
	}
	*ret_size = z.total_out;
	deflateEnd(&z);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(tar);
	free(gz);
	return 0;
}

static void write_file(const char *path, const void *bytes, size_t size)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
}

/* The stream's diffID, the bytes given in pieces of chunk bytes. */
static int stream_diff_id(const void *bytes, size_t size, size_t chunk, const char *media_type,
			  char *ret)
{
	struct layer_stream stream;
	const unsigned char *p = bytes;

	assert_int_equal(layer_stream_begin(&stream, media_type), 0);
	for (size_t at = 0; at < size; at += chunk)
		layer_stream_write(&stream, p + at, size - at < chunk ? size - at : chunk);
	return layer_stream_end(&stream, ret);
}

static void test_layer_stream_matches_file_for_gzip_and_plain(void **state)
{
	char expected[DIGEST_STRING_LEN + 1], from_file[DIGEST_STRING_LEN + 1];
	char from_stream[DIGEST_STRING_LEN + 1];
	char path[] = "/tmp/test_imagec_layer.XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(digest_of_buffer(tar, TAR_SIZE, expected), 0);

	write_file(path, gz, gz_size);
	assert_int_equal(layer_diff_id(path, MEDIA_OCI_LAYER_GZIP, from_file), 0);
	assert_string_equal(from_file, expected);
	/* Pieces of every size the network hands over: one byte, odd sizes, all at once. */
	assert_int_equal(stream_diff_id(gz, gz_size, 1 << 20, MEDIA_OCI_LAYER_GZIP, from_stream),
			 0);
	assert_string_equal(from_stream, expected);
	assert_int_equal(stream_diff_id(gz, gz_size, 4093, MEDIA_OCI_LAYER_GZIP, from_stream), 0);
	assert_string_equal(from_stream, expected);
	assert_int_equal(stream_diff_id(gz, 4096, 1, MEDIA_OCI_LAYER_GZIP, from_stream), -EBADMSG);
	assert_int_equal(stream_diff_id(gz, gz_size, gz_size, MEDIA_OCI_LAYER_GZIP, from_stream),
			 0);
	assert_string_equal(from_stream, expected);

	/* An uncompressed layer is its own tar. */
	write_file(path, tar, TAR_SIZE);
	assert_int_equal(layer_diff_id(path, MEDIA_OCI_LAYER, from_file), 0);
	assert_string_equal(from_file, expected);
	assert_int_equal(stream_diff_id(tar, TAR_SIZE, 65536, MEDIA_OCI_LAYER, from_stream), 0);
	assert_string_equal(from_stream, expected);
	unlink(path);
}

static void test_layer_stream_refuses_broken_gzip_without_blocking_the_writer(void **state)
{
	char diff_id[DIGEST_STRING_LEN + 1];
	unsigned char *broken = malloc(gz_size);

	(void)state;
	/* A gzip header, then deflate data with a byte gone wrong: megabytes still follow, and
	 * the writer must not wait on a reader that has given up. */
	memcpy(broken, gz, gz_size);
	for (size_t i = 10; i < 200; i++)
		broken[i] ^= 0x5a;
	error_clear();
	assert_int_equal(stream_diff_id(broken, gz_size, 65536, MEDIA_OCI_LAYER_GZIP, diff_id),
			 -EBADMSG);
	assert_non_null(error_message());
	assert_non_null(strstr(error_message(), "cannot decompress: "));
	free(broken);
}

static void test_layer_stream_truncated_gzip_is_an_error(void **state)
{
	char diff_id[DIGEST_STRING_LEN + 1];

	(void)state;
	error_clear();
	assert_int_equal(stream_diff_id(gz, gz_size / 2, 65536, MEDIA_OCI_LAYER_GZIP, diff_id),
			 -EBADMSG);
	assert_non_null(strstr(error_message(), "cannot decompress: "));
}

static void test_layer_stream_abort_keeps_the_reason_at_hand(void **state)
{
	struct layer_stream stream;

	(void)state;
	assert_int_equal(layer_stream_begin(&stream, MEDIA_OCI_LAYER_GZIP), 0);
	layer_stream_write(&stream, gz, 1000);
	error_set(-EBADMSG, "content of 'x' hashes to 'y'");
	layer_stream_abort(&stream);
	assert_string_equal(error_message(), "content of 'x' hashes to 'y'");
	/* A second abort does nothing. */
	layer_stream_abort(&stream);
	assert_false(stream.running);
}

static void test_layer_file_errors_name_the_file(void **state)
{
	char diff_id[DIGEST_STRING_LEN + 1];

	(void)state;
	assert_int_equal(layer_diff_id("/nonexistent/layer", MEDIA_OCI_LAYER, diff_id), -ENOENT);
	assert_string_equal(error_message(),
			    "open '/nonexistent/layer': No such file or directory");
}

/* path holds bytes: the diffID of a blob of media_type with them, or -errno. */
static int file_diff_id(const void *bytes, size_t size, const char *media_type, char *ret)
{
	char path[] = "/tmp/test_imagec_layer.XXXXXX";
	int fd = mkstemp(path);
	int r;

	assert_true(fd >= 0);
	close(fd);
	write_file(path, bytes, size);
	r = layer_diff_id(path, media_type, ret);
	unlink(path);
	return r;
}

static void test_layer_decompressed_as_its_media_type_says_once(void **state)
{
	static const unsigned char bzip2_name[] = "BZh91AY&SY-notes.txt";
	unsigned char block[1024] = { 0 };
	char expected[DIGEST_STRING_LEN + 1], found[DIGEST_STRING_LEN + 1];
	unsigned char *twice;
	size_t twice_size = 0;

	(void)state;
	/* A plain tar whose first bytes are bzip2's magic is the tar it is. */
	memcpy(block, bzip2_name, sizeof(bzip2_name));
	assert_int_equal(digest_of_buffer(block, sizeof(block), expected), 0);
	assert_int_equal(file_diff_id(block, sizeof(block), MEDIA_OCI_LAYER, found), 0);
	assert_string_equal(found, expected);
	assert_int_equal(stream_diff_id(block, sizeof(block), 7, MEDIA_OCI_LAYER, found), 0);
	assert_string_equal(found, expected);

	/* A gzip blob whose tar begins with gzip's magic is decompressed once, not twice. */
	twice = malloc(compressBound(gz_size) + 64);
	assert_int_equal(gzip_buffer(gz, gz_size, twice, compressBound(gz_size) + 64, &twice_size),
			 0);
	assert_int_equal(digest_of_buffer(gz, gz_size, expected), 0);
	assert_int_equal(file_diff_id(twice, twice_size, MEDIA_OCI_LAYER_GZIP, found), 0);
	assert_string_equal(found, expected);
	free(twice);

	/* Media type and bytes that disagree: the error says so. */
	error_clear();
	assert_int_equal(file_diff_id(block, sizeof(block), MEDIA_OCI_LAYER_GZIP, found), -EBADMSG);
	assert_non_null(strstr(error_message(), "': cannot decompress: gzip decompression failed: "
						"not gzip data (no gzip header)"));
	assert_int_equal(stream_diff_id(block, sizeof(block), 1, MEDIA_OCI_LAYER_ZSTD, found),
			 -EBADMSG);
	assert_int_equal(file_diff_id(block, sizeof(block), "application/x-bzip2", found),
			 -ENOTSUP);
	assert_string_equal(error_message(), "media type 'application/x-bzip2' is not a layer "
					     "(tar, tar+gzip or tar+zstd)");
}

/*
 * gzip members and zstd frames one after the other are one layer, whatever the chunks they
 * arrive in; a flipped CRC and a frame cut short are errors; a zstd frame may hold nothing.
 */
static void test_layer_members_and_frames_in_sequence(void **state)
{
	size_t half = TAR_SIZE / 2, first_size, second_size, zstd_size, empty_size;
	size_t capacity = compressBound(TAR_SIZE) + 128;
	char expected[DIGEST_STRING_LEN + 1], found[DIGEST_STRING_LEN + 1];
	unsigned char *joined = malloc(capacity), *zstd = malloc(ZSTD_compressBound(TAR_SIZE) * 2);
	size_t chunks[] = { 1, 7, 4096, 65536, 1 << 22 };

	(void)state;
	assert_int_equal(digest_of_buffer(tar, TAR_SIZE, expected), 0);
	assert_int_equal(gzip_buffer(tar, half, joined, capacity, &first_size), 0);
	assert_int_equal(gzip_buffer(tar + half, TAR_SIZE - half, joined + first_size,
				     capacity - first_size, &second_size),
			 0);
	assert_int_equal(
		file_diff_id(joined, first_size + second_size, MEDIA_OCI_LAYER_GZIP, found), 0);
	assert_string_equal(found, expected);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		assert_int_equal(stream_diff_id(joined, first_size + second_size, chunks[i],
						MEDIA_OCI_LAYER_GZIP, found),
				 0);
		assert_string_equal(found, expected);
	}
	/* The first member's CRC (the 8 bytes before its end hold CRC and size) flipped. */
	joined[first_size - 8] ^= 1;
	error_clear();
	assert_int_equal(
		file_diff_id(joined, first_size + second_size, MEDIA_OCI_LAYER_GZIP, found),
		-EBADMSG);
	assert_non_null(strstr(error_message(), "the data does not match its CRC"));

	/* zstd: an empty frame, then the tar in two frames. */
	empty_size = ZSTD_compress(zstd, 64, "", 0, 3);
	assert_false(ZSTD_isError(empty_size));
	first_size = ZSTD_compress(zstd + empty_size, ZSTD_compressBound(half), tar, half, 3);
	assert_false(ZSTD_isError(first_size));
	second_size = ZSTD_compress(zstd + empty_size + first_size, ZSTD_compressBound(TAR_SIZE),
				    tar + half, TAR_SIZE - half, 3);
	assert_false(ZSTD_isError(second_size));
	zstd_size = empty_size + first_size + second_size;
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		assert_int_equal(
			stream_diff_id(zstd, zstd_size, chunks[i], MEDIA_OCI_LAYER_ZSTD, found), 0);
		assert_string_equal(found, expected);
	}
	assert_int_equal(file_diff_id(zstd, empty_size, MEDIA_OCI_LAYER_ZSTD, found), 0);
	assert_int_equal(digest_of_buffer("", 0, expected), 0);
	assert_string_equal(found, expected);
	error_clear();
	assert_int_equal(file_diff_id(zstd, zstd_size - 10, MEDIA_OCI_LAYER_ZSTD, found), -EBADMSG);
	assert_non_null(strstr(error_message(), "the data ends inside a zstd frame"));
	free(joined);
	free(zstd);
}

static void test_layer_of_no_bytes_is_the_empty_layer(void **state)
{
	char expected[DIGEST_STRING_LEN + 1], found[DIGEST_STRING_LEN + 1];

	(void)state;
	assert_int_equal(digest_of_buffer("", 0, expected), 0);
	assert_int_equal(file_diff_id("", 0, MEDIA_OCI_LAYER, found), 0);
	assert_string_equal(found, expected);
	assert_int_equal(stream_diff_id("", 0, 1, MEDIA_OCI_LAYER, found), 0);
	assert_string_equal(found, expected);
}

static void test_layer_media_type_of_a_docker_save_layer(void **state)
{
	char path[] = "/tmp/test_imagec_layer.XXXXXX";
	unsigned char header[1024] = { 0 };
	unsigned int sum = 0;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	/* A tar header whose name begins with gzip's magic: a tar all the same. */
	memcpy(header, "\x1f\x8b\x08-name", 8);
	memcpy(header + 100, "0000644", 7);
	memcpy(header + 257, "ustar", 6);
	memset(header + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += header[i];
	snprintf((char *)header + 148, 8, "%06o", sum);
	write_file(path, header, sizeof(header));
	assert_string_equal(layer_media_type_of(path), MEDIA_OCI_LAYER);
	write_file(path, gz, 512);
	assert_string_equal(layer_media_type_of(path), MEDIA_OCI_LAYER_GZIP);
	write_file(path, "\x28\xb5\x2f\xfd rest", 9);
	assert_string_equal(layer_media_type_of(path), MEDIA_OCI_LAYER_ZSTD);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layer_stream_matches_file_for_gzip_and_plain),
		cmocka_unit_test(test_layer_stream_refuses_broken_gzip_without_blocking_the_writer),
		cmocka_unit_test(test_layer_stream_truncated_gzip_is_an_error),
		cmocka_unit_test(test_layer_stream_abort_keeps_the_reason_at_hand),
		cmocka_unit_test(test_layer_file_errors_name_the_file),
		cmocka_unit_test(test_layer_decompressed_as_its_media_type_says_once),
		cmocka_unit_test(test_layer_members_and_frames_in_sequence),
		cmocka_unit_test(test_layer_of_no_bytes_is_the_empty_layer),
		cmocka_unit_test(test_layer_media_type_of_a_docker_save_layer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
