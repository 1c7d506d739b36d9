// SPDX-License-Identifier: MIT
#include "import.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"
#include "catalog.h"
#include "error.h"
#include "image.h"
#include "layer.h"

/* Caps on what an archive may hold: a docker-save of a large image stays far below them. */
#define IMPORT_ENTRIES_MAX 100000
#define IMPORT_NAME_MAX 512

/* A file of an archive, extracted to a temporary file in the store while it was hashed. */
struct import_file {
	char *name;
	char *link_target; /* a symlink inside the archive: its target, relative to its dir */
	char *tmp_path;
	char digest[DIGEST_STRING_LEN + 1];
	long long size;
};

/*
 * Where blobs come from: an OCI layout directory (dir set), or an extracted archive (files).
 * what names the source in messages.
 */
struct import_layout {
	const char *what;
	char *dir;
	struct import_file *files;
	size_t file_count;
};

static void import_layout_free(struct import_layout *layout)
{
	for (size_t i = 0; i < layout->file_count; i++) {
		if (layout->files[i].tmp_path)
			unlink(layout->files[i].tmp_path);
		free(layout->files[i].tmp_path);
		free(layout->files[i].name);
		free(layout->files[i].link_target);
	}
	free(layout->files);
	free(layout->dir);
}

static struct import_file *import_find_name(struct import_layout *layout, const char *name,
					    int depth)
{
	for (size_t i = 0; i < layout->file_count; i++) {
		struct import_file *file = &layout->files[i];
		_cleanup_free_ char *resolved = NULL;
		const char *slash;

		if (strcmp(file->name, name) != 0)
			continue;
		if (!file->link_target)
			return file;
		if (depth > 8 || file->link_target[0] == '/')
			return NULL;
		/* docker save links a repeated layer to the first copy: "../ID/layer.tar". */
		slash = strrchr(file->name, '/');
		if (asprintf(&resolved, "%.*s%s", slash ? (int)(slash - file->name + 1) : 0,
			     file->name, file->link_target) < 0)
			return NULL;
		while (strncmp(resolved, "../", 3) == 0 || strstr(resolved, "/../")) {
			char *up = strstr(resolved, "/../");

			if (!up)
				return NULL;
			char *start = up;
			while (start > resolved && start[-1] != '/')
				start--;
			memmove(start, up + 4, strlen(up + 4) + 1);
		}
		return import_find_name(layout, resolved, depth + 1);
	}
	return NULL;
}

static struct import_file *import_find_digest(struct import_layout *layout, const char *digest)
{
	for (size_t i = 0; i < layout->file_count; i++) {
		if (!layout->files[i].link_target && strcmp(layout->files[i].digest, digest) == 0)
			return &layout->files[i];
	}
	return NULL;
}

/* "./a/b" -> "a/b"; names that could leave a directory are refused. */
static int import_clean_name(const char *archive, const char *name, char **ret)
{
	while (strncmp(name, "./", 2) == 0)
		name += 2;
	if (!*name || name[0] == '/' || strcmp(name, "..") == 0 || strncmp(name, "../", 3) == 0 ||
	    strstr(name, "/../") || strlen(name) > IMPORT_NAME_MAX)
		return error_set(-EINVAL, "'%s': refusing entry '%s'", archive, name);
	*ret = strdup(name);
	if (!*ret)
		return -ENOMEM;
	size_t length = strlen(*ret);
	if (length > 0 && (*ret)[length - 1] == '/')
		(*ret)[length - 1] = '\0';
	return 0;
}

static int import_extract_data(struct store *store, struct archive *archive,
			       struct import_layout *layout, struct import_file *file)
{
	_cleanup_close_ int fd = -1;
	struct digest_hasher hasher;
	char buf[65536];
	ssize_t n;
	int r = digest_hasher_init(&hasher);

	if (r < 0)
		return r;
	fd = store_tmp_file(store, "import", &file->tmp_path);
	if (fd < 0) {
		digest_hasher_free(&hasher);
		return fd;
	}
	while ((n = archive_read_data(archive, buf, sizeof(buf))) > 0) {
		r = fileio_write_all(fd, buf, (size_t)n);
		if (r < 0)
			break;
		digest_hasher_update(&hasher, buf, (size_t)n);
	}
	if (n < 0)
		r = error_set(-EBADMSG, "'%s': entry '%s': %s", layout->what, file->name,
			      archive_error_string(archive));
	file->size = (long long)hasher.size;
	digest_hasher_final(&hasher, file->digest);
	return r;
}

/* Extract every regular file of the archive to a temporary file, hashing it on the way. */
static int import_extract(struct store *store, const char *path, struct import_layout *layout)
{
	struct archive *archive = archive_read_new();
	struct archive_entry *entry;
	int r = 0, status;

	archive_read_support_filter_all(archive);
	archive_read_support_format_tar(archive);
	if (archive_read_open_filename(archive, path, 65536) != ARCHIVE_OK) {
		r = error_set(-ENOENT, "open '%s': %s", path, archive_error_string(archive));
		goto out;
	}
	while ((status = archive_read_next_header(archive, &entry)) == ARCHIVE_OK ||
	       status == ARCHIVE_WARN) {
		mode_t type = archive_entry_filetype(entry);
		struct import_file *file;

		if (type == AE_IFDIR)
			continue;
		if (type != AE_IFREG && type != AE_IFLNK) {
			r = error_set(-EINVAL, "'%s': entry '%s' is not a file", path,
				      archive_entry_pathname(entry));
			goto out;
		}
		if (layout->file_count == IMPORT_ENTRIES_MAX) {
			r = error_set(-E2BIG, "'%s' has more than %d entries", path,
				      IMPORT_ENTRIES_MAX);
			goto out;
		}
		file = &layout->files[layout->file_count];
		*file = (struct import_file){ 0 };
		layout->file_count++;
		r = import_clean_name(path, archive_entry_pathname(entry), &file->name);
		if (r < 0)
			goto out;
		if (type == AE_IFLNK) {
			file->link_target = strdup(archive_entry_symlink(entry) ?: "");
			r = file->link_target ? 0 : -ENOMEM;
		} else {
			r = import_extract_data(store, archive, layout, file);
		}
		if (r < 0)
			goto out;
	}
	if (status != ARCHIVE_EOF)
		r = error_set(-EBADMSG, "read '%s': %s", path, archive_error_string(archive));
out:
	archive_read_free(archive);
	return r;
}

static int import_open_archive(struct store *store, const char *path, const char *what,
			       struct import_layout *layout)
{
	*layout = (struct import_layout){ .what = what };
	layout->files = calloc(IMPORT_ENTRIES_MAX, sizeof(*layout->files));
	if (!layout->files)
		return -ENOMEM;
	return import_extract(store, path, layout);
}

/* Read a JSON blob of the layout, checking that its bytes hash to digest. */
static int import_read_blob(struct import_layout *layout, const char *digest, char **ret,
			    size_t *ret_size)
{
	_cleanup_free_ char *path = NULL;
	char actual[DIGEST_STRING_LEN + 1];
	int r;

	if (!digest_is_valid(digest))
		return error_set(-EINVAL, "%s: '%s' is not a sha256 digest", layout->what, digest);
	if (layout->dir) {
		if (asprintf(&path, "%s/blobs/sha256/%s", layout->dir, digest_hex(digest)) < 0)
			return -ENOMEM;
	} else {
		struct import_file *file = import_find_digest(layout, digest);

		if (!file)
			return error_set(-ENOENT, "%s: no blob '%s'", layout->what, digest);
		path = strdup(file->tmp_path);
		if (!path)
			return -ENOMEM;
	}
	r = fileio_read(path, STORE_JSON_MAX, ret, ret_size);
	if (r < 0)
		return error_set(r, "%s: blob '%s': %s", layout->what, digest, strerror(-r));
	r = digest_of_buffer(*ret, *ret_size, actual);
	if (r >= 0 && strcmp(actual, digest) != 0)
		r = error_set(-EBADMSG, "%s: blob '%s' hashes to '%s'", layout->what, digest,
			      actual);
	if (r < 0) {
		free(*ret);
		*ret = NULL;
	}
	return r;
}

static int import_copy_blob(struct store *store, struct import_layout *layout, const char *digest,
			    long long size)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	struct store_blob_writer writer;
	char buf[65536];
	ssize_t n;
	int r;

	if (asprintf(&path, "%s/blobs/sha256/%s", layout->dir, digest_hex(digest)) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(negative_errno(), "%s: blob '%s': %s", layout->what, digest,
				 strerror(errno));
	r = store_blob_begin(store, &writer);
	if (r < 0)
		return r;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		r = store_blob_write(&writer, buf, (size_t)n);
		if (r < 0) {
			store_blob_abort(&writer);
			return r;
		}
	}
	if (n < 0) {
		r = error_set(negative_errno(), "read '%s': %s", path, strerror(errno));
		store_blob_abort(&writer);
		return r;
	}
	r = store_blob_commit(&writer, digest, size, NULL);
	if (r < 0)
		return error_set(r, "%s: %s", layout->what, error_message());
	return 0;
}

/* Put the blob digest of the layout into the store, verified, unless the store has it. */
static int import_store_blob(struct store *store, struct import_layout *layout, const char *digest,
			     long long size)
{
	_cleanup_close_ int lock = -1;
	_cleanup_free_ char *path = NULL;
	struct import_file *file;
	int r = store_blob_path(store, digest, &path);

	if (r < 0)
		return r;
	lock = store_lock_key(store, digest_hex(digest));
	if (lock < 0)
		return lock;
	if (access(path, F_OK) == 0)
		return 0;
	if (layout->dir)
		return import_copy_blob(store, layout, digest, size);

	/* Extracted files were hashed as they were written: check the size and adopt them. */
	file = import_find_digest(layout, digest);
	if (!file)
		return error_set(-ENOENT, "%s: no blob '%s'", layout->what, digest);
	if (size >= 0 && file->size != size)
		return error_set(-EBADMSG, "%s: blob '%s' is %lld bytes, its descriptor says %lld",
				 layout->what, digest, file->size, size);
	r = store_publish(file->tmp_path, path);
	if (r < 0)
		return r;
	free(file->tmp_path);
	file->tmp_path = NULL;
	return 0;
}

int import_finish(struct store *store, const struct image *image, const char *tag, const char *host)
{
	for (size_t i = 0; i < image->layer_count; i++) {
		const struct image_layer *layer = &image->layers[i];
		_cleanup_free_ char *path = NULL;
		char diff_id[DIGEST_STRING_LEN + 1];
		int r = store_blob_path(store, layer->digest, &path);

		if (r >= 0)
			r = layer_diff_id(path, layer->media_type, diff_id);
		if (r < 0)
			return error_set(r, "layer '%s': %s", layer->digest, error_message());
		if (strcmp(diff_id, layer->diff_id) != 0)
			return error_set(-EBADMSG,
					 "layer '%s' unpacks to diffID '%s', the config says '%s'",
					 layer->digest, diff_id, layer->diff_id);
	}
	return catalog_add(store, image->manifest_digest, image->manifest_size,
			   image->manifest_media_type, tag, host);
}

/* Store an image whose manifest bytes are known; every blob comes from the layout. */
static int import_image(struct store *store, struct import_layout *layout, const char *manifest,
			size_t manifest_size, const char *digest, const char *tag, const char *host)
{
	_cleanup_free_ char *config = NULL;
	struct image image = { 0 };
	char stored[DIGEST_STRING_LEN + 1];
	size_t config_size;
	int r;

	r = image_parse_manifest(manifest, manifest_size, digest, NULL, &image);
	if (r >= 0)
		r = import_read_blob(layout, image.config_digest, &config, &config_size);
	if (r >= 0 && (long long)config_size != image.config_size)
		r = error_set(-EBADMSG, "%s: config '%s' is %zu bytes, the manifest says %lld",
			      layout->what, image.config_digest, config_size, image.config_size);
	if (r >= 0)
		r = image_parse_config(config, config_size, &image);
	for (size_t i = 0; r >= 0 && i < image.layer_count; i++)
		r = import_store_blob(store, layout, image.layers[i].digest, image.layers[i].size);
	if (r >= 0)
		r = store_blob_put(store, config, config_size, stored);
	if (r >= 0)
		r = store_blob_put(store, manifest, manifest_size, stored);
	if (r >= 0)
		r = import_finish(store, &image, tag, host);
	image_free(&image);
	return r;
}

/* Two names of one tag, as written or once parsed ("busybox:1", "docker.io/library/busybox:1"). */
static bool import_same_tag(const char *a, const char *b)
{
	_cleanup_free_ char *full_a = NULL, *full_b = NULL;
	bool same;

	if (!a || !b)
		return false;
	if (strcmp(a, b) == 0)
		return true;
	same = catalog_tag_name(a, &full_a) >= 0 && catalog_tag_name(b, &full_b) >= 0 &&
	       strcmp(full_a, full_b) == 0;
	error_clear();
	return same;
}

/* The manifest descriptor of index.json that tag names (or the only one when tag is NULL). */
static int import_choose(struct import_layout *layout, json_t *index, const char *tag, json_t **ret)
{
	json_t *manifests = json_object_get(index, "manifests");
	json_t *found = NULL;
	json_t *entry;
	size_t i;

	if (!json_is_array(manifests) || json_array_size(manifests) == 0)
		return error_set(-ENOENT, "%s: index.json lists no images", layout->what);
	json_array_foreach(manifests, i, entry)
	{
		const char *name = json_string_value(
			json_object_get(json_object_get(entry, "annotations"), CATALOG_REF_NAME));

		if (!tag || import_same_tag(name, tag)) {
			if (found)
				return error_set(-EINVAL,
						 "%s holds several images: name one with :TAG",
						 layout->what);
			found = entry;
		}
	}
	if (!found)
		return error_set(-ENOENT, "%s: no image tagged '%s'", layout->what, tag);
	*ret = found;
	return 0;
}

/*
 * Import from an OCI layout: index.json, then the manifest (through an index if need be). A
 * descriptor lives in the document above it: what is needed of it is read before that goes.
 */
static int import_layout_image(struct store *store, struct import_layout *layout, json_t *index,
			       const char *source_tag, const char *tag, const char *host,
			       const struct platform *platform, char *ret_digest)
{
	_cleanup_free_ char *manifest = NULL;
	char digest[DIGEST_STRING_LEN + 1];
	json_t *descriptor = NULL;
	json_t *parsed = NULL;
	size_t size = 0;
	int r = import_choose(layout, index, source_tag, &descriptor);

	for (int depth = 0; r >= 0; depth++) {
		const char *named = json_string_value(json_object_get(descriptor, "digest"));
		const char *media_type;
		json_t *document;
		bool is_manifest;

		if (!digest_is_valid(named)) {
			r = error_set(-EINVAL, "%s: descriptor digest '%s' is not sha256",
				      layout->what, named ? named : "");
			break;
		}
		memcpy(digest, named, sizeof(digest));
		free(manifest);
		manifest = NULL;
		r = import_read_blob(layout, digest, &manifest, &size);
		if (r >= 0)
			r = image_json_parse(manifest, size, "manifest", &document);
		if (r < 0)
			break;
		r = image_manifest_type(document,
					json_string_value(json_object_get(descriptor, "mediaType")),
					&media_type);
		is_manifest = r >= 0 && image_is_manifest_type(media_type);
		json_decref(parsed);
		parsed = document;
		if (r < 0 || is_manifest)
			break;
		if (depth == 2) {
			r = error_set(-ELOOP, "%s: indexes nested too deep", layout->what);
			break;
		}
		r = image_index_choose(parsed, platform, &descriptor);
	}
	json_decref(parsed);
	if (r < 0)
		return r;
	memcpy(ret_digest, digest, DIGEST_STRING_LEN + 1);
	return import_image(store, layout, manifest, size, digest, tag, host);
}

static int import_read_json_file(struct import_layout *layout, const char *name, json_t **ret)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	struct import_file *file;
	char what[600];
	size_t size;
	int r;

	snprintf(what, sizeof(what), "%s: %s", layout->what, name);
	if (layout->dir) {
		if (asprintf(&path, "%s/%s", layout->dir, name) < 0)
			return -ENOMEM;
	} else {
		file = import_find_name(layout, name, 0);
		if (!file) {
			*ret = NULL;
			return 0;
		}
		path = strdup(file->tmp_path);
		if (!path)
			return -ENOMEM;
	}
	r = fileio_read(path, STORE_JSON_MAX, &text, &size);
	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	if (r < 0)
		return error_set(r, "%s: %s", what, strerror(-r));
	if (name[0] == 'm') {
		/* manifest.json is an array: parse it wrapped. */
		json_error_t json_error;
		json_t *array = json_loadb(text, size, JSON_REJECT_DUPLICATES, &json_error);

		if (!json_is_array(array)) {
			json_decref(array);
			return error_set(-EBADMSG, "%s: not a JSON array", what);
		}
		*ret = array;
		return 0;
	}
	return image_json_parse(text, size, what, ret);
}

/* The name an image is tagged with: --tag, else a full NAME:TAG the source gave, else none. */
static int import_tag_name(const char *tag, const char *source_name, char **ret)
{
	*ret = NULL;
	if (tag)
		return catalog_tag_name(tag, ret);
	if (source_name && (strchr(source_name, '/') || strchr(source_name, ':'))) {
		if (catalog_tag_name(source_name, ret) < 0)
			error_clear();
	}
	return 0;
}

/* A legacy docker-save archive: manifest.json names a config file and layer tars. */
static int import_docker_legacy(struct store *store, struct import_layout *layout, json_t *entry,
				const char *tag, const char *host, char *ret_digest)
{
	const char *config_name = json_string_value(json_object_get(entry, "Config"));
	json_t *layer_names = json_object_get(entry, "Layers");
	struct import_file *config = config_name ? import_find_name(layout, config_name, 0) : NULL;
	_cleanup_free_ char *manifest_text = NULL;
	json_t *layers = json_array();
	json_t *manifest;
	json_t *name;
	size_t i;
	int r = 0;

	if (!config || !json_is_array(layer_names))
		r = error_set(-EBADMSG, "%s: manifest.json names no config file or layers",
			      layout->what);
	json_array_foreach(layer_names, i, name)
	{
		struct import_file *file;

		if (r < 0)
			break;
		file = json_is_string(name) ? import_find_name(layout, json_string_value(name), 0)
					    : NULL;
		if (!file) {
			r = error_set(-ENOENT, "%s: layer %zu '%s' is not in the archive",
				      layout->what, i, json_string_value(name) ?: "?");
			break;
		}
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:I}", "mediaType",
						layer_media_type_of(file->tmp_path), "digest",
						file->digest, "size", (json_int_t)file->size));
	}
	if (r < 0) {
		json_decref(layers);
		return r;
	}
	manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
			     MEDIA_OCI_MANIFEST, "config", "mediaType", MEDIA_OCI_CONFIG, "digest",
			     config->digest, "size", (json_int_t)config->size, "layers", layers);
	manifest_text = json_dumps(manifest, JSON_COMPACT);
	json_decref(manifest);
	if (!manifest_text)
		return -ENOMEM;
	r = digest_of_buffer(manifest_text, strlen(manifest_text), ret_digest);
	if (r < 0)
		return r;
	return import_image(store, layout, manifest_text, strlen(manifest_text), ret_digest, tag,
			    host);
}

static int import_docker_archive(struct store *store, struct import_layout *layout,
				 const char *source_tag, const char *tag, const char *host,
				 const struct platform *platform, char *ret_digest)
{
	_cleanup_free_ char *name = NULL;
	json_t *manifest = NULL;
	json_t *index = NULL;
	json_t *entry = NULL;
	json_t *found = NULL;
	const char *found_name = NULL;
	size_t i;
	int r = import_read_json_file(layout, "manifest.json", &manifest);

	if (r >= 0)
		r = import_read_json_file(layout, "index.json", &index);
	if (r >= 0 && !manifest)
		r = error_set(-EBADMSG, "%s: no manifest.json: not a docker save archive",
			      layout->what);
	json_array_foreach(manifest, i, entry)
	{
		json_t *repo_tags = json_object_get(entry, "RepoTags");
		json_t *repo_tag;
		size_t j;

		if (r < 0 || found)
			break;
		if (!source_tag) {
			if (json_array_size(manifest) > 1)
				r = error_set(-EINVAL,
					      "%s holds several images: name one with :NAME:TAG",
					      layout->what);
			found = entry;
			found_name = json_string_value(json_array_get(repo_tags, 0));
		}
		json_array_foreach(repo_tags, j, repo_tag)
		{
			if (source_tag && !found &&
			    import_same_tag(json_string_value(repo_tag), source_tag)) {
				found = entry;
				found_name = json_string_value(repo_tag);
			}
		}
	}
	if (r >= 0 && !found)
		r = error_set(-ENOENT, "%s: no image '%s'", layout->what,
			      source_tag ? source_tag : "");
	/* Tagged as the RepoTag asked for, else the first. */
	if (r >= 0)
		r = import_tag_name(tag, found_name, &name);
	/* Docker 25 and later: an OCI layout inside, whose manifest digest we keep. */
	if (r >= 0 && index) {
		const char *config_name = json_string_value(json_object_get(found, "Config"));

		if (config_name && strncmp(config_name, "blobs/sha256/", 13) == 0) {
			json_t *manifests = json_object_get(index, "manifests");
			json_t *descriptor;
			json_t *only = json_array();
			size_t k;

			/* Pick the index entry whose manifest names this config. */
			json_array_foreach(manifests, k, descriptor)
			{
				_cleanup_free_ char *text = NULL;
				const char *d =
					json_string_value(json_object_get(descriptor, "digest"));
				size_t size;
				json_t *parsed = NULL;

				if (!d || import_read_blob(layout, d, &text, &size) < 0) {
					error_clear();
					continue;
				}
				if (image_json_parse(text, size, "manifest", &parsed) >= 0) {
					const char *c = json_string_value(json_object_get(
						json_object_get(parsed, "config"), "digest"));

					if (digest_is_valid(c) &&
					    strcmp(digest_hex(c), config_name + 13) == 0)
						json_array_append(only, descriptor);
				}
				error_clear();
				json_decref(parsed);
			}
			json_t *sub = json_pack("{s:o}", "manifests", only);

			if (json_array_size(only) == 1)
				r = import_layout_image(store, layout, sub, NULL, name, host,
							platform, ret_digest);
			else
				r = import_docker_legacy(store, layout, found, name, host,
							 ret_digest);
			json_decref(sub);
			json_decref(manifest);
			json_decref(index);
			return r;
		}
	}
	if (r >= 0)
		r = import_docker_legacy(store, layout, found, name, host, ret_digest);
	json_decref(manifest);
	json_decref(index);
	return r;
}

/*
 * Split "PATH[:TAG]" as skopeo does for oci: and docker-archive: (where the tag itself is
 * NAME:TAG): PATH is the whole text when that exists, else the text up to the first colon at
 * which an existing path ends. When none exists, PATH is the whole text, for the error.
 */
static int import_split(const char *text, char **ret_path, char **ret_tag)
{
	const char *colon = strchr(text, ':');

	*ret_tag = NULL;
	while (colon && access(text, F_OK) != 0) {
		_cleanup_free_ char *path = strndup(text, (size_t)(colon - text));

		if (!path)
			return -ENOMEM;
		if (access(path, F_OK) == 0) {
			*ret_path = take_ptr(path);
			*ret_tag = strdup(colon + 1);
			return *ret_tag ? 0 : -ENOMEM;
		}
		colon = strchr(colon + 1, ':');
	}
	*ret_path = strdup(text);
	return *ret_path ? 0 : -ENOMEM;
}

int import_source(struct store *store, const char *source, const char *tag, const char *host,
		  const struct platform *platform, char *ret_digest)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *source_tag = NULL;
	_cleanup_free_ char *name = NULL;
	struct import_layout layout = { .what = source };
	json_t *index = NULL;
	int r;

	if (strncmp(source, "oci:", 4) == 0) {
		r = import_split(source + 4, &path, &source_tag);
		if (r < 0)
			return r;
		layout.dir = strdup(path);
		if (!layout.dir)
			return -ENOMEM;
		r = import_read_json_file(&layout, "index.json", &index);
		if (r >= 0 && !index)
			r = error_set(-ENOENT, "%s: no index.json: not an OCI layout", source);
	} else if (strncmp(source, "oci-archive:", 12) == 0) {
		r = import_split(source + 12, &path, &source_tag);
		if (r >= 0)
			r = import_open_archive(store, path, source, &layout);
		if (r >= 0)
			r = import_read_json_file(&layout, "index.json", &index);
		if (r >= 0 && !index)
			r = error_set(-ENOENT, "%s: no index.json: not an OCI layout", source);
	} else if (strncmp(source, "docker-archive:", 15) == 0) {
		r = import_split(source + 15, &path, &source_tag);
		if (r >= 0)
			r = import_open_archive(store, path, source, &layout);
		if (r >= 0)
			r = import_docker_archive(store, &layout, source_tag, tag, host, platform,
						  ret_digest);
		import_layout_free(&layout);
		return r;
	} else {
		return error_set(-EINVAL,
				 "source '%s': want oci:DIR[:TAG], oci-archive:FILE[:TAG] or "
				 "docker-archive:FILE",
				 source);
	}
	if (r >= 0)
		r = import_tag_name(tag, source_tag, &name);
	if (r >= 0)
		r = import_layout_image(store, &layout, index, source_tag, name, host, platform,
					ret_digest);
	json_decref(index);
	import_layout_free(&layout);
	return r;
}
