// SPDX-License-Identifier: MIT
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"
#include "inroot.h"
#include "log.h"
#include "rootfs.h"
#include "shutdown.h"
#include "supervise.h"
#include "view.h"
#include "volume.h"
#include "workload.h"

#define CONFIG_MOUNT ROOTFS_STATE_DIR "/config"
#define DEFAULT_HOSTNAME "tether"
#define ACCOUNT_FILE_MAX (4u << 20)
#define CONSOLE_DRAIN_MS 2000

static const char *container_hostname(const struct boot *boot)
{
	return boot->config.hostname ? boot->config.hostname : DEFAULT_HOSTNAME;
}

static unsigned int disk_timeout_ms(const struct boot *boot)
{
	return boot->config.disk_timeout_ms ? boot->config.disk_timeout_ms
					    : boot->options.timeout_ms;
}

/* blockdev_wait() into the boot's disk list, saying so when there were too many to look at. */
static int wait_for_disks(struct boot *boot, const struct config_disk *const *disks, size_t n,
			  unsigned int timeout_ms, const struct config_disk **ret_missing)
{
	int r = blockdev_wait(disks, n, timeout_ms, &boot->disks, ret_missing);

	if (boot->disks.truncated)
		log_warning("more than %d block devices: only the first were looked at",
			    BLOCKDEV_MAX);
	return r;
}

static int read_config_file(const struct blockdev *device, char **ret_text, size_t *ret_size)
{
	int r, unmounted;

	if (mkdir(ROOTFS_STATE_DIR, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	r = rootfs_mount_disk(device, CONFIG_MOUNT, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			      NULL);
	if (r < 0)
		return r;
	r = fileio_read(CONFIG_MOUNT "/config.json", CONFIG_SIZE_MAX, ret_text, ret_size);
	unmounted = umount2(CONFIG_MOUNT, 0);
	if (r == 0 && unmounted < 0)
		log_warning("unmount '%s': %s, continuing", CONFIG_MOUNT, strerror(errno));
	return r;
}

int container_config(struct boot *boot)
{
	static const struct config_disk config_disk = { .by = CONFIG_SELECT_LABEL,
							.value = CONTAINER_CONFIG_LABEL };
	const struct config_disk *const wanted[] = { &config_disk };
	const struct config_disk *missing = NULL;
	const struct blockdev *device;
	_cleanup_free_ char *text = NULL;
	char err[512];
	size_t size;
	int r;

	r = wait_for_disks(boot, wanted, 1, boot->options.timeout_ms, &missing);
	if (r == -ETIMEDOUT) {
		log_error("config disk (label '%s') not found after %u s", CONTAINER_CONFIG_LABEL,
			  boot->options.timeout_ms / 1000);
		return r;
	}
	if (r < 0) {
		log_error("config disk (label '%s'): %s", CONTAINER_CONFIG_LABEL,
			  r == -ENOTUNIQ ? "more than one disk has that label" : strerror(-r));
		return r;
	}
	blockdev_find(&boot->disks, &config_disk, &device);
	log_debug("config disk: '%s'", device->node);

	r = read_config_file(device, &text, &size);
	if (r < 0) {
		log_error("read 'config.json' from config disk '%s' (%s): %s", device->node,
			  device->fstype[0] ? device->fstype : "no filesystem",
			  r == -EMEDIUMTYPE ? "no filesystem on it" : strerror(-r));
		return r;
	}
	r = config_parse(text, size, &boot->config, err, sizeof(err));
	if (r < 0) {
		log_error("config.json: %s", err);
		return r;
	}
	log_info("config: %zu bytes from '%s', root mode '%s', %zu volumes", size, device->node,
		 boot->config.root.mode == CONFIG_ROOT_DISK ? "disk" : "layers",
		 boot->config.n_volumes);
	return 0;
}

/* Every disk the config names, in a fixed order: root or layers, scratch, volumes. */
static size_t named_disks(const struct config *config, const struct config_disk **disks)
{
	size_t n = 0;

	if (config->root.mode == CONFIG_ROOT_DISK) {
		disks[n++] = &config->root.disk;
	} else {
		for (size_t i = 0; i < config->root.n_layers; i++)
			disks[n++] = &config->root.layers[i];
		if (config->root.has_scratch)
			disks[n++] = &config->root.scratch;
	}
	for (size_t i = 0; i < config->n_volumes; i++)
		disks[n++] = &config->volumes[i].disk;
	return n;
}

int container_disks(struct boot *boot)
{
	const struct config_disk *disks[CONFIG_LAYERS_MAX + 1 + CONFIG_VOLUMES_MAX];
	const struct config_disk *missing = NULL;
	size_t n = named_disks(&boot->config, disks);
	unsigned int timeout = disk_timeout_ms(boot);
	char what[192];
	int r;

	r = wait_for_disks(boot, disks, n, timeout, &missing);
	for (size_t i = 0; i < boot->disks.count; i++) {
		const struct blockdev *d = &boot->disks.devices[i];

		log_info("disk '%s': serial '%s', %llu MiB, filesystem '%s', label '%s', uuid '%s'",
			 d->name, d->serial, (unsigned long long)(d->size >> 20), d->fstype,
			 d->label, d->uuid);
	}
	if (r == -ETIMEDOUT) {
		log_error("disk %s: not found after %u s",
			  blockdev_describe(missing, what, sizeof(what)), timeout / 1000);
		return r;
	}
	if (r == -ENOTUNIQ) {
		log_error("disk %s: more than one disk matches",
			  blockdev_describe(missing, what, sizeof(what)));
		return r;
	}
	if (r < 0)
		log_error("scan disks: %s", strerror(-r));
	return r;
}

int container_root(struct boot *boot)
{
	char err[512];
	int r;

	r = rootfs_assemble(&boot->config.root, &boot->disks, err, sizeof(err));
	if (r < 0) {
		log_error("container root: %s", err);
		return r;
	}
	boot->root_fd = open(ROOTFS_ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (boot->root_fd < 0) {
		r = negative_errno();
		log_error("open '%s': %s", ROOTFS_ROOT, strerror(-r));
		return r;
	}
	return 0;
}

int container_volumes(struct boot *boot)
{
	char err[512];
	int r;

	r = volume_mount_all(&boot->config, &boot->disks, boot->root_fd, err, sizeof(err));
	if (r < 0)
		log_error("%s", err);
	return r;
}

int container_view(struct boot *boot)
{
	char err[512];
	int r;

	r = view_setup(boot->root_fd, container_hostname(boot), err, sizeof(err));
	if (r < 0)
		log_error("container view: %s", err);
	return r;
}

/* The container's own account file, read before anything runs as the workload's user. */
static char *read_account_file(int root_fd, const char *path)
{
	_cleanup_close_ int fd = -1;
	char *text = NULL;
	char fd_path[64];
	struct stat st;
	int r;

	/* Non-blocking: an image may hold a FIFO or a device node under that name. */
	r = inroot_open_file(root_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, &fd);
	if (r == -ENOENT)
		return NULL;
	if (r == 0 && fstat(fd, &st) < 0)
		r = negative_errno();
	if (r == 0 && !S_ISREG(st.st_mode))
		r = -EBADFD;
	if (r == 0)
		r = fileio_read(inroot_fd_path(fd, fd_path, sizeof(fd_path)), ACCOUNT_FILE_MAX,
				&text, NULL);
	if (r < 0)
		log_warning("'%s' in the image: %s, reading it as absent", path,
			    r == -EBADFD ? "not a regular file" : strerror(-r));
	return text;
}

static void log_started(pid_t pid, const struct workload *workload)
{
	char text[512];
	size_t used = 0;

	for (size_t i = 0; workload->argv[i] && used < sizeof(text); i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s'%s'", i ? " " : "",
					 workload->argv[i]);
	log_info("started pid %d as uid %u gid %u: %s", (int)pid,
		 (unsigned int)workload->identity.uid, (unsigned int)workload->identity.gid, text);
}

int container_run(struct boot *boot)
{
	struct supervise_options options = { .stop_signal = boot->config.stop_signal,
					     .stop_grace_ms = boot->config.stop_grace_ms };
	_cleanup_free_ char *passwd = read_account_file(boot->root_fd, "/etc/passwd");
	_cleanup_free_ char *group = read_account_file(boot->root_fd, "/etc/group");
	_cleanup_close_ int signal_fd = -1;
	struct workload workload;
	struct exit_status exit;
	bool stop_requested;
	char err[512];
	int failed_status;
	pid_t pid;
	int r;

	r = workload_prepare(&boot->config, container_hostname(boot), passwd, group, &workload, err,
			     sizeof(err));
	if (r < 0) {
		log_error("workload: %s", err);
		return r;
	}

	signal_fd = supervise_signals_open();
	if (signal_fd < 0) {
		r = signal_fd;
		log_error("signalfd: %s", strerror(-r));
		goto out;
	}
	r = workload_start(&workload, ROOTFS_ROOT, &pid, &failed_status, err, sizeof(err));
	if (r < 0) {
		log_error("start the workload: %s", strerror(-r));
		goto out;
	}
	if (failed_status) {
		/* The workload never ran: its status is the shell's 126/127 (or 125), not ours. */
		log_error("workload: %s (exit status %d)", err, failed_status);
		boot->exit_status = failed_status;
		goto out;
	}
	log_started(pid, &workload);

	r = supervise_run(signal_fd, pid, &options, &exit, &stop_requested);
	if (r < 0) {
		log_error("supervise pid %d: %s", (int)pid, strerror(-r));
		goto out;
	}
	boot->exit_status = exit.status;

	/*
	 * The workload wrote to the console through the tty layer, which may still hold the
	 * output: let it reach the host before the exit is reported (and QEMU possibly ends).
	 */
	shutdown_drain_console(CONSOLE_DRAIN_MS);
	log_notice("workload %s%s", exitstatus_describe(&exit, err, sizeof(err)),
		   stop_requested ? ", after a stop request" : "");
out:
	workload_free(&workload);
	return r;
}
