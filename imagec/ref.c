// SPDX-License-Identifier: MIT
#include "ref.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "digest.h"
#include "error.h"

#define REF_TAG_MAX 128
#define REF_NAME_MAX 255

static bool ref_is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: lowercase alphanumerics separated by '.', '_', '__' or runs of '-'. */
static bool ref_component_is_valid(const char *start, size_t length)
{
	if (length == 0 || !ref_is_lower_alnum(start[0]) || !ref_is_lower_alnum(start[length - 1]))
		return false;
	for (size_t i = 1; i < length; i++) {
		char c = start[i];

		if (ref_is_lower_alnum(c) || c == '-')
			continue;
		if (c == '.' && ref_is_lower_alnum(start[i - 1]))
			continue;
		if (c == '_' &&
		    (ref_is_lower_alnum(start[i - 1]) ||
		     (start[i - 1] == '_' && i >= 2 && ref_is_lower_alnum(start[i - 2]))))
			continue;
		return false;
	}
	return true;
}

static bool ref_repository_is_valid(const char *repository)
{
	const char *start = repository;

	if (strlen(repository) > REF_NAME_MAX)
		return false;
	for (;;) {
		const char *slash = strchr(start, '/');
		size_t length = slash ? (size_t)(slash - start) : strlen(start);

		if (!ref_component_is_valid(start, length))
			return false;
		if (!slash)
			return true;
		start = slash + 1;
	}
}

static bool ref_tag_is_valid(const char *tag)
{
	size_t length = strlen(tag);

	if (length == 0 || length > REF_TAG_MAX || tag[0] == '.' || tag[0] == '-')
		return false;
	return strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       length;
}

static bool ref_host_is_valid(const char *host)
{
	size_t length = strlen(host);

	return length > 0 && length <= REF_NAME_MAX &&
	       strspn(host,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
		       length &&
	       host[0] != '-' && host[0] != '.';
}

/* The first component is a registry host when it looks like one: a dot, a port, localhost. */
static bool ref_names_host(const char *component, size_t length)
{
	return memchr(component, '.', length) || memchr(component, ':', length) ||
	       (length == 9 && memcmp(component, "localhost", 9) == 0) ||
	       memchr(component, '[', length);
}

static int ref_split(char *copy, struct ref *ref)
{
	char *name = copy;
	char *at = strchr(copy, '@');
	char *slash = strchr(copy, '/');
	char *colon;

	if (at) {
		*at = '\0';
		if (strncmp(at + 1, "sha256:", 7) != 0)
			return error_set(-EINVAL, "digest '%s': only sha256 digests are supported",
					 at + 1);
		if (!digest_is_valid(at + 1))
			return error_set(-EINVAL, "digest '%s' is not sha256: and 64 lowercase hex",
					 at + 1);
		ref->digest = strdup(at + 1);
	}
	if (slash && ref_names_host(copy, (size_t)(slash - copy))) {
		*slash = '\0';
		ref->registry = strdup(copy);
		name = slash + 1;
	} else {
		ref->registry = strdup("docker.io");
	}
	colon = strrchr(name, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = '\0';
		ref->tag = strdup(colon + 1);
	} else if (!at) {
		ref->tag = strdup("latest");
	}
	if (strcmp(ref->registry, "docker.io") == 0 && !strchr(name, '/')) {
		if (asprintf(&ref->repository, "library/%s", name) < 0)
			ref->repository = NULL;
	} else {
		ref->repository = strdup(name);
	}
	if (!ref->registry || !ref->repository || (colon && !ref->tag) || (at && !ref->digest))
		return -ENOMEM;
	return 0;
}

int ref_parse(const char *text, struct ref *ret)
{
	_cleanup_free_ char *copy = NULL;
	struct ref ref = { 0 };
	int r;

	if (!*text)
		return error_set(-EINVAL, "empty image reference");
	/* A URL: the scheme is not part of a reference; HTTP or HTTPS is --insecure-http's. */
	if (strstr(text, "://"))
		return error_set(-EINVAL,
				 "reference '%s' has a scheme: a reference is "
				 "[HOST[:PORT]/]NAME[:TAG][@sha256:HEX], without 'https://' (for "
				 "plain HTTP, --insecure-http)",
				 text);
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	r = ref_split(copy, &ref);
	if (r >= 0 && !ref_host_is_valid(ref.registry))
		r = error_set(-EINVAL, "reference '%s': bad registry host '%s'", text,
			      ref.registry);
	if (r >= 0 && !ref_repository_is_valid(ref.repository))
		r = error_set(-EINVAL,
			      "reference '%s': bad repository '%s' (lowercase letters, digits and "
			      "separators '.', '_', '-', '/')",
			      text, ref.repository);
	if (r >= 0 && ref.tag && !ref_tag_is_valid(ref.tag))
		r = error_set(-EINVAL, "reference '%s': bad tag '%s'", text, ref.tag);
	if (r < 0) {
		ref_free(&ref);
		return r;
	}
	*ret = ref;
	return 0;
}

void ref_free(struct ref *ref)
{
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	*ref = (struct ref){ 0 };
}

char *ref_tag_name(const struct ref *ref)
{
	char *name;

	if (asprintf(&name, "%s/%s:%s", ref->registry, ref->repository,
		     ref->tag ? ref->tag : "latest") < 0)
		return NULL;
	return name;
}

const char *ref_api_host(const struct ref *ref)
{
	if (strcmp(ref->registry, "docker.io") == 0)
		return "registry-1.docker.io";
	return ref->registry;
}

static int ref_platform_part(const char *text, const char *start, size_t length, char *ret,
			     size_t size)
{
	if (length == 0 || length >= size ||
	    strspn(start, "abcdefghijklmnopqrstuvwxyz0123456789_") < length)
		return error_set(-EINVAL, "platform '%s': want OS/ARCH[/VARIANT] in lowercase",
				 text);
	memcpy(ret, start, length);
	ret[length] = '\0';
	return 0;
}

int ref_parse_platform(const char *text, struct platform *ret)
{
	struct platform platform = { 0 };
	char *parts[3] = { platform.os, platform.architecture, platform.variant };
	const char *start = text;
	size_t count = 0;

	for (;;) {
		const char *slash = strchr(start, '/');
		size_t length = slash ? (size_t)(slash - start) : strlen(start);
		int r;

		if (count == 3)
			return error_set(-EINVAL, "platform '%s': want OS/ARCH[/VARIANT]", text);
		r = ref_platform_part(text, start, length, parts[count++], 32);
		if (r < 0)
			return r;
		if (!slash)
			break;
		start = slash + 1;
	}
	if (count < 2)
		return error_set(-EINVAL, "platform '%s': want OS/ARCH[/VARIANT]", text);
	*ret = platform;
	return 0;
}

void ref_host_platform(struct platform *ret)
{
	*ret = (struct platform){ .os = "linux" };
#if defined(__x86_64__)
	strcpy(ret->architecture, "amd64");
#elif defined(__aarch64__)
	strcpy(ret->architecture, "arm64");
#elif defined(__i386__)
	strcpy(ret->architecture, "386");
#elif defined(__riscv) && __riscv_xlen == 64
	strcpy(ret->architecture, "riscv64");
#else
	strcpy(ret->architecture, "unknown");
#endif
}
