/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_IMPORT_H
#define IMAGEC_IMPORT_H

#include "digest.h"
#include "ref.h"
#include "store.h"

/*
 * Import an image from source: "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]" or
 * "docker-archive:FILE" (docker save output, legacy or Docker 25+ layout). Every blob is
 * verified against its digest and every layer against its diffID before the image is listed.
 * The image is tagged tag (NAME:TAG, for host when not NULL), else the name the source gives
 * in full, else left untagged. The manifest digest goes to ret_digest.
 */
int import_source(struct store *store, const char *source, const char *tag, const char *host,
		  const struct platform *platform, char *ret_digest);

struct image;

/*
 * Check every stored layer of image against its diffID, then list the image in the store,
 * tagged name (NAME:TAG as stored) when not NULL. Its blobs must be in the store already.
 */
int import_finish(struct store *store, const struct image *image, const char *name,
		  const char *host);

#endif
