// SPDX-License-Identifier: MIT
#include "gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "error.h"
#include "image.h"
#include "layer.h"

/* The names (blob hex digests, disk file names) that listed images use. */
struct gc_live {
	json_t *blobs;
	json_t *disks;
};

static void gc_mark_image(struct gc_live *live, const struct image *image)
{
	const char **diff_ids = calloc(image->layer_count + 1, sizeof(*diff_ids));

	json_object_set_new(live->blobs, digest_hex(image->manifest_digest), json_true());
	json_object_set_new(live->blobs, digest_hex(image->config_digest), json_true());
	for (size_t i = 0; i < image->layer_count; i++) {
		char chain_id[DIGEST_STRING_LEN + 1];
		char name[DIGEST_HEX_LEN + 32];

		json_object_set_new(live->blobs, digest_hex(image->layers[i].digest), json_true());
		if (!diff_ids)
			continue;
		diff_ids[i] = image->layers[i].diff_id;
		if (digest_chain_id(diff_ids, i + 1, chain_id) < 0)
			continue;
		snprintf(name, sizeof(name), "layer/%s.sqfs", digest_hex(chain_id));
		json_object_set_new(live->disks, name, json_true());
		if (i + 1 == image->layer_count) {
			snprintf(name, sizeof(name), "flat/%s.sqfs", digest_hex(chain_id));
			json_object_set_new(live->disks, name, json_true());
		}
	}
	free(diff_ids);
}

static int gc_mark(struct store *store, struct gc_live *live)
{
	json_t *index = NULL;
	json_t *entry;
	size_t i;
	int r = store_index_load(store, &index);

	if (r < 0)
		return r;
	json_array_foreach(json_object_get(index, "manifests"), i, entry)
	{
		const char *digest = json_string_value(json_object_get(entry, "digest"));
		struct image image;

		r = image_load(store, digest ? digest : "", &image);
		if (r < 0) {
			r = error_set(r, "image '%s': %s (run imagec verify)",
				      digest ? digest : "?",
				      error_message() ? error_message() : strerror(-r));
			break;
		}
		gc_mark_image(live, &image);
		image_free(&image);
	}
	json_decref(index);
	return r;
}

/* Remove every file of STORE/dir whose name (prefixed by prefix) is not in keep. */
static int gc_sweep(struct store *store, const char *dir, const char *prefix, json_t *keep,
		    int *ret_count)
{
	_cleanup_free_ char *path = NULL;
	struct dirent *dirent;
	DIR *handle;

	if (asprintf(&path, "%s/%s", store->root, dir) < 0)
		return -ENOMEM;
	handle = opendir(path);
	if (!handle)
		return error_set(negative_errno(), "open '%s': %s", path, strerror(errno));
	while ((dirent = readdir(handle))) {
		char name[512];

		if (dirent->d_name[0] == '.' || dirent->d_type == DT_DIR)
			continue;
		snprintf(name, sizeof(name), "%s%s", prefix, dirent->d_name);
		if (json_object_get(keep, name))
			continue;
		/* Lock files are removed too, but they are no data: not counted. */
		if (unlinkat(dirfd(handle), dirent->d_name, 0) == 0 &&
		    !strstr(dirent->d_name, ".lock"))
			(*ret_count)++;
	}
	closedir(handle);
	return 0;
}

int gc_collect(struct store *store)
{
	struct gc_live live = { json_object(), json_object() };
	json_t *keep_tmp = json_pack("{s:b}", "gc.lock", 1);
	int blobs = 0, disks = 0, tmp = 0;
	int r = gc_mark(store, &live);

	if (r >= 0)
		r = gc_sweep(store, "blobs/sha256", "", live.blobs, &blobs);
	if (r >= 0)
		r = gc_sweep(store, "disks/layer", "layer/", live.disks, &disks);
	if (r >= 0)
		r = gc_sweep(store, "disks/flat", "flat/", live.disks, &disks);
	if (r >= 0)
		r = gc_sweep(store, "tmp", "", keep_tmp, &tmp);
	if (r >= 0)
		printf("removed %d blob%s, %d disk%s, %d temporary file%s\n", blobs,
		       blobs == 1 ? "" : "s", disks, disks == 1 ? "" : "s", tmp,
		       tmp == 1 ? "" : "s");
	json_decref(live.blobs);
	json_decref(live.disks);
	json_decref(keep_tmp);
	return r;
}

static int gc_hash_file(int dir_fd, const char *name, char *ret_digest)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return negative_errno();
	return digest_of_fd(fd, ret_digest, NULL);
}

/* Every blob file hashes to its name. Returns the number of bad blobs. */
static int gc_verify_blobs(struct store *store, int *ret_count)
{
	_cleanup_free_ char *path = NULL;
	struct dirent *dirent;
	int bad = 0;
	DIR *dir;

	if (asprintf(&path, "%s/blobs/sha256", store->root) < 0)
		return -ENOMEM;
	dir = opendir(path);
	if (!dir)
		return error_set(negative_errno(), "open '%s': %s", path, strerror(errno));
	while ((dirent = readdir(dir))) {
		char digest[DIGEST_STRING_LEN + 1];
		char named[300];
		int r;

		if (strcmp(dirent->d_name, ".") == 0 || strcmp(dirent->d_name, "..") == 0)
			continue;
		(*ret_count)++;
		snprintf(named, sizeof(named), "sha256:%s", dirent->d_name);
		if (!digest_is_valid(named)) {
			fprintf(stderr, "imagec: verify: '%s/%s' is not named by a digest\n", path,
				dirent->d_name);
			bad++;
			continue;
		}
		r = gc_hash_file(dirfd(dir), dirent->d_name, digest);
		if (r < 0) {
			fprintf(stderr, "imagec: verify: read blob '%s': %s\n", named,
				strerror(-r));
			bad++;
		} else if (strcmp(digest, named) != 0) {
			fprintf(stderr, "imagec: verify: blob '%s' hashes to '%s'\n", named,
				digest);
			bad++;
		}
	}
	closedir(dir);
	return bad;
}

static int gc_verify_image(struct store *store, const char *digest)
{
	struct image image;
	int bad = 0;
	int r = image_load(store, digest, &image);

	if (r < 0) {
		fprintf(stderr, "imagec: verify: image '%s': %s\n", digest,
			error_message() ? error_message() : strerror(-r));
		error_clear();
		return 1;
	}
	for (size_t i = 0; i < image.layer_count; i++) {
		_cleanup_free_ char *path = NULL;
		char diff_id[DIGEST_STRING_LEN + 1];

		r = store_blob_path(store, image.layers[i].digest, &path);
		if (r >= 0)
			r = layer_diff_id(path, image.layers[i].media_type, diff_id);
		if (r >= 0 && strcmp(diff_id, image.layers[i].diff_id) != 0)
			r = error_set(-EBADMSG, "unpacks to '%s', the config says '%s'", diff_id,
				      image.layers[i].diff_id);
		if (r < 0) {
			fprintf(stderr, "imagec: verify: image '%s' layer '%s': %s\n", digest,
				image.layers[i].digest,
				error_message() ? error_message() : strerror(-r));
			error_clear();
			bad++;
		}
	}
	image_free(&image);
	return bad;
}

int gc_verify(struct store *store)
{
	json_t *seen = json_object();
	json_t *index = NULL;
	json_t *entry;
	int blobs = 0, images = 0, bad;
	size_t i;
	int r = store_index_load(store, &index);

	if (r < 0) {
		json_decref(seen);
		return r;
	}
	bad = gc_verify_blobs(store, &blobs);
	json_array_foreach(json_object_get(index, "manifests"), i, entry)
	{
		const char *digest = json_string_value(json_object_get(entry, "digest")) ?: "";

		/* An image with several tags has several entries: check it once. */
		if (bad < 0 || json_object_get(seen, digest))
			continue;
		json_object_set_new(seen, digest, json_true());
		images++;
		bad += gc_verify_image(store, digest);
	}
	json_decref(index);
	json_decref(seen);
	if (bad < 0)
		return bad;
	if (bad)
		return error_set(-EBADMSG, "%d problems in %d blobs and %d images", bad, blobs,
				 images);
	printf("verified %d blob%s and %d image%s\n", blobs, blobs == 1 ? "" : "s", images,
	       images == 1 ? "" : "s");
	return 0;
}
