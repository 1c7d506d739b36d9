// SPDX-License-Identifier: MIT
#include "commit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "../common/cleanup.h"
#include "catalog.h"
#include "convert.h"
#include "error.h"
#include "image.h"

#define CHUNK 65536

/* What the layer is: its diffID (of the tar) and its blob (gzipped) in the store. */
struct committed_layer {
	char diff_id[DIGEST_STRING_LEN + 1];
	char digest[DIGEST_STRING_LEN + 1];
	long long size;
};

/* Deflate out of z into the blob; flush is Z_NO_FLUSH or Z_FINISH. */
static int deflate_into(z_stream *z, int flush, struct store_blob_writer *blob)
{
	unsigned char out[CHUNK];

	do {
		int r;

		z->next_out = out;
		z->avail_out = sizeof(out);
		r = deflate(z, flush);
		if (r == Z_STREAM_ERROR)
			return error_set(-EIO, "gzip: %s", z->msg ? z->msg : "stream error");
		r = store_blob_write(blob, out, sizeof(out) - z->avail_out);
		if (r < 0)
			return r;
	} while (z->avail_out == 0);
	return 0;
}

/*
 * Read the tar, hash it (diffID) and gzip it into a new blob. The gzip header carries no
 * name and no time: the same layer gives the same blob.
 */
static int store_layer(struct store *store, const char *path, struct committed_layer *ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char in[CHUNK];
	struct digest_hasher hasher;
	struct store_blob_writer blob;
	z_stream z = { 0 };
	ssize_t n;
	int r;

	if (fd < 0)
		return error_set(negative_errno(), "open '%s': %s", path, strerror(errno));
	r = digest_hasher_init(&hasher);
	if (r < 0)
		return r;
	r = store_blob_begin(store, &blob);
	if (r < 0) {
		digest_hasher_free(&hasher);
		return r;
	}
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		r = error_set(-ENOMEM, "gzip: cannot start");
		goto fail;
	}
	while ((n = read(fd, in, sizeof(in))) != 0) {
		if (n < 0) {
			r = error_set(negative_errno(), "read '%s': %s", path, strerror(errno));
			goto fail;
		}
		digest_hasher_update(&hasher, in, (size_t)n);
		z.next_in = in;
		z.avail_in = (uInt)n;
		r = deflate_into(&z, Z_NO_FLUSH, &blob);
		if (r < 0)
			goto fail;
	}
	if (hasher.size == 0 || hasher.size % 512 != 0) {
		r = error_set(-EINVAL, "'%s': %llu bytes is not a tar (a multiple of 512 bytes)",
			      path, hasher.size);
		goto fail;
	}
	r = deflate_into(&z, Z_FINISH, &blob);
	if (r < 0)
		goto fail;
	deflateEnd(&z);
	digest_hasher_final(&hasher, ret->diff_id);
	ret->size = (long long)blob.hasher.size;
	return store_blob_commit(&blob, NULL, -1, ret->digest);
fail:
	deflateEnd(&z);
	digest_hasher_free(&hasher);
	store_blob_abort(&blob);
	return r;
}

static void utc_now(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The parent's config with the layer's diffID and a history entry added. */
static int new_config(const struct image *parent, const struct committed_layer *layer,
		      const struct commit_options *options, json_t **ret)
{
	json_t *config = json_deep_copy(parent->config);
	json_t *rootfs, *diff_ids, *history, *entry;
	char created[32];

	if (!config)
		return -ENOMEM;
	utc_now(created, sizeof(created));
	rootfs = json_object_get(config, "rootfs");
	diff_ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(diff_ids)) {
		json_decref(config);
		return error_set(-EINVAL, "the parent's config has no rootfs.diff_ids");
	}
	json_array_append_new(diff_ids, json_string(layer->diff_id));

	history = json_object_get(config, "history");
	if (!json_is_array(history)) {
		history = json_array();
		json_object_set_new(config, "history", history);
	}
	entry = json_pack("{s:s, s:s}", "created", created, "created_by", "imagec commit");
	if (entry && options->author)
		json_object_set_new(entry, "author", json_string(options->author));
	if (entry && options->message)
		json_object_set_new(entry, "comment", json_string(options->message));
	json_array_append_new(history, entry);

	json_object_set_new(config, "created", json_string(created));
	if (options->author)
		json_object_set_new(config, "author", json_string(options->author));
	*ret = config;
	return 0;
}

/* The parent's manifest pointing at the new config, with the layer added. */
static json_t *new_manifest(const struct image *parent, const char *config_digest,
			    size_t config_size, const struct committed_layer *layer)
{
	json_t *manifest = json_deep_copy(parent->manifest);
	json_t *config = json_object_get(manifest, "config");
	json_t *layers = json_object_get(manifest, "layers");
	bool docker = strcmp(parent->manifest_media_type, MEDIA_DOCKER_MANIFEST) == 0;

	if (!manifest || !json_is_object(config) || !json_is_array(layers)) {
		json_decref(manifest);
		return NULL;
	}
	json_object_set_new(config, "digest", json_string(config_digest));
	json_object_set_new(config, "size", json_integer((json_int_t)config_size));
	json_array_append_new(layers,
			      json_pack("{s:s, s:s, s:I}", "mediaType",
					docker ? MEDIA_DOCKER_LAYER : MEDIA_OCI_LAYER_GZIP,
					"digest", layer->digest, "size", (json_int_t)layer->size));
	return manifest;
}

/* Serialize json as a blob; its digest and size go to ret_digest and *ret_size. */
static int put_json(struct store *store, json_t *json, char *ret_digest, size_t *ret_size)
{
	_cleanup_free_ char *text = json_dumps(json, JSON_COMPACT);

	if (!text)
		return -ENOMEM;
	*ret_size = strlen(text);
	return store_blob_put(store, text, *ret_size, ret_digest);
}

int commit_image(struct store *store, const struct commit_options *options, char *ret_digest)
{
	char parent_digest[DIGEST_STRING_LEN + 1], config_digest[DIGEST_STRING_LEN + 1];
	_cleanup_free_ char *name = NULL;
	struct committed_layer layer;
	struct image parent = { 0 };
	json_t *config = NULL, *manifest = NULL;
	size_t config_size, manifest_size;
	int r;

	r = catalog_tag_name(options->name, &name);
	if (r >= 0)
		r = catalog_resolve(store, options->host, options->parent, parent_digest);
	if (r >= 0)
		r = image_load(store, parent_digest, &parent);
	if (r >= 0 && parent.layer_count + 1 > IMAGE_LAYERS_MAX)
		r = error_set(-E2BIG, "the parent has %zu layers already", parent.layer_count);
	if (r >= 0 && options->dry_run) {
		memcpy(ret_digest, parent_digest, sizeof(parent_digest));
		image_free(&parent);
		return 0;
	}
	/* A file that is not a layer's tar never becomes an image whose disks cannot be made. */
	if (r >= 0)
		r = convert_check_layer(options->layer_path, MEDIA_OCI_LAYER, options->layer_path);
	if (r >= 0)
		r = store_layer(store, options->layer_path, &layer);
	if (r >= 0)
		r = new_config(&parent, &layer, options, &config);
	if (r >= 0)
		r = put_json(store, config, config_digest, &config_size);
	if (r >= 0) {
		manifest = new_manifest(&parent, config_digest, config_size, &layer);
		r = manifest ? put_json(store, manifest, ret_digest, &manifest_size) : -ENOMEM;
	}
	if (r >= 0)
		r = catalog_add(store, ret_digest, (long long)manifest_size,
				parent.manifest_media_type, name, options->host);
	json_decref(config);
	json_decref(manifest);
	image_free(&parent);
	return r;
}
