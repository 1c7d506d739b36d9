/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_COMMIT_H
#define IMAGEC_COMMIT_H

#include <stdbool.h>

#include "digest.h"
#include "store.h"

struct commit_options {
	const char *layer_path; /* the uncompressed layer tar tether wrote */
	const char *parent;	/* reference of the image it goes on top of */
	const char *name;	/* NAME:TAG of the new image */
	const char *author;	/* may be NULL */
	const char *message;	/* may be NULL */
	const char *host;	/* tag for this host only, or NULL */
	bool dry_run;		/* check name and parent, write nothing */
};

/*
 * Add the layer at options->layer_path on top of the parent image: the layer gzipped into
 * the store, a config with its diffID and a history entry, a manifest of the parent's kind,
 * tagged options->name. The new image's manifest digest goes to ret_digest. With
 * options->dry_run, only the name and the parent are checked (ret_digest gets the parent's):
 * what a caller can learn before it makes the layer. Returns 0 or -errno with a reason.
 */
int commit_image(struct store *store, const struct commit_options *options, char *ret_digest);

#endif
