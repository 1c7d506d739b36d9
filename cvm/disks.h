/* SPDX-License-Identifier: MIT */
/*
 * The writable disks cvm makes: the scratch disk of a container (in its temporary directory)
 * and named volumes (in the store, kept). Both are sparse ext4 images made by mke2fs.
 */
#ifndef CVM_DISKS_H
#define CVM_DISKS_H

#include <stdint.h>

/* Sparse: only what the filesystem writes takes space on the host. */
#define DISKS_SCRATCH_SIZE (8ull << 30)
#define DISKS_VOLUME_SIZE (8ull << 30)

/*
 * A new ext4 image of size bytes at path, which must not exist. Returns 0, -EEXIST, -EIO when
 * mke2fs failed (it said why on stderr), or another -errno.
 */
int disks_make_ext4(const char *path, uint64_t size, const char *label);

/*
 * The disk of the named volume, STORE/volumes/NAME.ext4, made on first use (atomically: two
 * cvms making the same volume at once end up with the same disk). *ret_path is a heap
 * string. Returns 1 when it was made now, 0 when it was there, or -errno.
 */
int disks_named_volume(const char *store, const char *name, char **ret_path);

/* mkdir -p: path and its parents, mode 0755. Returns 0 or -errno. */
int disks_mkdir_parents(const char *path);

#endif
