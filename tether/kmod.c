// SPDX-License-Identifier: MIT
#include "kmod.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"

#define DEP_FILE_MAX (8u << 20)
/* modules.dep lists the whole closure, so real chains are short; deeper means a cycle. */
#define DEPTH_MAX 32

const char *const kmod_boot_modules[] = {
	/* buses and disks */
	"virtio_pci",
	"virtio_mmio",
	"virtio_blk",
	"virtio_scsi",
	"sd_mod",
	"sr_mod",
	/* host channel: virtio-serial and vsock (loopback too, for testing in one guest) */
	"virtio_console",
	"vmw_vsock_virtio_transport",
	"vsock_loopback",
	/* filesystems of layer, scratch, volume and config disks */
	"overlay",
	"squashfs",
	"isofs",
	"ext4",
	/* sha256 through the kernel's crypto API, for digests reported to the host */
	"algif_hash",
};
const size_t kmod_boot_modules_count = ARRAY_SIZE(kmod_boot_modules);

/* "kernel/fs/overlayfs/overlay.ko.xz" -> "overlay"; '-' becomes '_' as the kernel does. */
static char *name_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name, *suffix;

	base = base ? base + 1 : path;
	name = strdup(base);
	if (!name)
		return NULL;
	suffix = strstr(name, ".ko");
	if (suffix)
		*suffix = '\0';
	for (char *p = name; *p; p++) {
		if (*p == '-')
			*p = '_';
	}
	return name;
}

static void normalise_name(const char *name, char *out, size_t out_size)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < out_size; i++)
		out[i] = name[i] == '-' ? '_' : name[i];
	out[i] = '\0';
}

static int push_string(char ***array, size_t *count, char *value)
{
	char **grown = realloc(*array, (*count + 1) * sizeof(**array));

	if (!grown) {
		free(value);
		return -ENOMEM;
	}
	grown[(*count)++] = value;
	*array = grown;
	return 0;
}

/* One line of modules.dep: "path: dep dep ...". */
static int parse_dep_line(char *line, struct kmod_index *index)
{
	struct kmod_module module = { 0 };
	struct kmod_module *grown;
	char *colon = strchr(line, ':');
	char *save = NULL;
	int r;

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (line[0] == '\0')
		return -EINVAL;

	module.path = strdup(line);
	module.name = name_from_path(line);
	if (!module.path || !module.name) {
		r = -ENOMEM;
		goto fail;
	}
	for (char *dep = strtok_r(colon + 1, " \t", &save); dep;
	     dep = strtok_r(NULL, " \t", &save)) {
		char *copy = strdup(dep);

		if (!copy) {
			r = -ENOMEM;
			goto fail;
		}
		r = push_string(&module.deps, &module.n_deps, copy);
		if (r < 0)
			goto fail;
	}

	grown = realloc(index->modules, (index->n_modules + 1) * sizeof(*grown));
	if (!grown) {
		r = -ENOMEM;
		goto fail;
	}
	grown[index->n_modules++] = module;
	index->modules = grown;
	return 0;

fail:
	free(module.path);
	free(module.name);
	for (size_t i = 0; i < module.n_deps; i++)
		free(module.deps[i]);
	free(module.deps);
	return r;
}

static int parse_lines(char *text, struct kmod_index *index, bool builtin)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int r;

		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		if (builtin) {
			char *name = name_from_path(line);

			r = name ? push_string(&index->builtin, &index->n_builtin, name) : -ENOMEM;
		} else {
			r = parse_dep_line(line, index);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int kmod_index_parse(const char *dep_text, const char *builtin_text, struct kmod_index *ret)
{
	struct kmod_index index = { 0 };
	_cleanup_free_ char *deps = strdup(dep_text);
	_cleanup_free_ char *builtin = builtin_text ? strdup(builtin_text) : NULL;
	int r;

	if (!deps || (builtin_text && !builtin))
		return -ENOMEM;

	r = parse_lines(deps, &index, false);
	if (r == 0 && builtin)
		r = parse_lines(builtin, &index, true);
	if (r < 0) {
		kmod_index_free(&index);
		return r;
	}
	*ret = index;
	return 0;
}

int kmod_index_load(const char *dir, struct kmod_index *ret)
{
	_cleanup_free_ char *dep_text = NULL, *builtin_text = NULL;
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	r = fileio_read(path, DEP_FILE_MAX, &dep_text, NULL);
	if (r < 0)
		return r;

	snprintf(path, sizeof(path), "%s/modules.builtin", dir);
	r = fileio_read(path, DEP_FILE_MAX, &builtin_text, NULL);
	if (r < 0 && r != -ENOENT)
		return r;

	return kmod_index_parse(dep_text, builtin_text, ret);
}

void kmod_index_free(struct kmod_index *index)
{
	for (size_t i = 0; i < index->n_modules; i++) {
		struct kmod_module *module = &index->modules[i];

		free(module->name);
		free(module->path);
		for (size_t j = 0; j < module->n_deps; j++)
			free(module->deps[j]);
		free(module->deps);
	}
	free(index->modules);
	for (size_t i = 0; i < index->n_builtin; i++)
		free(index->builtin[i]);
	free(index->builtin);
	*index = (struct kmod_index){ 0 };
}

static const struct kmod_module *find_by_name(const struct kmod_index *index, const char *name)
{
	for (size_t i = 0; i < index->n_modules; i++) {
		if (strcmp(index->modules[i].name, name) == 0)
			return &index->modules[i];
	}
	return NULL;
}

static const struct kmod_module *find_by_path(const struct kmod_index *index, const char *path)
{
	for (size_t i = 0; i < index->n_modules; i++) {
		if (strcmp(index->modules[i].path, path) == 0)
			return &index->modules[i];
	}
	return NULL;
}

static bool is_builtin(const struct kmod_index *index, const char *name)
{
	for (size_t i = 0; i < index->n_builtin; i++) {
		if (strcmp(index->builtin[i], name) == 0)
			return true;
	}
	return false;
}

static bool plan_contains(const struct kmod_plan *plan, const struct kmod_module *module)
{
	for (size_t i = 0; i < plan->n_steps; i++) {
		if (plan->steps[i] == module)
			return true;
	}
	return false;
}

static int plan_module(const struct kmod_index *index, const struct kmod_module *module,
		       struct kmod_plan *plan, unsigned int depth)
{
	if (plan_contains(plan, module))
		return 0;
	if (depth > DEPTH_MAX)
		return -ELOOP;

	/*
	 * modules.dep lists a module's whole dependency closure with the ones to load first at
	 * the end, which is the order modprobe uses: walk it backwards.
	 */
	for (size_t i = module->n_deps; i-- > 0;) {
		const struct kmod_module *dep = find_by_path(index, module->deps[i]);
		int r;

		if (!dep) {
			_cleanup_free_ char *name = name_from_path(module->deps[i]);

			snprintf(plan->missing, sizeof(plan->missing), "%s",
				 name ? name : module->deps[i]);
			return -ENOENT;
		}
		r = plan_module(index, dep, plan, depth + 1);
		if (r < 0)
			return r;
	}

	if (plan_contains(plan, module))
		return 0;
	if (plan->n_steps == KMOD_PLAN_MAX)
		return -E2BIG;
	plan->steps[plan->n_steps++] = module;
	return 0;
}

int kmod_plan_add(const struct kmod_index *index, const char *name, struct kmod_plan *plan)
{
	const struct kmod_module *module;
	char normal[64];

	normalise_name(name, normal, sizeof(normal));
	module = find_by_name(index, normal);
	if (!module) {
		if (is_builtin(index, normal))
			return 1;
		snprintf(plan->missing, sizeof(plan->missing), "%s", normal);
		return -ENOENT;
	}
	return plan_module(index, module, plan, 0);
}

unsigned int kmod_init_flags(const char *path)
{
	static const char *const compressed[] = { ".ko.xz", ".ko.zst", ".ko.gz" };
	size_t length = strlen(path);

	for (size_t i = 0; i < ARRAY_SIZE(compressed); i++) {
		size_t suffix = strlen(compressed[i]);

		if (length > suffix && strcmp(path + length - suffix, compressed[i]) == 0)
			return MODULE_INIT_COMPRESSED_FILE;
	}
	return 0;
}

int kmod_insert(int dir_fd, const char *path)
{
	_cleanup_close_ int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return negative_errno();
	if (syscall(SYS_finit_module, fd, "", kmod_init_flags(path)) < 0) {
		if (errno == EEXIST)
			return 0;
		return negative_errno();
	}
	return 0;
}
