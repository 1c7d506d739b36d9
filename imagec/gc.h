/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_GC_H
#define IMAGEC_GC_H

#include "store.h"

/*
 * Delete every blob no listed image uses, every disk no listed image's layers make, and every
 * temporary file. Run with the store opened exclusively (no other imagec is using it). Refuses
 * when an image cannot be read, so that a damaged manifest never frees its layers. Prints what
 * it removed.
 */
int gc_collect(struct store *store);

/*
 * Re-hash every blob against its name and every image's layers against their diffIDs; print
 * each problem on stderr and a summary on stdout. Returns -EBADMSG when anything is wrong.
 */
int gc_verify(struct store *store);

#endif
