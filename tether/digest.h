/* SPDX-License-Identifier: MIT */
/*
 * sha256 digests in the guest, computed by the kernel's crypto API (AF_ALG): the kernel has
 * a reviewed, accelerated sha256, and tether needs no crypto library of its own.
 */
#ifndef TETHER_DIGEST_H
#define TETHER_DIGEST_H

#include <stddef.h>

/* "sha256:" and 64 hex digits, NUL included. */
#define DIGEST_STRING_SIZE 72

struct digest {
	int algorithm_fd; /* the bound AF_ALG socket */
	int operation_fd; /* one hash in progress */
};

/* Start a sha256. Returns 0 or -errno (-EAFNOSUPPORT without the kernel's algif_hash). */
int digest_begin(struct digest *digest);
/* Add bytes. Returns 0 or -errno. */
int digest_update(struct digest *digest, const void *data, size_t size);
/* Write "sha256:<hex>" into ret and release the digest (also on failure). Returns 0 or -errno. */
int digest_end(struct digest *digest, char ret[DIGEST_STRING_SIZE]);
/* Release a digest that will not be ended. */
void digest_abandon(struct digest *digest);

/* The digest of one buffer. Returns 0 or -errno. */
int digest_buffer(const void *data, size_t size, char ret[DIGEST_STRING_SIZE]);

#endif
