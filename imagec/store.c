// SPDX-License-Identifier: MIT
#include "store.h"
#include "catalog.h"
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"
#include "error.h"

static const char *const store_dirs[] = { "blobs",	"blobs/sha256", "disks", "disks/layer",
					  "disks/flat", "hosts",	"tmp" };

char *store_path(const char *dir)
{
	const char *env = getenv("TETHER_STORE");
	const char *data = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *path = NULL;

	if (dir && *dir)
		return strdup(dir);
	if (env && *env)
		return strdup(env);
	if (data && *data) {
		if (asprintf(&path, "%s/tether/store", data) < 0)
			return NULL;
		return path;
	}
	if (asprintf(&path, "%s/.local/share/tether/store", home && *home ? home : "/root") < 0)
		return NULL;
	return path;
}

static int store_mkdir_p(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);

	if (!copy)
		return -ENOMEM;
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		*p = '/';
	}
	if (mkdir(copy, 0755) < 0 && errno != EEXIST)
		return negative_errno();
	return 0;
}

static int store_write_new(const struct store *store, const char *name, const char *text)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *tmp_path = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&path, "%s/%s", store->root, name) < 0)
		return -ENOMEM;
	if (access(path, F_OK) == 0)
		return 0;
	fd = store_tmp_file(store, "layout", &tmp_path);
	if (fd < 0)
		return fd;
	r = fileio_write_all(fd, text, strlen(text));
	if (r >= 0 && fsync(fd) < 0)
		r = negative_errno();
	/* Two processes creating one store: the first link wins, the second keeps it. */
	if (r >= 0 && link(tmp_path, path) < 0 && errno != EEXIST)
		r = negative_errno();
	unlink(tmp_path);
	return r;
}

int store_open(const char *root, bool exclusive, struct store *ret)
{
	_cleanup_free_ char *lock_path = NULL;
	struct store store = { .root = strdup(root), .gc_lock_fd = -1 };
	int r;

	if (!store.root)
		return -ENOMEM;
	r = store_mkdir_p(root);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(store_dirs); i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/%s", root, store_dirs[i]) < 0)
			r = -ENOMEM;
		else if (mkdir(path, 0755) < 0 && errno != EEXIST)
			r = negative_errno();
	}
	if (r < 0)
		goto fail;
	/* Paths printed (disks) and recorded must not depend on the working directory. */
	free(store.root);
	store.root = realpath(root, NULL);
	if (!store.root) {
		r = negative_errno();
		goto fail;
	}
	r = store_write_new(&store, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}\n");
	if (r >= 0)
		r = store_write_new(&store, "index.json",
				    "{\"schemaVersion\":2,\"manifests\":[]}\n");
	if (r < 0)
		goto fail;

	if (asprintf(&lock_path, "%s/tmp/gc.lock", root) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	store.gc_lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (store.gc_lock_fd < 0 || flock(store.gc_lock_fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		r = negative_errno();
		goto fail;
	}
	*ret = store;
	return 0;
fail:
	store_close(&store);
	return error_message() ? r : error_set(r, "store '%s': %s", root, strerror(-r));
}

void store_close(struct store *store)
{
	if (store->gc_lock_fd >= 0)
		close(store->gc_lock_fd);
	store->gc_lock_fd = -1;
	free(store->root);
	store->root = NULL;
}

int store_blob_path(const struct store *store, const char *digest, char **ret_path)
{
	if (!digest_is_valid(digest))
		return error_set(-EINVAL,
				 "'%s' is not a sha256 digest (sha256: and 64 lowercase hex)",
				 digest ? digest : "(none)");
	if (asprintf(ret_path, "%s/blobs/sha256/%s", store->root, digest_hex(digest)) < 0)
		return -ENOMEM;
	return 0;
}

bool store_blob_exists(const struct store *store, const char *digest)
{
	_cleanup_free_ char *path = NULL;

	if (store_blob_path(store, digest, &path) < 0) {
		error_clear();
		return false;
	}
	return access(path, F_OK) == 0;
}

int store_tmp_file(const struct store *store, const char *prefix, char **ret_path)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	if (asprintf(&path, "%s/tmp/%s-XXXXXX", store->root, prefix) < 0)
		return -ENOMEM;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return error_set(negative_errno(), "temporary file in '%s/tmp': %s", store->root,
				 strerror(errno));
	fchmod(fd, 0644);
	*ret_path = take_ptr(path);
	return fd;
}

int store_blob_begin(struct store *store, struct store_blob_writer *writer)
{
	int r;

	*writer = (struct store_blob_writer){ .store = store, .fd = -1 };
	r = digest_hasher_init(&writer->hasher);
	if (r < 0)
		return r;
	writer->fd = store_tmp_file(store, "blob", &writer->tmp_path);
	if (writer->fd < 0) {
		r = writer->fd;
		store_blob_abort(writer);
		return r;
	}
	return 0;
}

int store_blob_write(struct store_blob_writer *writer, const void *buf, size_t size)
{
	int r = fileio_write_all(writer->fd, buf, size);

	if (r < 0)
		return error_set(r, "write '%s': %s", writer->tmp_path, strerror(-r));
	digest_hasher_update(&writer->hasher, buf, size);
	return 0;
}

void store_blob_abort(struct store_blob_writer *writer)
{
	if (writer->fd >= 0)
		close(writer->fd);
	writer->fd = -1;
	if (writer->tmp_path)
		unlink(writer->tmp_path);
	free(writer->tmp_path);
	writer->tmp_path = NULL;
	if (writer->hasher.ctx)
		digest_hasher_free(&writer->hasher);
}

static int store_sync_dir(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int fd = -1;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return negative_errno();
	return 0;
}

int store_publish(const char *tmp_path, const char *path)
{
	_cleanup_close_ int fd = open(tmp_path, O_RDONLY | O_CLOEXEC);

	/* The data reaches the disk before its name does: a crash leaves no short file there. */
	if (fd < 0 || fsync(fd) < 0)
		return error_set(negative_errno(), "fsync '%s': %s", tmp_path, strerror(errno));
	if (rename(tmp_path, path) < 0)
		return error_set(negative_errno(), "rename '%s' to '%s': %s", tmp_path, path,
				 strerror(errno));
	return store_sync_dir(path);
}

int store_blob_commit(struct store_blob_writer *writer, const char *expected_digest,
		      long long expected_size, char *ret_digest)
{
	char digest[DIGEST_STRING_LEN + 1];
	unsigned long long size = writer->hasher.size;
	_cleanup_free_ char *path = NULL;
	int r = 0;

	digest_hasher_final(&writer->hasher, digest);
	if (expected_digest && strcmp(digest, expected_digest) != 0)
		r = error_set(-EBADMSG, "content of '%s' hashes to '%s'", expected_digest, digest);
	else if (expected_size >= 0 && size != (unsigned long long)expected_size)
		r = error_set(-EBADMSG, "blob '%s' is %llu bytes, its descriptor says %lld", digest,
			      size, expected_size);
	if (r >= 0)
		r = store_blob_path(writer->store, digest, &path);
	if (r >= 0)
		r = store_publish(writer->tmp_path, path);
	if (r >= 0 && ret_digest)
		memcpy(ret_digest, digest, sizeof(digest));
	store_blob_abort(writer);
	return r;
}

int store_blob_put(struct store *store, const void *buf, size_t size, char *ret_digest)
{
	struct store_blob_writer writer;
	int r = store_blob_begin(store, &writer);

	if (r < 0)
		return r;
	r = store_blob_write(&writer, buf, size);
	if (r < 0) {
		store_blob_abort(&writer);
		return r;
	}
	return store_blob_commit(&writer, NULL, -1, ret_digest);
}

int store_blob_read(const struct store *store, const char *digest, size_t max, char **ret_buf,
		    size_t *ret_size)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *buf = NULL;
	char actual[DIGEST_STRING_LEN + 1];
	size_t size;
	int r = store_blob_path(store, digest, &path);

	if (r < 0)
		return r;
	r = fileio_read(path, max, &buf, &size);
	if (r == -EFBIG)
		return error_set(r, "blob '%s' is larger than %zu bytes", digest, max);
	if (r < 0)
		return error_set(r, "blob '%s': %s", digest, strerror(-r));
	r = digest_of_buffer(buf, size, actual);
	if (r < 0)
		return r;
	if (strcmp(actual, digest) != 0)
		return error_set(-EBADMSG, "blob '%s' in the store hashes to '%s'", digest, actual);
	*ret_buf = take_ptr(buf);
	if (ret_size)
		*ret_size = size;
	return 0;
}

int store_blob_check(const struct store *store, const char *digest, long long size)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	char actual[DIGEST_STRING_LEN + 1];
	unsigned long long have;
	int r = store_blob_path(store, digest, &path);

	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(negative_errno(), "blob '%s': %s", digest, strerror(errno));
	r = digest_of_fd(fd, actual, &have);
	if (r < 0)
		return error_set(r, "read '%s': %s", path, strerror(-r));
	if (strcmp(actual, digest) != 0)
		return error_set(-EBADMSG, "blob '%s' in the store hashes to '%s'", digest, actual);
	if (size >= 0 && have != (unsigned long long)size)
		return error_set(-EBADMSG,
				 "blob '%s' in the store is %llu bytes, its descriptor says %lld",
				 digest, have, size);
	return 0;
}

static int store_lock_file(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return error_set(negative_errno(), "lock '%s': %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return error_set(negative_errno(), "lock '%s': %s", path, strerror(errno));
	}
	return take_fd(fd);
}

int store_lock_key(const struct store *store, const char *key)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/tmp/%s.lock", store->root, key) < 0)
		return -ENOMEM;
	return store_lock_file(path);
}

int store_index_lock(const struct store *store)
{
	return store_lock_key(store, "index");
}

int store_json_load(const char *path, json_t **ret)
{
	_cleanup_free_ char *text = NULL;
	json_error_t json_error;
	size_t size;
	json_t *json;
	int r = fileio_read(path, STORE_JSON_MAX, &text, &size);

	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	if (r < 0)
		return error_set(r, "read '%s': %s", path, strerror(-r));
	json = json_loadb(text, size, JSON_REJECT_DUPLICATES, &json_error);
	if (!json || !json_is_object(json)) {
		json_decref(json);
		return error_set(-EBADMSG, "'%s' line %d: %s", path, json_error.line,
				 json ? "not a JSON object" : json_error.text);
	}
	*ret = json;
	return 0;
}

/*
 * Every entry of index.json is a descriptor the catalog can read: an object with a media type,
 * a sha256 digest and a size. One that is not (hand-edited, another tool's) stops every command
 * with where it is, rather than being half read.
 */
static int store_index_check(json_t *manifests, const char *path)
{
	json_t *entry;
	size_t i;

	json_array_foreach(manifests, i, entry)
	{
		json_t *annotations = json_object_get(entry, "annotations");
		json_t *name = json_object_get(annotations, CATALOG_REF_NAME);
		const char *what = NULL;

		if (!json_is_object(entry))
			what = "is not an object";
		else if (!digest_is_valid(json_string_value(json_object_get(entry, "digest"))))
			what = "has no sha256 \"digest\"";
		else if (!json_is_string(json_object_get(entry, "mediaType")))
			what = "has no \"mediaType\" string";
		else if (!json_is_integer(json_object_get(entry, "size")))
			what = "has no \"size\" number";
		else if (annotations &&
			 (!json_is_object(annotations) || (name && !json_is_string(name))))
			what = "has annotations that are not strings";
		if (what)
			return error_set(-EBADMSG, "'%s': manifests[%zu] %s", path, i, what);
	}
	return 0;
}

int store_index_load(const struct store *store, json_t **ret_index)
{
	_cleanup_free_ char *path = NULL;
	json_t *index = NULL;
	int r;

	if (asprintf(&path, "%s/index.json", store->root) < 0)
		return -ENOMEM;
	r = store_json_load(path, &index);
	if (r < 0)
		return r;
	if (!index || !json_is_array(json_object_get(index, "manifests"))) {
		json_decref(index);
		return error_set(-EBADMSG, "'%s' has no manifests array", path);
	}
	r = store_index_check(json_object_get(index, "manifests"), path);
	if (r < 0) {
		json_decref(index);
		return r;
	}
	*ret_index = index;
	return 0;
}

int store_json_save(const struct store *store, const char *path, json_t *json)
{
	_cleanup_free_ char *tmp_path = NULL;
	_cleanup_free_ char *text = json_dumps(json, JSON_INDENT(2));
	_cleanup_close_ int fd = -1;
	int r;

	if (!text)
		return -ENOMEM;
	fd = store_tmp_file(store, "json", &tmp_path);
	if (fd < 0)
		return fd;
	r = fileio_write_all(fd, text, strlen(text));
	if (r >= 0)
		r = fileio_write_all(fd, "\n", 1);
	if (r >= 0)
		r = store_publish(tmp_path, path);
	if (r < 0) {
		unlink(tmp_path);
		return error_message() ? r : error_set(r, "write '%s': %s", path, strerror(-r));
	}
	return 0;
}

int store_index_save(const struct store *store, json_t *index)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/index.json", store->root) < 0)
		return -ENOMEM;
	return store_json_save(store, path, index);
}
