/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_STORE_H
#define IMAGEC_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "digest.h"

/*
 * The store: an OCI image layout (oci-layout, index.json, blobs/sha256/) plus disks/, hosts/
 * and tmp/ (temporary files, on the same filesystem so that a rename publishes them).
 */
struct store {
	char *root;
	int gc_lock_fd;
};

/* A blob being written: bytes go to a temporary file while they are hashed. */
struct store_blob_writer {
	struct store *store;
	int fd;
	char *tmp_path;
	struct digest_hasher hasher;
};

/* The largest JSON blob (manifest, config, index) read into memory. */
#define STORE_JSON_MAX (4 * 1024 * 1024)

/* The store path: dir when given, else $TETHER_STORE, else the default. Caller frees. */
char *store_path(const char *dir);

/*
 * Open the store at root, creating its layout when missing, and hold the shared side of its
 * gc lock until store_close(): gc waits for every other imagec using the store. exclusive takes
 * the other side (gc). Returns 0 or -errno with a reason.
 */
int store_open(const char *root, bool exclusive, struct store *ret);
void store_close(struct store *store);

/* "STORE/blobs/sha256/<hex>" for a valid digest, else -EINVAL with a reason. Caller frees. */
int store_blob_path(const struct store *store, const char *digest, char **ret_path);
bool store_blob_exists(const struct store *store, const char *digest);

/* A new temporary file in STORE/tmp/ (prefix names its use). Returns an fd or -errno. */
int store_tmp_file(const struct store *store, const char *prefix, char **ret_path);

int store_blob_begin(struct store *store, struct store_blob_writer *writer);
int store_blob_write(struct store_blob_writer *writer, const void *buf, size_t size);

/*
 * Check the bytes written against expected_digest (unless NULL) and expected_size (unless
 * negative), sync them and rename them into place under their digest, which goes to
 * ret_digest (DIGEST_STRING_LEN + 1 bytes, may be NULL). The writer is released either way:
 * on a mismatch the temporary file is removed and -EBADMSG returned with a reason.
 */
int store_blob_commit(struct store_blob_writer *writer, const char *expected_digest,
		      long long expected_size, char *ret_digest);
void store_blob_abort(struct store_blob_writer *writer);

/* Write a buffer as a blob; its digest goes to ret_digest. */
int store_blob_put(struct store *store, const void *buf, size_t size, char *ret_digest);

/*
 * Read the blob digest into a NUL-terminated buffer (at most max bytes) and check that its bytes
 * hash to digest: the caller parses exactly the bytes that were verified.
 */
int store_blob_read(const struct store *store, const char *digest, size_t max, char **ret_buf,
		    size_t *ret_size);

/*
 * Check that the blob digest in the store hashes to its name and is size bytes (unless
 * negative): 0, -EBADMSG with a reason when it does not, or -errno.
 */
int store_blob_check(const struct store *store, const char *digest, long long size);

/*
 * An exclusive lock on one key (a digest or a disk name) in STORE/tmp/, so that two processes
 * never fetch or build the same thing at once. Returns the locked fd (close to unlock).
 */
int store_lock_key(const struct store *store, const char *key);

/* The lock held while index.json or a host's tags change. Returns the locked fd. */
int store_index_lock(const struct store *store);

/* index.json, parsed with duplicate keys rejected. */
int store_index_load(const struct store *store, json_t **ret_index);

/* Replace index.json atomically (temporary file, fsync, rename). Hold the index lock. */
int store_index_save(const struct store *store, json_t *index);

/* Write a JSON document to path atomically, through a temporary file in STORE/tmp/. */
int store_json_save(const struct store *store, const char *path, json_t *json);

/* Load a JSON document; a missing file gives ret = NULL and 0. */
int store_json_load(const char *path, json_t **ret);

/* Sync a finished temporary file, rename it to path and sync the directory. */
int store_publish(const char *tmp_path, const char *path);

#endif
