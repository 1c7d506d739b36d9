/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_DISK_H
#define IMAGEC_DISK_H

#include <stdbool.h>

#include "image.h"
#include "store.h"

/*
 * The squashfs disks of an image, made with tar2sqfs on first use and kept in the store: one
 * per layer (STORE/disks/layer/<chainID of the layers up to it>.sqfs: a layer's disk depends on
 * the layers below it, for the attributes of directories it omits and for files it hardlinks),
 * or with flatten one for the whole image (STORE/disks/flat/<chainID>.sqfs). ret_paths gets
 * the paths bottom first (caller frees each and the array), ret_count their number.
 */
int disk_make(struct store *store, const struct image *image, bool flatten, char ***ret_paths,
	      size_t *ret_count);

#endif
