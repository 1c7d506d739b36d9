/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_CATALOG_H
#define IMAGEC_CATALOG_H

#include <stdbool.h>

#include <jansson.h>

#include "digest.h"
#include "store.h"

/*
 * Which images the store holds and what they are called. Every image has at least one entry
 * in index.json (an untagged one when it has no tag there). A tag without a host is a
 * "org.opencontainers.image.ref.name" annotation in index.json, which skopeo and umoci read; a
 * tag with a host lives in STORE/hosts/HOST/tags.json and is seen only by that host.
 */

#define CATALOG_REF_NAME "org.opencontainers.image.ref.name"

/* "NAME:TAG" as stored: parsed as a reference and written in full ("docker.io/library/x:1"). */
int catalog_tag_name(const char *text, char **ret_name);

/* A host name: letters, digits, '.', '_', '-', at most 64, not starting with a dot. */
int catalog_check_host(const char *host);

/*
 * Record the manifest (digest, size, media type) in index.json and, when name is not NULL, tag
 * it as name (globally, or for host when host is not NULL), moving the tag from any other
 * image. Takes the index lock.
 */
int catalog_add(struct store *store, const char *digest, long long size, const char *media_type,
		const char *name, const char *host);

/*
 * The manifest digest that text names: a tag (the host's tags first), NAME@sha256:..., a full
 * digest or a unique prefix of at least 4 hex digits of an image ID. -ENOENT with a reason.
 */
int catalog_resolve(const struct store *store, const char *host, const char *text,
		    char *ret_digest);

/* Remove the tag text (host's when host is given). The image stays, untagged if need be. */
int catalog_untag(struct store *store, const char *host, const char *text);

/* Remove the image digest: every index.json entry and every host's tags for it. */
int catalog_remove(struct store *store, const char *digest);

/*
 * Every image as {"id", "digest", "mediaType", "size", "tags": [...], "hostTags": {}}, with
 * host's tags under "hostTags": {host: [...]} when host is given, or every host's with host
 * NULL and every_host (only then is a host file other than host's own read).
 */
int catalog_list(const struct store *store, const char *host, bool every_host, json_t **ret_images);

/* The tags of one image as an array: global ones, then (with_hosts) the listed hosts' tags. */
json_t *catalog_tags_of(json_t *images, const char *digest, bool with_hosts);

#endif
