/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_DIGEST_H
#define IMAGEC_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

/* "sha256:" plus 64 lowercase hex digits, and the NUL. */
#define DIGEST_HEX_LEN 64
#define DIGEST_PREFIX "sha256:"
#define DIGEST_STRING_LEN (sizeof(DIGEST_PREFIX) - 1 + DIGEST_HEX_LEN)

/* A running sha256 over a stream of bytes, with the count of bytes seen. */
struct digest_hasher {
	EVP_MD_CTX *ctx;
	unsigned long long size;
};

/*
 * True when text is "sha256:" and exactly 64 lowercase hex digits: the only digests that may
 * become a path in the store.
 */
bool digest_is_valid(const char *text);

/* The hex part of a valid digest (the text after "sha256:"). */
const char *digest_hex(const char *digest);

/* Start a hasher. Returns 0 or -ENOMEM. */
int digest_hasher_init(struct digest_hasher *hasher);
void digest_hasher_update(struct digest_hasher *hasher, const void *buf, size_t size);

/* Write "sha256:<hex>" into ret (DIGEST_STRING_LEN + 1 bytes) and release the hasher. */
void digest_hasher_final(struct digest_hasher *hasher, char *ret);
void digest_hasher_free(struct digest_hasher *hasher);

/* The digest of a buffer into ret (DIGEST_STRING_LEN + 1 bytes). Returns 0 or -ENOMEM. */
int digest_of_buffer(const void *buf, size_t size, char *ret);

/*
 * The digest of what fd reads to its end, into ret (DIGEST_STRING_LEN + 1 bytes), and the
 * byte count into *ret_size when it is not NULL. Returns 0, -ENOMEM or the -errno of read.
 */
int digest_of_fd(int fd, char *ret, unsigned long long *ret_size);

/*
 * The chainID of a stack of diffIDs, bottom first, as the OCI image spec defines it: the
 * first layer's diffID, then sha256 of "<chain> <diffID>" for each next layer. Returns 0 or
 * -ENOMEM.
 */
int digest_chain_id(const char *const *diff_ids, size_t count, char *ret);

#endif
