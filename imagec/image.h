/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_IMAGE_H
#define IMAGEC_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "digest.h"
#include "store.h"

#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* The most layers an image may have (the kernel's overlay limit is lower still). */
#define IMAGE_LAYERS_MAX 500

struct image_layer {
	char digest[DIGEST_STRING_LEN + 1];
	char diff_id[DIGEST_STRING_LEN + 1];
	char *media_type;
	long long size;
};

struct image {
	char manifest_digest[DIGEST_STRING_LEN + 1];
	char *manifest_media_type;
	long long manifest_size;
	char config_digest[DIGEST_STRING_LEN + 1];
	char *config_media_type;
	long long config_size;
	char chain_id[DIGEST_STRING_LEN + 1];
	struct image_layer *layers;
	size_t layer_count;
	json_t *manifest;
	json_t *config;
};

/* Parse JSON bytes into an object, duplicate keys rejected; what names the document. */
int image_json_parse(const char *bytes, size_t size, const char *what, json_t **ret);

/* True for the two manifest media types (OCI, Docker schema 2); index types are separate. */
bool image_is_manifest_type(const char *media_type);
bool image_is_index_type(const char *media_type);

/*
 * The media type of a manifest document: its mediaType field, else fallback (the type the
 * registry or descriptor gave). Schema 1 and unknown types are -ENOTSUP with a reason.
 */
int image_manifest_type(json_t *manifest, const char *fallback, const char **ret);

/*
 * Fill image from manifest bytes whose digest is digest: config and layer descriptors, each
 * digest validated. The manifest JSON stays in image->manifest.
 */
int image_parse_manifest(const char *bytes, size_t size, const char *digest, const char *media_type,
			 struct image *image);

/* Fill the diffIDs and chainID from config bytes; their count must match the layers. */
int image_parse_config(const char *bytes, size_t size, struct image *image);

/* Load a stored image by its manifest digest, checking every JSON blob's hash. */
int image_load(const struct store *store, const char *manifest_digest, struct image *ret);
void image_free(struct image *image);

/* The JSON `imagec inspect` prints. tags is an array of names, taken over. */
json_t *image_describe(const struct image *image, json_t *tags);

/*
 * Pick from an index the manifest for platform (variant ignored when empty). Returns the
 * descriptor (borrowed) or -ENOENT with a reason listing what the index has.
 */
struct platform;
int image_index_choose(json_t *index, const struct platform *platform, json_t **ret);

#endif
