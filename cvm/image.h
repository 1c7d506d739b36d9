/* SPDX-License-Identifier: MIT */
/*
 * The image store, through `imagec` (docs/imagec.md) run as a child: an image's metadata
 * and its disks.
 */
#ifndef CVM_IMAGE_H
#define CVM_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Layers beyond this many are flattened into one disk: each disk takes one of the 29 PCI
 * slots the VM has free, and the config disk, the scratch disk and up to 16 volumes need 18.
 */
#define IMAGE_LAYERS_MAX 10

struct image {
	json_t *inspect; /* `imagec inspect REF` */
	const char *id;	 /* its "id": the manifest digest's hex, owned by inspect */
	char **disks;	 /* layer disks, bottom first, or one flattened disk */
	size_t disk_count;
};

/*
 * Look ref up in the store (NULL: imagec's default) with imagec at imagec_path, and make its
 * disks: one per layer, or one flattened disk when flatten is set or the image has more than
 * IMAGE_LAYERS_MAX layers. imagec says what went wrong on stderr. Returns 0, -ENOENT when
 * imagec failed (what it printed names the reason), -EINVAL when its output is not what it
 * documents (the reason in err), or another -errno.
 */
int image_open(const char *imagec_path, const char *store, const char *ref, bool flatten,
	       struct image *ret, char *err, size_t err_size);
void image_close(struct image *image);

/*
 * Ask imagec whether name (NAME:TAG) can be committed on top of ref: `imagec commit
 * --dry-run`, which writes nothing. Returns 0, -ENOENT when imagec refused (its message is
 * on stderr), or another -errno.
 */
int image_check_commit(const char *imagec_path, const char *store, const char *ref,
		       const char *name);

#endif
