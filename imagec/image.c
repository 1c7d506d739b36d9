// SPDX-License-Identifier: MIT
#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "error.h"
#include "ref.h"

int image_json_parse(const char *bytes, size_t size, const char *what, json_t **ret)
{
	json_error_t json_error;
	json_t *json = json_loadb(bytes, size, JSON_REJECT_DUPLICATES, &json_error);

	if (!json)
		return error_set(-EBADMSG, "%s: line %d: %s", what, json_error.line,
				 json_error.text);
	if (!json_is_object(json)) {
		json_decref(json);
		return error_set(-EBADMSG, "%s: not a JSON object", what);
	}
	*ret = json;
	return 0;
}

bool image_is_manifest_type(const char *media_type)
{
	return strcmp(media_type, MEDIA_OCI_MANIFEST) == 0 ||
	       strcmp(media_type, MEDIA_DOCKER_MANIFEST) == 0;
}

bool image_is_index_type(const char *media_type)
{
	return strcmp(media_type, MEDIA_OCI_INDEX) == 0 ||
	       strcmp(media_type, MEDIA_DOCKER_LIST) == 0;
}

int image_manifest_type(json_t *manifest, const char *fallback, const char **ret)
{
	const char *media_type = json_string_value(json_object_get(manifest, "mediaType"));
	json_int_t schema = json_integer_value(json_object_get(manifest, "schemaVersion"));

	if (schema == 1 || (media_type && strstr(media_type, "distribution.manifest.v1+")) ||
	    (fallback && strstr(fallback, "distribution.manifest.v1+")))
		return error_set(-ENOTSUP, "Docker schema 1 manifests are not supported (the image "
					   "must be pushed again with a current tool)");
	if (schema != 2)
		return error_set(-EBADMSG, "manifest has schemaVersion %lld, want 2",
				 (long long)schema);
	if (!media_type)
		media_type = fallback;
	/* An OCI index or manifest may omit mediaType: tell them apart by their fields. */
	if (!media_type || !*media_type || strcmp(media_type, "application/json") == 0)
		media_type = json_object_get(manifest, "manifests") ? MEDIA_OCI_INDEX
								    : MEDIA_OCI_MANIFEST;
	if (!image_is_manifest_type(media_type) && !image_is_index_type(media_type))
		return error_set(-ENOTSUP, "manifest media type '%s' is not supported", media_type);
	*ret = media_type;
	return 0;
}

static int image_descriptor(json_t *descriptor, const char *what, char *ret_digest,
			    const char **ret_media_type, long long *ret_size)
{
	const char *digest = json_string_value(json_object_get(descriptor, "digest"));
	json_t *size = json_object_get(descriptor, "size");

	if (!json_is_object(descriptor))
		return error_set(-EBADMSG, "%s: not a descriptor object", what);
	if (!digest_is_valid(digest))
		return error_set(-EBADMSG, "%s: digest '%s' is not sha256: and 64 lowercase hex",
				 what, digest ? digest : "(missing)");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return error_set(-EBADMSG, "%s: size is missing or negative", what);
	memcpy(ret_digest, digest, DIGEST_STRING_LEN + 1);
	*ret_media_type = json_string_value(json_object_get(descriptor, "mediaType"));
	*ret_size = json_integer_value(size);
	return 0;
}

int image_parse_manifest(const char *bytes, size_t size, const char *digest, const char *media_type,
			 struct image *image)
{
	const char *config_type;
	json_t *layers;
	int r;

	r = image_json_parse(bytes, size, "manifest", &image->manifest);
	if (r < 0)
		return r;
	r = image_manifest_type(image->manifest, media_type, &media_type);
	if (r < 0)
		return r;
	if (!image_is_manifest_type(media_type))
		return error_set(-EBADMSG, "'%s' is an index, not an image manifest", digest);
	memcpy(image->manifest_digest, digest, DIGEST_STRING_LEN + 1);
	image->manifest_size = (long long)size;
	image->manifest_media_type = strdup(media_type);

	r = image_descriptor(json_object_get(image->manifest, "config"), "manifest config",
			     image->config_digest, &config_type, &image->config_size);
	if (r < 0)
		return r;
	image->config_media_type = strdup(config_type ? config_type : MEDIA_OCI_CONFIG);

	layers = json_object_get(image->manifest, "layers");
	if (!json_is_array(layers))
		return error_set(-EBADMSG, "manifest '%s' has no layers array", digest);
	if (json_array_size(layers) > IMAGE_LAYERS_MAX)
		return error_set(-E2BIG, "manifest '%s' has %zu layers, the limit is %d", digest,
				 json_array_size(layers), IMAGE_LAYERS_MAX);
	image->layers = calloc(json_array_size(layers) + 1, sizeof(*image->layers));
	if (!image->layers || !image->manifest_media_type || !image->config_media_type)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(layers); i++) {
		struct image_layer *layer = &image->layers[i];
		const char *layer_type;
		char what[64];

		snprintf(what, sizeof(what), "manifest layer %zu", i);
		r = image_descriptor(json_array_get(layers, i), what, layer->digest, &layer_type,
				     &layer->size);
		if (r < 0)
			return r;
		layer->media_type = strdup(layer_type ? layer_type : MEDIA_OCI_LAYER);
		if (!layer->media_type)
			return -ENOMEM;
		image->layer_count++;
	}
	return 0;
}

int image_parse_config(const char *bytes, size_t size, struct image *image)
{
	const char **diff_ids_list;
	json_t *diff_ids;
	int r;

	r = image_json_parse(bytes, size, "image config", &image->config);
	if (r < 0)
		return r;
	diff_ids = json_object_get(json_object_get(image->config, "rootfs"), "diff_ids");
	if (!json_is_array(diff_ids))
		return error_set(-EBADMSG, "config '%s' has no rootfs.diff_ids",
				 image->config_digest);
	if (json_array_size(diff_ids) != image->layer_count)
		return error_set(-EBADMSG, "config '%s' lists %zu diffIDs for %zu layers",
				 image->config_digest, json_array_size(diff_ids),
				 image->layer_count);
	for (size_t i = 0; i < image->layer_count; i++) {
		const char *diff_id = json_string_value(json_array_get(diff_ids, i));

		if (!digest_is_valid(diff_id))
			return error_set(-EBADMSG, "config '%s': diffID %zu '%s' is not a digest",
					 image->config_digest, i, diff_id ? diff_id : "(none)");
		memcpy(image->layers[i].diff_id, diff_id, DIGEST_STRING_LEN + 1);
	}
	if (image->layer_count == 0)
		return 0;
	diff_ids_list = calloc(image->layer_count, sizeof(*diff_ids_list));
	if (!diff_ids_list)
		return -ENOMEM;
	for (size_t i = 0; i < image->layer_count; i++)
		diff_ids_list[i] = image->layers[i].diff_id;
	r = digest_chain_id(diff_ids_list, image->layer_count, image->chain_id);
	free(diff_ids_list);
	return r;
}

int image_load(const struct store *store, const char *manifest_digest, struct image *ret)
{
	_cleanup_free_ char *manifest = NULL;
	_cleanup_free_ char *config = NULL;
	size_t manifest_size, config_size;
	struct image image = { 0 };
	int r;

	r = store_blob_read(store, manifest_digest, STORE_JSON_MAX, &manifest, &manifest_size);
	if (r >= 0)
		r = image_parse_manifest(manifest, manifest_size, manifest_digest, NULL, &image);
	if (r >= 0)
		r = store_blob_read(store, image.config_digest, STORE_JSON_MAX, &config,
				    &config_size);
	if (r >= 0)
		r = image_parse_config(config, config_size, &image);
	if (r < 0) {
		image_free(&image);
		return r;
	}
	*ret = image;
	return 0;
}

void image_free(struct image *image)
{
	for (size_t i = 0; image->layers && i < image->layer_count; i++)
		free(image->layers[i].media_type);
	free(image->layers);
	free(image->manifest_media_type);
	free(image->config_media_type);
	json_decref(image->manifest);
	json_decref(image->config);
	*image = (struct image){ 0 };
}

/* A field of the config's "config" object, or null: images often omit them. */
static json_t *image_config_field(const struct image *image, const char *key)
{
	json_t *value = json_object_get(json_object_get(image->config, "config"), key);

	return value ? json_incref(value) : json_null();
}

static json_t *image_string_or_null(json_t *object, const char *key)
{
	json_t *value = json_object_get(object, key);

	return json_is_string(value) ? json_incref(value) : json_null();
}

json_t *image_describe(const struct image *image, json_t *tags)
{
	json_t *diff_ids = json_array();
	json_t *layers = json_array();
	json_t *description;

	for (size_t i = 0; i < image->layer_count; i++) {
		const struct image_layer *layer = &image->layers[i];

		json_array_append_new(diff_ids, json_string(layer->diff_id));
		json_array_append_new(layers, json_pack("{s:s, s:s, s:s, s:I}", "digest",
							layer->digest, "diffID", layer->diff_id,
							"mediaType", layer->media_type, "size",
							(json_int_t)layer->size));
	}
	description = json_pack(
		"{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
		"s:o}",
		"id", digest_hex(image->manifest_digest), "manifestDigest", image->manifest_digest,
		"mediaType", image->manifest_media_type, "configDigest", image->config_digest,
		"chainID", image->layer_count ? json_string(image->chain_id) : json_null(),
		"diffIDs", diff_ids, "layers", layers, "architecture",
		image_string_or_null(image->config, "architecture"), "os",
		image_string_or_null(image->config, "os"), "created",
		image_string_or_null(image->config, "created"), "entrypoint",
		image_config_field(image, "Entrypoint"), "cmd", image_config_field(image, "Cmd"),
		"env", image_config_field(image, "Env"), "workingDir",
		image_config_field(image, "WorkingDir"), "user", image_config_field(image, "User"),
		"labels", image_config_field(image, "Labels"), "tags", tags);
	return description;
}

static bool image_platform_matches(json_t *descriptor, const struct platform *platform)
{
	json_t *wanted = json_object_get(descriptor, "platform");
	const char *os = json_string_value(json_object_get(wanted, "os"));
	const char *architecture = json_string_value(json_object_get(wanted, "architecture"));
	const char *variant = json_string_value(json_object_get(wanted, "variant"));

	if (!os || !architecture || strcmp(os, platform->os) != 0 ||
	    strcmp(architecture, platform->architecture) != 0)
		return false;
	return !platform->variant[0] || (variant && strcmp(variant, platform->variant) == 0);
}

int image_index_choose(json_t *index, const struct platform *platform, json_t **ret)
{
	json_t *manifests = json_object_get(index, "manifests");
	char available[512] = "";
	size_t used = 0;
	json_t *descriptor;
	size_t i;

	if (!json_is_array(manifests))
		return error_set(-EBADMSG, "index has no manifests array");
	json_array_foreach(manifests, i, descriptor)
	{
		if (image_platform_matches(descriptor, platform)) {
			*ret = descriptor;
			return 0;
		}
	}
	json_array_foreach(manifests, i, descriptor)
	{
		json_t *p = json_object_get(descriptor, "platform");
		const char *variant = json_string_value(json_object_get(p, "variant"));
		int n = snprintf(available + used, sizeof(available) - used, "%s%s/%s%s%s",
				 used ? ", " : "",
				 json_string_value(json_object_get(p, "os")) ?: "?",
				 json_string_value(json_object_get(p, "architecture")) ?: "?",
				 variant ? "/" : "", variant ? variant : "");

		if (n < 0 || (size_t)n >= sizeof(available) - used)
			break;
		used += (size_t)n;
	}
	return error_set(-ENOENT, "no manifest for platform %s/%s%s%s in the index (it has: %s)",
			 platform->os, platform->architecture, platform->variant[0] ? "/" : "",
			 platform->variant, used ? available : "nothing");
}
