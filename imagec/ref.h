/* SPDX-License-Identifier: MIT */
#ifndef IMAGEC_REF_H
#define IMAGEC_REF_H

/*
 * An image reference as registries and users write it: [HOST[:PORT]/]PATH[:TAG][@DIGEST].
 * A reference without a host names Docker Hub (docker.io, with "library/" for one-component
 * paths); without a tag or digest it means the tag "latest".
 */
struct ref {
	char *registry;	  /* "docker.io", "127.0.0.1:5000" */
	char *repository; /* "library/busybox" */
	char *tag;	  /* NULL when only a digest was given */
	char *digest;	  /* NULL unless "@sha256:..." was given */
};

/* Parse text. Returns 0 or -EINVAL with a reason naming the bad part. */
int ref_parse(const char *text, struct ref *ret);
void ref_free(struct ref *ref);

/* "REGISTRY/REPOSITORY:TAG" (the tag "latest" when none was given): the name a tag has. */
char *ref_tag_name(const struct ref *ref);

/* The host to contact: Docker Hub's registry for "docker.io", else the registry itself. */
const char *ref_api_host(const struct ref *ref);

/* A platform as --platform writes it: OS/ARCH[/VARIANT]. */
struct platform {
	char os[32];
	char architecture[32];
	char variant[32];
};

/* Parse "linux/arm64/v8". Returns 0 or -EINVAL with a reason. */
int ref_parse_platform(const char *text, struct platform *ret);

/* The platform this program was built for, e.g. linux/amd64. */
void ref_host_platform(struct platform *ret);

#endif
