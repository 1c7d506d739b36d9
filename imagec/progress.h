/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_PROGRESS_H
#define IMAGEC_PROGRESS_H

#include <stdio.h>

/*
 * The progress of a pull, one entry per blob: on a terminal, a bar per layer redrawn in
 * place; as JSON, one line per change of state and at most one a second while bytes arrive.
 * Every call is safe from several threads at once, and a NULL progress does nothing.
 */
enum progress_mode {
	PROGRESS_NONE,
	PROGRESS_TERMINAL,
	PROGRESS_JSON,
};

struct progress;

/* A new display writing to out (stderr for a terminal, stdout for JSON). NULL on ENOMEM. */
struct progress *progress_new(enum progress_mode mode, FILE *out);

/* Show the display's last state and release it. */
void progress_free(struct progress *progress);

/* A blob of size bytes (negative: unknown), waiting. Returns its entry, or -ENOMEM. */
int progress_add(struct progress *progress, const char *digest, long long size);

/* have bytes of entry are in the store's temporary file. */
void progress_bytes(struct progress *progress, int entry, long long have);

/* entry is "present", "downloading", "verifying", "done" or "failed". */
void progress_state(struct progress *progress, int entry, const char *state);

#endif
