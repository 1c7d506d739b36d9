// SPDX-License-Identifier: MIT
#include "rootfs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "../common/cleanup.h"

#define LAYERS_DIR ROOTFS_LAYERS_DIR
#define SCRATCH_DIR ROOTFS_SCRATCH_DIR

static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return negative_errno();
	return 0;
}

int rootfs_mount_disk(const struct blockdev *device, const char *target, unsigned long flags,
		      const char *options)
{
	int r = make_dir(target, 0755);

	if (r < 0)
		return r;
	if (device->fstype[0] == '\0')
		return -EMEDIUMTYPE;
	if (mount(device->node, target, device->fstype, flags, options) < 0)
		return negative_errno();
	return 0;
}

/* Say what failed, and on which object (a disk, a directory). */
static void error_at(struct rootfs_error *e, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void error_at(struct rootfs_error *e, const char *object, const char *fmt, ...)
{
	va_list ap;

	snprintf(e->object, sizeof(e->object), "%s", object);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

static int find_disk(const struct blockdev_list *disks, const struct config_disk *disk,
		     const char *role, const struct blockdev **ret, struct rootfs_error *e)
{
	char what[192];
	int r = blockdev_find(disks, disk, ret);

	if (r < 0) {
		blockdev_describe(disk, what, sizeof(what));
		error_at(e, what, "%s disk %s: %s", role, what,
			 r == -ENOTUNIQ ? "more than one disk matches" : "not found");
	}
	return r;
}

static int mount_failed(int r, const char *role, const struct blockdev *device, const char *target,
			struct rootfs_error *e)
{
	if (r == -EMEDIUMTYPE)
		error_at(e, device->node, "%s disk '%s' (serial '%s'): no filesystem on it", role,
			 device->node, device->serial);
	else
		error_at(e, device->node, "mount %s disk '%s' (%s) at '%s': %s", role, device->node,
			 device->fstype, target, strerror(-r));
	return r;
}

static int assemble_disk(const struct config_root *root, const struct blockdev_list *disks,
			 struct rootfs_error *e)
{
	const struct blockdev *device;
	int r = find_disk(disks, &root->disk, "root", &device, e);

	if (r < 0)
		return r;
	/* The workload gets its devices from tether's /dev: nodes in the image stay inert. */
	r = rootfs_mount_disk(device, ROOTFS_ROOT, MS_NODEV, NULL);
	if (r < 0)
		return mount_failed(r, "root", device, ROOTFS_ROOT, e);
	return 0;
}

/* The upper and work directories, on the scratch disk or on a tmpfs. */
static int prepare_scratch(const struct config_root *root, const struct blockdev_list *disks,
			   struct rootfs_error *e)
{
	const struct blockdev *device;
	int r;

	if (root->has_scratch) {
		r = find_disk(disks, &root->scratch, "scratch", &device, e);
		if (r < 0)
			return r;
		r = rootfs_mount_disk(device, SCRATCH_DIR, MS_NOSUID | MS_NODEV, NULL);
		if (r < 0)
			return mount_failed(r, "scratch", device, SCRATCH_DIR, e);
	} else {
		r = make_dir(SCRATCH_DIR, 0755);
		if (r == 0 &&
		    mount("scratch", SCRATCH_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
			r = negative_errno();
		if (r < 0) {
			error_at(e, SCRATCH_DIR, "mount tmpfs at '%s': %s", SCRATCH_DIR,
				 strerror(-r));
			return r;
		}
	}

	r = make_dir(SCRATCH_DIR "/upper", 0755);
	if (r == 0)
		r = make_dir(SCRATCH_DIR "/work", 0700);
	if (r < 0)
		error_at(e, SCRATCH_DIR, "create upper and work directories in '%s': %s",
			 SCRATCH_DIR, strerror(-r));
	return r;
}

static int assemble_layers(const struct config_root *root, const struct blockdev_list *disks,
			   struct rootfs_error *e)
{
	char options[4096], target[64];
	size_t used;
	int r;

	r = make_dir(LAYERS_DIR, 0700);
	if (r < 0) {
		error_at(e, LAYERS_DIR, "create '%s': %s", LAYERS_DIR, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < root->n_layers; i++) {
		const struct blockdev *device;

		r = find_disk(disks, &root->layers[i], "layer", &device, e);
		if (r < 0)
			return r;
		snprintf(target, sizeof(target), LAYERS_DIR "/%zu", i);
		r = rootfs_mount_disk(device, target, MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
		if (r < 0)
			return mount_failed(r, "layer", device, target, e);
	}

	r = prepare_scratch(root, disks, e);
	if (r < 0)
		return r;

	/*
	 * overlayfs lists lower directories top first; the config lists layers bottom first.
	 * No redirects and no metacopy: the upper directory stays a self-contained diff.
	 */
	used = (size_t)snprintf(options, sizeof(options), "lowerdir=");
	for (size_t i = root->n_layers; i-- > 0;)
		used += (size_t)snprintf(options + used, sizeof(options) - used,
					 LAYERS_DIR "/%zu%s", i, i ? ":" : "");
	snprintf(options + used, sizeof(options) - used,
		 ",upperdir=" SCRATCH_DIR "/upper,workdir=" SCRATCH_DIR
		 "/work,redirect_dir=off,metacopy=off");

	r = make_dir(ROOTFS_ROOT, 0755);
	if (r == 0 && mount("overlay", ROOTFS_ROOT, "overlay", MS_NODEV, options) < 0)
		r = negative_errno();
	if (r < 0)
		error_at(e, ROOTFS_ROOT, "mount overlay of %zu layers at '%s': %s", root->n_layers,
			 ROOTFS_ROOT, strerror(-r));
	return r;
}

int rootfs_assemble(const struct config_root *root, const struct blockdev_list *disks,
		    struct rootfs_error *e)
{
	int r = make_dir(ROOTFS_STATE_DIR, 0700);

	if (r < 0) {
		error_at(e, ROOTFS_STATE_DIR, "create '%s': %s", ROOTFS_STATE_DIR, strerror(-r));
		return r;
	}
	if (root->mode == CONFIG_ROOT_DISK)
		return assemble_disk(root, disks, e);
	return assemble_layers(root, disks, e);
}
