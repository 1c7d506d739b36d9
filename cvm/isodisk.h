/* SPDX-License-Identifier: MIT */
/* The config disk: an ISO 9660 image written with libarchive, the one place cvm uses it. */
#ifndef CVM_ISODISK_H
#define CVM_ISODISK_H

#include <stddef.h>

#define ISODISK_LABEL "TETHERCFG"

/*
 * Write an ISO 9660 image (Rock Ridge, volume ID ISODISK_LABEL) at path holding one file,
 * name, with size bytes of content. Returns 0, or -EIO with libarchive's reason in err.
 */
int isodisk_write(const char *path, const char *name, const void *content, size_t size, char *err,
		  size_t err_size);

#endif
