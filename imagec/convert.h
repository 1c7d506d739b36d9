/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_CONVERT_H
#define IMAGEC_CONVERT_H

#include <stddef.h>

struct archive;

/*
 * Layers in, overlay-format tars out. Layers are added bottom first; each is read with
 * libarchive (gzip, zstd or plain, as its media type says), checked as untrusted input and applied
 * to a merged view of the image. For each layer, an overlay-format tar of that layer alone can be
 * written: OCI whiteouts become char devices 0/0, opaque markers become trusted.overlay.opaque=y on
 * their directory, directories the layer omits get the attributes they have in the layers below,
 * and hardlinks to files of lower layers become copies. After the last layer, the merged view
 * can be written as one tar (a flattened image).
 */
struct convert;

/*
 * Caps on one layer: entries, name and link lengths, extended attributes of an entry (their
 * count, and their names and values in all: with the name and link, they fit the 64 KiB pax
 * header tar2sqfs reads).
 */
#define CONVERT_ENTRIES_MAX 2000000
#define CONVERT_PATH_MAX 4096
#define CONVERT_NAME_MAX 255
#define CONVERT_XATTRS_MAX 128
#define CONVERT_XATTRS_BYTES_MAX 49152

enum convert_whiteout {
	CONVERT_PLAIN,	/* an ordinary entry */
	CONVERT_REMOVE, /* .wh.NAME: NAME of the lower layers is deleted */
	CONVERT_OPAQUE, /* .wh..wh..opq: the directory hides the lower layers' contents */
};

/*
 * Normalize an entry name: "./a//b/" -> "a/b", "./" -> "" (the root). Absolute names and ".."
 * are -EINVAL.
 */
int convert_clean_path(const char *name, char **ret_path);

/*
 * What a clean entry path is as a whiteout; for CONVERT_REMOVE, ret_target gets the path it
 * deletes (caller frees). A ".wh." prefix anywhere but the last component, an empty or "."/".."
 * target, or another ".wh..wh." name is -EINVAL.
 */
int convert_whiteout_kind(const char *path, enum convert_whiteout *ret_kind, char **ret_target);

int convert_new(struct convert **ret);
void convert_free(struct convert *convert);

/*
 * Add the layer blob at path, compressed as media_type says (name is used in messages, e.g. its
 * digest). When out is not NULL, write the layer's overlay-format tar to it first. Returns 0 or
 * -errno with a reason that names the layer and the entry.
 */
int convert_add_layer(struct convert *convert, const char *path, const char *media_type,
		      const char *name, struct archive *out);

/*
 * Read the layer blob at path as a layer's tar and check every entry as convert_add_layer does
 * (what needs the layers below aside). Returns 0 or -errno with a reason naming the entry.
 */
int convert_check_layer(const char *path, const char *media_type, const char *name);

/* Write the merged view of every layer added so far as one tar. */
int convert_write_flat(struct convert *convert, struct archive *out);

/* A pax tar writer on fd (what tar2sqfs reads). Returns NULL when out of memory. */
struct archive *convert_output_open(int fd);

/* Finish and free a writer from convert_output_open(). */
int convert_output_close(struct archive *out);

#endif
