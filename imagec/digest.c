// SPDX-License-Identifier: MIT
#include "digest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"

bool digest_is_valid(const char *text)
{
	size_t prefix = strlen(DIGEST_PREFIX);

	if (!text || strncmp(text, DIGEST_PREFIX, prefix) != 0)
		return false;
	text += prefix;
	for (size_t i = 0; i < DIGEST_HEX_LEN; i++) {
		char c = text[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return text[DIGEST_HEX_LEN] == '\0';
}

const char *digest_hex(const char *digest)
{
	return digest + strlen(DIGEST_PREFIX);
}

int digest_hasher_init(struct digest_hasher *hasher)
{
	hasher->size = 0;
	hasher->ctx = EVP_MD_CTX_new();
	if (!hasher->ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(hasher->ctx, EVP_sha256(), NULL) != 1) {
		digest_hasher_free(hasher);
		return -ENOMEM;
	}
	return 0;
}

void digest_hasher_update(struct digest_hasher *hasher, const void *buf, size_t size)
{
	EVP_DigestUpdate(hasher->ctx, buf, size);
	hasher->size += size;
}

void digest_hasher_final(struct digest_hasher *hasher, char *ret)
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int length = 0;
	char *p = ret + strlen(DIGEST_PREFIX);

	EVP_DigestFinal_ex(hasher->ctx, sum, &length);
	memcpy(ret, DIGEST_PREFIX, strlen(DIGEST_PREFIX));
	for (unsigned int i = 0; i < length; i++)
		p += sprintf(p, "%02x", sum[i]);
	digest_hasher_free(hasher);
}

void digest_hasher_free(struct digest_hasher *hasher)
{
	EVP_MD_CTX_free(hasher->ctx);
	hasher->ctx = NULL;
}

int digest_of_buffer(const void *buf, size_t size, char *ret)
{
	struct digest_hasher hasher;
	int r = digest_hasher_init(&hasher);

	if (r < 0)
		return r;
	digest_hasher_update(&hasher, buf, size);
	digest_hasher_final(&hasher, ret);
	return 0;
}

int digest_of_fd(int fd, char *ret, unsigned long long *ret_size)
{
	struct digest_hasher hasher;
	char buf[65536];
	ssize_t n;
	int r = digest_hasher_init(&hasher);

	if (r < 0)
		return r;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		digest_hasher_update(&hasher, buf, (size_t)n);
	if (n < 0) {
		r = negative_errno();
		digest_hasher_free(&hasher);
		return r;
	}
	if (ret_size)
		*ret_size = hasher.size;
	digest_hasher_final(&hasher, ret);
	return 0;
}

int digest_chain_id(const char *const *diff_ids, size_t count, char *ret)
{
	char chain[DIGEST_STRING_LEN + 1] = "";

	for (size_t i = 0; i < count; i++) {
		char link[2 * DIGEST_STRING_LEN + 2];
		int r;

		if (i == 0) {
			snprintf(chain, sizeof(chain), "%s", diff_ids[0]);
			continue;
		}
		snprintf(link, sizeof(link), "%s %s", chain, diff_ids[i]);
		r = digest_of_buffer(link, strlen(link), chain);
		if (r < 0)
			return r;
	}
	memcpy(ret, chain, sizeof(chain));
	return 0;
}
