/* SPDX-License-Identifier: MIT */
/*
 * Kernel modules by name: modules.dep and modules.builtin are read into an index, a plan
 * lists the module files to insert with every dependency before its user, and each file is
 * inserted with finit_module(). Built-in and already-loaded modules count as loaded.
 */
#ifndef TETHER_KMOD_H
#define TETHER_KMOD_H

#include <linux/module.h>
#include <stddef.h>

#define KMOD_PLAN_MAX 128

struct kmod_module {
	char *name;  /* normalised: '-' reads as '_', no ".ko" suffix */
	char *path;  /* relative to the modules directory */
	char **deps; /* paths, as modules.dep lists them */
	size_t n_deps;
};

struct kmod_index {
	struct kmod_module *modules;
	size_t n_modules;
	char **builtin; /* normalised names */
	size_t n_builtin;
};

struct kmod_plan {
	const struct kmod_module *steps[KMOD_PLAN_MAX];
	size_t n_steps;
	char missing[64]; /* set when kmod_plan_add() fails with -ENOENT */
};

/* The modules tether's boot path needs, in the order it loads them. */
extern const char *const kmod_boot_modules[];
extern const size_t kmod_boot_modules_count;

/* Parse the text of modules.dep and modules.builtin (which may be NULL). Returns 0 or -errno. */
int kmod_index_parse(const char *dep_text, const char *builtin_text, struct kmod_index *ret);

/* Read DIR/modules.dep and, if present, DIR/modules.builtin. Returns 0 or -errno. */
int kmod_index_load(const char *dir, struct kmod_index *ret);

void kmod_index_free(struct kmod_index *index);

/*
 * Append NAME and its dependencies, dependencies first, to plan; modules already in the plan
 * are not added again. Returns 0, 1 when NAME is built into the kernel (nothing to load),
 * -ENOENT when NAME or one of its dependencies is unknown (plan->missing names it), -ELOOP on
 * a dependency cycle, -E2BIG when the plan is full.
 */
int kmod_plan_add(const struct kmod_index *index, const char *name, struct kmod_plan *plan);

/*
 * The finit_module() flags for the module file at PATH: MODULE_INIT_COMPRESSED_FILE (Linux
 * 5.17) for a compressed one, which the kernel then decompresses itself.
 */
unsigned int kmod_init_flags(const char *path);

/*
 * Insert the module at PATH relative to dir_fd; compressed files need a kernel built with
 * CONFIG_MODULE_DECOMPRESS. Already loaded is success. Returns 0 or -errno.
 */
int kmod_insert(int dir_fd, const char *path);

#endif
