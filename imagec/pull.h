/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_PULL_H
#define IMAGEC_PULL_H

#include <stdbool.h>

#include "digest.h"
#include "ref.h"
#include "store.h"

struct pull_options {
	const char *user; /* NULL: anonymous unless the registry asks and none is known */
	const char *password;
	bool insecure_http; /* http:// instead of https:// */
	bool json;	    /* progress as JSON lines on stdout */
	const struct platform *platform;
	const char *host; /* tag for this host only */
};

/*
 * Pull reference text from its registry into the store (OCI distribution API): the manifest
 * (through an index for the platform), the config and the layers, each verified, then tag it
 * with its reference. The manifest digest goes to ret_digest.
 */
int pull_image(struct store *store, const char *text, const struct pull_options *options,
	       char *ret_digest);

#endif
