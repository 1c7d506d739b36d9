/* SPDX-License-Identifier: MIT */
/*
 * The command line of `cvm run` (docs/cvm.md): options, volume specs, sizes. Parsing only
 * checks what can be checked without the image or the store; it never prints.
 */
#ifndef CVM_OPTIONS_H
#define CVM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* virtio-blk disks take a PCI slot each: the volumes a VM gets, besides root and config. */
#define OPTIONS_VOLUMES_MAX 16
#define OPTIONS_ENV_MAX 1024
#define OPTIONS_MEMORY_DEFAULT_MIB 256
/* Less does not boot: the kernel and the unpacked initramfs need it (64M did not). */
#define OPTIONS_MEMORY_MIN_MIB 128
#define OPTIONS_MEMORY_MAX_MIB (256 * 1024)
#define OPTIONS_CPUS_MAX 64
#define OPTIONS_STOP_TIMEOUT_DEFAULT 10
#define OPTIONS_STOP_TIMEOUT_MAX 3600

/* -v NAME:/path[:ro] (a named volume in the store) or -v /abs/disk.img:/path[:ro]. */
struct options_volume {
	char *name; /* the named volume, or NULL */
	char *path; /* the disk image, or NULL */
	char *target;
	bool read_only;
};

struct options {
	const char *image; /* the reference; NULL with rootfs */
	char **command;	   /* COMMAND [ARG...] after IMAGE, into argv; command_count of them */
	size_t command_count;
	struct options_volume volumes[OPTIONS_VOLUMES_MAX];
	size_t volume_count;
	char *env[OPTIONS_ENV_MAX]; /* K=V, owned */
	size_t env_count;
	const char *workdir;
	const char *user;
	const char *entrypoint; /* with has_entrypoint; "" clears the image's */
	bool has_entrypoint;
	const char *hostname;
	unsigned int memory_mib;
	unsigned int cpus;
	int stop_signal; /* 0: the image's or tether's default */
	unsigned int stop_timeout_s;
	unsigned int timeout_s; /* 0: none */
	bool interactive;
	bool flatten;
	const char *events;
	const char *store;
	const char *iso;
	const char *kernel;
	const char *initrd;
	const char *rootfs;
	const char *console;
	const char *commit; /* NAME:TAG of the image the container's writes become, or NULL */
	const char *author; /* ... its author and message */
	const char *message;
	bool help;
	bool version;
};

/*
 * Parse `cvm run`'s arguments (argv[0] is "run"). COMMAND and its arguments point into argv.
 * Returns 0, or -EINVAL with the reason in err. Release with options_free() either way.
 */
int options_parse(int argc, char **argv, struct options *ret, char *err, size_t err_size);
void options_free(struct options *options);

/* One -v spec into volume (owned strings). Returns 0, or -EINVAL with the reason in err. */
int options_parse_volume(const char *spec, struct options_volume *volume, char *err,
			 size_t err_size);
void options_volume_free(struct options_volume *volume);

/* A memory size: bytes, or a number with b, k, m, g (any case). Returns 0 or -EINVAL. */
int options_parse_size(const char *text, uint64_t *ret_bytes);

/* A volume name: a letter or digit, then letters, digits, '_', '.', '-'; at most 64. */
bool options_volume_name_valid(const char *name);

#endif
