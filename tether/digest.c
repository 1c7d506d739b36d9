// SPDX-License-Identifier: MIT
#include "digest.h"

#include <errno.h>
#include <linux/if_alg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/cleanup.h"

#define SHA256_SIZE 32

int digest_begin(struct digest *digest)
{
	struct sockaddr_alg address = { .salg_family = AF_ALG };
	int r;

	memcpy(address.salg_type, "hash", sizeof("hash"));
	memcpy(address.salg_name, "sha256", sizeof("sha256"));
	digest->operation_fd = -1;
	digest->algorithm_fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (digest->algorithm_fd < 0)
		return negative_errno();
	if (bind(digest->algorithm_fd, (struct sockaddr *)&address, sizeof(address)) < 0)
		goto fail;
	digest->operation_fd = accept4(digest->algorithm_fd, NULL, NULL, SOCK_CLOEXEC);
	if (digest->operation_fd < 0)
		goto fail;
	return 0;
fail:
	r = negative_errno();
	digest_abandon(digest);
	return r;
}

int digest_update(struct digest *digest, const void *data, size_t size)
{
	const char *p = data;

	while (size > 0) {
		/* MSG_MORE: the hash goes on over several sends until one without it. */
		ssize_t n = send(digest->operation_fd, p, size, MSG_MORE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negative_errno();
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

int digest_end(struct digest *digest, char ret[DIGEST_STRING_SIZE])
{
	uint8_t sum[SHA256_SIZE];
	ssize_t n;
	int r = 0;

	if (send(digest->operation_fd, NULL, 0, 0) < 0)
		r = negative_errno();
	if (r == 0) {
		do {
			n = read(digest->operation_fd, sum, sizeof(sum));
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			r = negative_errno();
		else if (n != (ssize_t)sizeof(sum))
			r = -EIO;
	}
	digest_abandon(digest);
	if (r < 0)
		return r;

	memcpy(ret, "sha256:", 7);
	for (size_t i = 0; i < sizeof(sum); i++)
		snprintf(ret + 7 + 2 * i, 3, "%02x", sum[i]);
	return 0;
}

void digest_abandon(struct digest *digest)
{
	if (digest->operation_fd >= 0)
		close(digest->operation_fd);
	if (digest->algorithm_fd >= 0)
		close(digest->algorithm_fd);
	digest->operation_fd = digest->algorithm_fd = -1;
}

int digest_buffer(const void *data, size_t size, char ret[DIGEST_STRING_SIZE])
{
	struct digest digest;
	int r = digest_begin(&digest);

	if (r < 0)
		return r;
	r = digest_update(&digest, data, size);
	if (r < 0) {
		digest_abandon(&digest);
		return r;
	}
	return digest_end(&digest, ret);
}
