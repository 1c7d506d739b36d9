/* SPDX-License-Identifier: MIT */
/*
 * The container VM's configuration: config.json on the config disk, schema version 1
 * (docs/config.md). Parsing is strict: duplicate keys, unknown keys, wrong types and values
 * out of range are errors whose message starts with the JSON path of the offending value.
 */
#ifndef TETHER_CONFIG_H
#define TETHER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "transport.h"

#define CONFIG_VERSION 1
#define CONFIG_SIZE_MAX (1u << 20)
#define CONFIG_LAYERS_MAX 64
#define CONFIG_VOLUMES_MAX 32
#define CONFIG_RLIMITS_MAX 16

enum config_selector {
	CONFIG_SELECT_SERIAL,
	CONFIG_SELECT_LABEL,
	CONFIG_SELECT_UUID,
};

/* A disk, named by what it carries: never by its position or its vdX letter. */
struct config_disk {
	enum config_selector by;
	const char *value;
};

enum config_root_mode {
	CONFIG_ROOT_DISK,
	CONFIG_ROOT_LAYERS,
};

struct config_root {
	enum config_root_mode mode;
	struct config_disk disk; /* disk mode */
	size_t n_layers;	 /* layers mode: bottom first */
	struct config_disk layers[CONFIG_LAYERS_MAX];
	bool has_scratch; /* layers mode: without it, the upper is a tmpfs */
	struct config_disk scratch;
};

struct config_volume {
	struct config_disk disk;
	const char *target;
	bool read_only;
	const char *options; /* filesystem mount options, or NULL */
};

struct config_rlimit {
	const char *name; /* "RLIMIT_NOFILE" */
	int resource;
	struct rlimit limit;
};

/* A list of strings; NULL strings means the key was absent (not the same as empty). */
struct config_strings {
	const char **strings;
	size_t count;
};

struct config_process {
	struct config_strings args;
	struct config_strings env;
	const char *cwd;
	const char *user;
	bool terminal;
	bool no_new_privs;
	size_t n_rlimits;
	struct config_rlimit rlimits[CONFIG_RLIMITS_MAX];
};

/*
 * The image: the parts of the OCI image config that are defaults for the process, and what
 * identifies it, which tether only reports to the host. Digests are "sha256:" and 64 hex.
 */
struct config_image {
	struct config_strings entrypoint;
	struct config_strings cmd;
	struct config_strings env;
	const char *working_dir;
	const char *user;
	void *labels; /* JSON object of strings, owned by json; NULL when absent */
	const char *name;
	const char *manifest_digest;
	const char *config_digest;
	struct config_strings diff_ids; /* bottom layer first */
	const char *chain_id;		/* checked against diff_ids when given */
	const char *architecture;
	const char *os;
	const char *created;
};

struct config {
	struct config_root root;
	size_t n_volumes;
	struct config_volume volumes[CONFIG_VOLUMES_MAX];
	struct config_process process;
	struct config_image image;
	const char *hostname;
	int stop_signal;
	unsigned int stop_grace_ms;
	unsigned int disk_timeout_ms; /* 0: the kernel command line's tether.timeout */
	bool debug_exit;	      /* write the exit status to QEMU's isa-debug-exit port */
	bool has_commit;	      /* "commit" was given ... */
	struct config_disk commit;    /* ... naming the raw disk the layer tar goes to */
	bool has_channel;	      /* "channel" was given ... */
	struct transport channel;     /* ... and says this */
	void *json;		      /* owns every string above */
};

/*
 * Parse config.json text. Returns 0, or -EINVAL (or -ENOMEM) with "PATH: reason" in err.
 * On success the caller owns *ret and releases it with config_free().
 */
int config_parse(const char *text, size_t size, struct config *ret, char *err, size_t err_size);

void config_free(struct config *config);

/* "serial", "label" or "uuid". */
const char *config_selector_name(enum config_selector by);

#endif
