// SPDX-License-Identifier: MIT
#include "catalog.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/cleanup.h"
#include "error.h"
#include "ref.h"

#define CATALOG_ID_PREFIX_MIN 4

int catalog_tag_name(const char *text, char **ret_name)
{
	struct ref ref;
	int r = ref_parse(text, &ref);

	if (r < 0)
		return r;
	if (ref.digest) {
		ref_free(&ref);
		return error_set(-EINVAL, "tag '%s': a tag cannot hold a digest", text);
	}
	*ret_name = ref_tag_name(&ref);
	ref_free(&ref);
	return *ret_name ? 0 : -ENOMEM;
}

int catalog_check_host(const char *host)
{
	size_t length = strlen(host);

	if (length == 0 || length > 64 || host[0] == '.' ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		    length)
		return error_set(-EINVAL, "host name '%s': want letters, digits, '.', '_', '-'",
				 host);
	return 0;
}

static int catalog_host_path(const struct store *store, const char *host, bool create,
			     char **ret_path)
{
	_cleanup_free_ char *dir = NULL;
	int r = catalog_check_host(host);

	if (r < 0)
		return r;
	if (asprintf(&dir, "%s/hosts/%s", store->root, host) < 0)
		return -ENOMEM;
	if (create && mkdir(dir, 0755) < 0 && errno != EEXIST)
		return error_set(negative_errno(), "create '%s': %s", dir, strerror(errno));
	if (asprintf(ret_path, "%s/tags.json", dir) < 0)
		return -ENOMEM;
	return 0;
}

/* The host's tags object {"NAME:TAG": "sha256:..."}, empty when the host has none yet. */
static int catalog_host_tags(const struct store *store, const char *host, json_t **ret_tags,
			     char **ret_path)
{
	_cleanup_free_ char *path = NULL;
	json_t *file = NULL;
	json_t *tags;
	int r = catalog_host_path(store, host, ret_path != NULL, &path);

	if (r >= 0)
		r = store_json_load(path, &file);
	if (r < 0)
		return r;
	tags = file ? json_object_get(file, "tags") : NULL;
	if (file && !json_is_object(tags)) {
		json_decref(file);
		return error_set(-EBADMSG, "'%s' has no tags object", path);
	}
	*ret_tags = tags ? json_incref(tags) : json_object();
	json_decref(file);
	if (ret_path)
		*ret_path = take_ptr(path);
	return 0;
}

static int catalog_host_tags_save(const struct store *store, const char *path, json_t *tags)
{
	json_t *file = json_pack("{s:O}", "tags", tags);
	int r = file ? store_json_save(store, path, file) : -ENOMEM;

	json_decref(file);
	return r;
}

static const char *catalog_entry_name(json_t *entry)
{
	return json_string_value(
		json_object_get(json_object_get(entry, "annotations"), CATALOG_REF_NAME));
}

static const char *catalog_entry_digest(json_t *entry)
{
	return json_string_value(json_object_get(entry, "digest"));
}

/* Drop the entry tagged name; keep its image by an untagged entry if it was its last. */
static void catalog_index_untag(json_t *manifests, const char *name)
{
	json_t *entry;
	size_t i;

	json_array_foreach(manifests, i, entry)
	{
		const char *entry_name = catalog_entry_name(entry);
		bool last = true;
		json_t *other;
		size_t j;

		if (!entry_name || strcmp(entry_name, name) != 0)
			continue;
		json_array_foreach(manifests, j, other)
		{
			if (j != i &&
			    strcmp(catalog_entry_digest(other), catalog_entry_digest(entry)) == 0)
				last = false;
		}
		if (last)
			json_object_del(entry, "annotations");
		else
			json_array_remove(manifests, i);
		return;
	}
}

static void catalog_index_add(json_t *manifests, const char *digest, long long size,
			      const char *media_type, const char *name)
{
	json_t *entry;
	size_t i;

	if (name)
		catalog_index_untag(manifests, name);
	json_array_foreach(manifests, i, entry)
	{
		if (strcmp(catalog_entry_digest(entry), digest) != 0)
			continue;
		if (!name)
			return;
		/* Reuse the untagged entry of this image for its first tag. */
		if (!catalog_entry_name(entry)) {
			json_object_set_new(entry, "annotations",
					    json_pack("{s:s}", CATALOG_REF_NAME, name));
			return;
		}
	}
	entry = json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size",
			  (json_int_t)size);
	if (name)
		json_object_set_new(entry, "annotations",
				    json_pack("{s:s}", CATALOG_REF_NAME, name));
	json_array_append_new(manifests, entry);
}

int catalog_add(struct store *store, const char *digest, long long size, const char *media_type,
		const char *name, const char *host)
{
	_cleanup_close_ int lock = store_index_lock(store);
	json_t *index = NULL;
	int r;

	if (lock < 0)
		return lock;
	r = store_index_load(store, &index);
	if (r < 0)
		return r;
	catalog_index_add(json_object_get(index, "manifests"), digest, size, media_type,
			  host ? NULL : name);
	r = store_index_save(store, index);
	json_decref(index);
	if (r >= 0 && host && name) {
		_cleanup_free_ char *path = NULL;
		json_t *tags = NULL;

		r = catalog_host_tags(store, host, &tags, &path);
		if (r < 0)
			return r;
		json_object_set_new(tags, name, json_string(digest));
		r = catalog_host_tags_save(store, path, tags);
		json_decref(tags);
	}
	return r;
}

static bool catalog_index_has(json_t *manifests, const char *digest)
{
	json_t *entry;
	size_t i;

	json_array_foreach(manifests, i, entry)
	{
		if (strcmp(catalog_entry_digest(entry), digest) == 0)
			return true;
	}
	return false;
}

static int catalog_resolve_tag(const struct store *store, const char *host, json_t *manifests,
			       const char *name, char *ret_digest)
{
	const char *digest = NULL;
	json_t *entry;
	size_t i;

	if (host) {
		json_t *tags = NULL;
		int r = catalog_host_tags(store, host, &tags, NULL);

		if (r < 0)
			return r;
		digest = json_string_value(json_object_get(tags, name));
		if (digest && digest_is_valid(digest) && catalog_index_has(manifests, digest)) {
			memcpy(ret_digest, digest, DIGEST_STRING_LEN + 1);
			json_decref(tags);
			return 0;
		}
		json_decref(tags);
	}
	json_array_foreach(manifests, i, entry)
	{
		const char *entry_name = catalog_entry_name(entry);

		digest = catalog_entry_digest(entry);
		if (entry_name && strcmp(entry_name, name) == 0 && digest_is_valid(digest)) {
			memcpy(ret_digest, digest, DIGEST_STRING_LEN + 1);
			return 0;
		}
	}
	return -ENOENT;
}

static int catalog_resolve_prefix(json_t *manifests, const char *text, char *ret_digest)
{
	const char *prefix = strncmp(text, "sha256:", 7) == 0 ? text + 7 : text;
	size_t length = strlen(prefix);
	const char *found = NULL;
	json_t *entry;
	size_t i;

	if (length < CATALOG_ID_PREFIX_MIN || length > DIGEST_HEX_LEN ||
	    strspn(prefix, "0123456789abcdef") != length)
		return -ENOENT;
	json_array_foreach(manifests, i, entry)
	{
		const char *digest = catalog_entry_digest(entry);

		if (!digest_is_valid(digest) || strncmp(digest_hex(digest), prefix, length) != 0)
			continue;
		if (found && strcmp(found, digest) != 0)
			return error_set(-EINVAL, "image ID prefix '%s' is ambiguous", text);
		found = digest;
	}
	if (!found)
		return -ENOENT;
	memcpy(ret_digest, found, DIGEST_STRING_LEN + 1);
	return 0;
}

static int catalog_resolve_in(const struct store *store, const char *host, json_t *manifests,
			      const char *text, char *ret_digest)
{
	_cleanup_free_ char *name = NULL;
	const char *at = strchr(text, '@');
	int r;

	if (at) {
		if (!digest_is_valid(at + 1))
			return error_set(-EINVAL, "'%s': '%s' is not a sha256 digest", text,
					 at + 1);
		if (!catalog_index_has(manifests, at + 1))
			return -ENOENT;
		memcpy(ret_digest, at + 1, DIGEST_STRING_LEN + 1);
		return 0;
	}
	r = catalog_resolve_prefix(manifests, text, ret_digest);
	if (r != -ENOENT)
		return r;
	/* Tags written by other tools ("latest") are matched as they are written. */
	r = catalog_resolve_tag(store, host, manifests, text, ret_digest);
	if (r != -ENOENT)
		return r;
	/* Not a tag as written, nor a reference: say what is wrong with it. */
	r = catalog_tag_name(text, &name);
	if (r < 0)
		return r;
	return catalog_resolve_tag(store, host, manifests, name, ret_digest);
}

int catalog_resolve(const struct store *store, const char *host, const char *text, char *ret_digest)
{
	json_t *index = NULL;
	int r = store_index_load(store, &index);

	if (r < 0)
		return r;
	r = catalog_resolve_in(store, host, json_object_get(index, "manifests"), text, ret_digest);
	json_decref(index);
	if (r == -ENOENT)
		return error_set(r, "no image '%s' in the store '%s'%s%s%s", text, store->root,
				 host ? " for host " : "", host ? host : "",
				 strlen(text) < 4 &&
						 strspn(text, "0123456789abcdef") == strlen(text)
					 ? " (an ID prefix has 4 hex digits at least)"
					 : "");
	return r;
}

int catalog_untag(struct store *store, const char *host, const char *text)
{
	_cleanup_close_ int lock = store_index_lock(store);
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *path = NULL;
	json_t *index = NULL;
	json_t *tags = NULL;
	int r;

	if (lock < 0)
		return lock;
	r = store_index_load(store, &index);
	if (r < 0)
		return r;
	if (catalog_tag_name(text, &name) < 0)
		error_clear();
	if (host) {
		r = catalog_host_tags(store, host, &tags, &path);
		if (r >= 0 && json_object_del(tags, text) < 0 &&
		    (!name || json_object_del(tags, name) < 0))
			r = error_set(-ENOENT, "host '%s' has no tag '%s'", host, text);
		if (r >= 0)
			r = catalog_host_tags_save(store, path, tags);
	} else {
		char digest[DIGEST_STRING_LEN + 1];
		json_t *manifests = json_object_get(index, "manifests");
		const char *found =
			catalog_resolve_tag(store, NULL, manifests, text, digest) == 0 ? text
			: name && catalog_resolve_tag(store, NULL, manifests, name, digest) == 0
				? name
				: NULL;

		if (!found)
			r = error_set(-ENOENT, "no tag '%s' in the store", text);
		else {
			catalog_index_untag(manifests, found);
			r = store_index_save(store, index);
		}
	}
	json_decref(tags);
	json_decref(index);
	return r;
}

/* Call fn for every host that has a tags file. */
static int catalog_for_each_host(const struct store *store,
				 int (*fn)(const struct store *store, const char *host,
					   void *userdata),
				 void *userdata)
{
	_cleanup_free_ char *path = NULL;
	struct dirent *dirent;
	DIR *dir;
	int r = 0;

	if (asprintf(&path, "%s/hosts", store->root) < 0)
		return -ENOMEM;
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : negative_errno();
	while (r >= 0 && (dirent = readdir(dir))) {
		if (dirent->d_name[0] == '.' || catalog_check_host(dirent->d_name) < 0) {
			error_clear();
			continue;
		}
		r = fn(store, dirent->d_name, userdata);
	}
	closedir(dir);
	return r;
}

static int catalog_host_forget(const struct store *store, const char *host, void *userdata)
{
	const char *digest = userdata;
	_cleanup_free_ char *path = NULL;
	json_t *tags = NULL;
	const char *name;
	json_t *value;
	void *next;
	bool changed = false;
	int r = catalog_host_tags(store, host, &tags, &path);

	if (r < 0)
		return r;
	json_object_foreach_safe(tags, next, name, value)
	{
		if (json_is_string(value) && strcmp(json_string_value(value), digest) == 0) {
			json_object_del(tags, name);
			changed = true;
		}
	}
	if (changed)
		r = catalog_host_tags_save(store, path, tags);
	json_decref(tags);
	return r;
}

static int catalog_host_readable(const struct store *store, const char *host,
				 void *userdata __attribute__((unused)))
{
	json_t *tags = NULL;
	int r = catalog_host_tags(store, host, &tags, NULL);

	json_decref(tags);
	return r;
}

/*
 * Every host's tags go first, then the index entries: a host file that cannot be read stops
 * the removal before anything changed, and a crash halfway leaves the image listed.
 */
int catalog_remove(struct store *store, const char *digest)
{
	_cleanup_close_ int lock = store_index_lock(store);
	json_t *index = NULL;
	json_t *manifests;
	int r;

	if (lock < 0)
		return lock;
	r = store_index_load(store, &index);
	if (r >= 0)
		r = catalog_for_each_host(store, catalog_host_readable, NULL);
	if (r >= 0)
		r = catalog_for_each_host(store, catalog_host_forget, (void *)digest);
	if (r < 0) {
		json_decref(index);
		return r;
	}
	manifests = json_object_get(index, "manifests");
	for (size_t i = json_array_size(manifests); i-- > 0;) {
		if (strcmp(catalog_entry_digest(json_array_get(manifests, i)), digest) == 0)
			json_array_remove(manifests, i);
	}
	r = store_index_save(store, index);
	json_decref(index);
	return r;
}

static json_t *catalog_image_of(json_t *images, const char *digest)
{
	json_t *image;
	size_t i;

	json_array_foreach(images, i, image)
	{
		if (strcmp(json_string_value(json_object_get(image, "digest")), digest) == 0)
			return image;
	}
	return NULL;
}

static int catalog_list_host(const struct store *store, const char *host, void *userdata)
{
	json_t *images = userdata;
	json_t *tags = NULL;
	const char *name;
	json_t *value;
	int r = catalog_host_tags(store, host, &tags, NULL);

	if (r < 0)
		return r;
	json_object_foreach(tags, name, value)
	{
		json_t *image = catalog_image_of(images, json_string_value(value) ?: "");
		json_t *host_tags;

		if (!image)
			continue;
		host_tags = json_object_get(image, "hostTags");
		if (!json_object_get(host_tags, host))
			json_object_set_new(host_tags, host, json_array());
		json_array_append_new(json_object_get(host_tags, host), json_string(name));
	}
	json_decref(tags);
	return 0;
}

int catalog_list(const struct store *store, const char *host, bool every_host, json_t **ret_images)
{
	json_t *images = json_array();
	json_t *index = NULL;
	json_t *entry;
	size_t i;
	int r = store_index_load(store, &index);

	if (r < 0) {
		json_decref(images);
		return r;
	}
	json_array_foreach(json_object_get(index, "manifests"), i, entry)
	{
		const char *digest = catalog_entry_digest(entry);
		const char *name = catalog_entry_name(entry);
		json_t *image;

		if (!digest_is_valid(digest))
			continue;
		image = catalog_image_of(images, digest);
		if (!image) {
			image = json_pack("{s:s, s:s, s:O, s:O, s:[], s:{}}", "id",
					  digest_hex(digest), "digest", digest, "mediaType",
					  json_object_get(entry, "mediaType"), "size",
					  json_object_get(entry, "size"), "tags", "hostTags");
			json_array_append_new(images, image);
		}
		if (name)
			json_array_append_new(json_object_get(image, "tags"), json_string(name));
	}
	json_decref(index);
	if (host)
		r = catalog_list_host(store, host, images);
	else if (every_host)
		r = catalog_for_each_host(store, catalog_list_host, images);
	if (r < 0) {
		json_decref(images);
		return r;
	}
	*ret_images = images;
	return 0;
}

json_t *catalog_tags_of(json_t *images, const char *digest, bool with_hosts)
{
	json_t *image = catalog_image_of(images, digest);
	json_t *tags = json_array();
	const char *host;
	json_t *host_tags;

	if (!image)
		return tags;
	json_array_extend(tags, json_object_get(image, "tags"));
	if (!with_hosts)
		return tags;
	json_object_foreach(json_object_get(image, "hostTags"), host, host_tags)
	{
		json_array_extend(tags, host_tags);
	}
	return tags;
}
