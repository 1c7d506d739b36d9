/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_LAYER_H
#define IMAGEC_LAYER_H

#include "digest.h"

/*
 * The diffID of a layer blob: sha256 of its tar after decompression (gzip, zstd, or none,
 * recognized by content). Returns 0 or -errno with a reason.
 */
int layer_diff_id(const char *path, char *ret_diff_id);

/* The OCI media type for a layer blob, from its first bytes (gzip, zstd, else plain tar). */
const char *layer_media_type_of(const char *path);

#endif
