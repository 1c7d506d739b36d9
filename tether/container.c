// SPDX-License-Identifier: MIT
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"
#include "../common/protocol.h"
#include "../common/signals.h"
#include "commit.h"
#include "digest.h"
#include "inroot.h"
#include "log.h"
#include "report.h"
#include "rootfs.h"
#include "shutdown.h"
#include "supervise.h"
#include "view.h"
#include "relay.h"
#include "volume.h"
#include "vport.h"
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

/* The disks event: every block device the last scan found, logged and sent. */
static void report_disks_found(struct boot *boot)
{
	for (size_t i = 0; i < boot->disks.count; i++) {
		const struct blockdev *d = &boot->disks.devices[i];

		log_info("disk '%s': serial '%s', %llu MiB, filesystem '%s', label '%s', uuid '%s'",
			 d->name, d->serial, (unsigned long long)(d->size >> 20), d->fstype,
			 d->label, d->uuid);
	}
	channel_send(&boot->channel, PROTOCOL_DISKS, report_disks(&boot->disks));
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

/*
 * What the config event will say (it goes out after the disks event, which needs the
 * disks phase), and the channel config.json asks for.
 */
static void accept_config(struct boot *boot, const char *text, size_t size,
			  const struct blockdev *device)
{
	char transport[128];
	int r = digest_buffer(text, size, boot->config_digest);

	if (r < 0) {
		log_warning("sha256 of config.json: %s, reporting it without", strerror(-r));
		boot->config_digest[0] = '\0';
	}
	boot->config_size = size;
	boot->config_device = device;

	/* The kernel command line is the VM's own: it wins over what config.json says. */
	if (boot->config.has_channel && !boot->options.has_channel) {
		log_info("host channel: %s, as config.json says",
			 transport_format(&boot->config.channel, transport, sizeof(transport)));
		channel_open(&boot->channel, &boot->config.channel);
	}
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
	if (r < 0)
		report_disks_found(boot);
	if (r == -ETIMEDOUT)
		return boot_fail(boot, "label '" CONTAINER_CONFIG_LABEL "'", r,
				 "config disk (label '%s') not found after %u s",
				 CONTAINER_CONFIG_LABEL, boot->options.timeout_ms / 1000);
	if (r < 0)
		return boot_fail(boot, "label '" CONTAINER_CONFIG_LABEL "'", r,
				 "config disk (label '%s'): %s", CONTAINER_CONFIG_LABEL,
				 r == -ENOTUNIQ ? "more than one disk has that label"
						: strerror(-r));
	blockdev_find(&boot->disks, &config_disk, &device);
	log_debug("config disk: '%s'", device->node);

	r = read_config_file(device, &text, &size);
	if (r < 0)
		report_disks_found(boot);
	if (r < 0)
		return boot_fail(boot, device->node, r,
				 "read 'config.json' from config disk '%s' (%s): %s", device->node,
				 device->fstype[0] ? device->fstype : "no filesystem",
				 r == -EMEDIUMTYPE ? "no filesystem on it" : strerror(-r));
	r = config_parse(text, size, &boot->config, err, sizeof(err));
	if (r < 0) {
		report_disks_found(boot);
		return boot_fail(boot, "config.json", r, "config.json: %s", err);
	}
	log_info("config: %zu bytes from '%s', root mode '%s', %zu volumes", size, device->node,
		 boot->config.root.mode == CONFIG_ROOT_DISK ? "disk" : "layers",
		 boot->config.n_volumes);

	accept_config(boot, text, size, device);
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
	if (config->has_commit)
		disks[n++] = &config->commit;
	return n;
}

int container_disks(struct boot *boot)
{
	const struct config_disk *disks[CONFIG_LAYERS_MAX + 1 + CONFIG_VOLUMES_MAX + 1];
	const struct config_disk *missing = NULL;
	size_t n = named_disks(&boot->config, disks);
	unsigned int timeout = disk_timeout_ms(boot);
	char what[192] = "";
	int r;

	r = wait_for_disks(boot, disks, n, timeout, &missing);
	report_disks_found(boot);
	channel_send(&boot->channel, PROTOCOL_CONFIG,
		     report_config(boot->config_size,
				   boot->config_digest[0] ? boot->config_digest : NULL,
				   boot->config_device, &boot->config));
	channel_send(&boot->channel, PROTOCOL_IMAGE, report_image(&boot->config.image));

	if (missing)
		blockdev_describe(missing, what, sizeof(what));
	if (r == -ETIMEDOUT)
		return boot_fail(boot, what, r, "disk %s: not found after %u s", what,
				 timeout / 1000);
	if (r == -ENOTUNIQ)
		return boot_fail(boot, what, r, "disk %s: more than one disk matches", what);
	if (r < 0)
		return boot_fail(boot, "/sys/class/block", r, "scan disks: %s", strerror(-r));
	return 0;
}

int container_root(struct boot *boot)
{
	struct rootfs_error error = { 0 };
	int r;

	r = rootfs_assemble(&boot->config.root, &boot->disks, &error);
	if (r < 0)
		return boot_fail(boot, error.object, r, "container root: %s", error.message);
	boot->root_fd = open(ROOTFS_ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (boot->root_fd < 0) {
		r = negative_errno();
		return boot_fail(boot, ROOTFS_ROOT, r, "open '%s': %s", ROOTFS_ROOT, strerror(-r));
	}
	return 0;
}

int container_volumes(struct boot *boot)
{
	char err[512];
	int r;

	r = volume_mount_all(&boot->config, &boot->disks, boot->root_fd, &boot->volumes, err,
			     sizeof(err));
	if (r < 0)
		return boot_fail(boot, boot->config.volumes[boot->volumes.failed].target, r, "%s",
				 err);
	channel_send(&boot->channel, PROTOCOL_MOUNTS,
		     report_mounts(&boot->config, &boot->disks, &boot->volumes));
	return 0;
}

int container_view(struct boot *boot)
{
	char err[512];
	int r;

	r = view_setup(boot->root_fd, container_hostname(boot), err, sizeof(err));
	if (r < 0)
		return boot_fail(boot, ROOTFS_ROOT, r, "container view: %s", err);
	return 0;
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

/* The workload's stdio on the host's ports, and the channel, in the supervisor's loop. */
struct run_io {
	struct channel *channel;
	struct relay output[2]; /* stdout, stderr */
	int stdio[3];		/* the workload's: -1 keeps the console */
	size_t n_watched[3];	/* descriptors each of channel, output[0], output[1] added */
};

static int open_stdio_ports(struct boot *boot, const struct workload *workload, struct run_io *io)
{
	static const char *const output_ports[] = { PROTOCOL_STDOUT_PORT, PROTOCOL_STDERR_PORT };
	char path[300];
	int r;

	if (workload->terminal) {
		log_debug("process.terminal: stdio stays on the console, whatever ports there are");
		return 0;
	}
	if (vport_find(PROTOCOL_STDIN_PORT, path, sizeof(path)) == 0) {
		/* Read-only: the workload reads the host's bytes and cannot write back. */
		io->stdio[0] = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
		if (io->stdio[0] < 0) {
			r = negative_errno();
			return boot_fail(boot, PROTOCOL_STDIN_PORT, r, "open port '%s' ('%s'): %s",
					 PROTOCOL_STDIN_PORT, path, strerror(-r));
		}
	}
	for (size_t i = 0; i < 2; i++) {
		r = relay_open(&io->output[i], output_ports[i], &io->stdio[i + 1]);
		if (r < 0)
			return boot_fail(boot, output_ports[i], r, "open port '%s': %s",
					 output_ports[i], strerror(-r));
	}
	return 0;
}

static void close_stdio(struct run_io *io)
{
	for (size_t i = 0; i < 3; i++) {
		if (io->stdio[i] >= 0)
			close(io->stdio[i]);
		io->stdio[i] = -1;
	}
}

static size_t io_watch(void *context, struct pollfd *fds, size_t max, int *timeout_ms)
{
	struct run_io *io = context;
	size_t n = 0;

	io->n_watched[0] = (size_t)channel_pollfd(io->channel, fds, timeout_ms);
	n += io->n_watched[0];
	for (size_t i = 0; i < 2; i++) {
		io->n_watched[i + 1] = 0;
		if (io->output[i].port && n + 2 <= max) {
			io->n_watched[i + 1] = relay_pollfds(&io->output[i], fds + n, timeout_ms);
			n += io->n_watched[i + 1];
		}
	}
	return n;
}

static void io_handle(void *context, const struct pollfd *fds, size_t n)
{
	struct run_io *io = context;

	(void)n;
	channel_handle(io->channel, io->n_watched[0] ? fds[0].revents : 0);
	fds += io->n_watched[0];
	for (size_t i = 0; i < 2; i++) {
		if (io->output[i].port)
			relay_handle(&io->output[i], fds, io->n_watched[i + 1]);
		fds += io->n_watched[i + 1];
	}
}

static bool io_request(void *context, struct supervise_request *ret)
{
	struct run_io *io = context;
	struct channel_request request;

	if (!channel_take_request(io->channel, &request))
		return false;
	*ret = (struct supervise_request){
		.stop = request.kind == CHANNEL_REQUEST_STOP,
		.signal = request.signal,
		.has_grace = request.has_grace,
		.grace_ms = request.grace_ms,
	};
	if (ret->stop)
		log_info("host: stop%s", request.has_grace ? " with its own grace period" : "");
	else
		log_info("host: signal %s", signals_name(request.signal));
	return true;
}

/* All the workload wrote reaches its ports before its exit is reported. */
static void drain_outputs(struct boot *boot, struct run_io *io, int64_t output_bytes[2])
{
	for (size_t i = 0; i < 2; i++) {
		int r;

		output_bytes[i] = -1;
		if (!io->output[i].port)
			continue;
		r = relay_drain(&io->output[i], boot->options.channel_timeout_ms);
		if (r < 0)
			log_warning("port '%s': %s, %llu bytes written", io->output[i].port,
				    r == -ETIMEDOUT ? "the host did not read all of the output"
						    : strerror(-r),
				    (unsigned long long)io->output[i].bytes);
		output_bytes[i] = (int64_t)io->output[i].bytes;
	}
	/*
	 * What went to the console went through the tty layer, which may still hold it: let it
	 * reach the host before the exit is reported (and QEMU possibly ends).
	 */
	shutdown_drain_console(CONSOLE_DRAIN_MS);
}

/* The workload could not be started: 127/126 as a shell says it, or 125. */
static void report_start_failure(struct boot *boot, const struct workload *workload, int status,
				 int error, const char *message)
{
	struct exit_status exit = { .code = status, .status = status };
	const int64_t no_output[2] = { -1, -1 };

	boot_fail(boot, workload->argv[0], -error, "workload: %s (exit status %d)", message,
		  status);
	boot->exit_status = status;
	channel_send(&boot->channel, PROTOCOL_EXIT, report_exit(&exit, false, no_output));
}

int container_run(struct boot *boot)
{
	struct supervise_options options = { .stop_signal = boot->config.stop_signal,
					     .stop_grace_ms = boot->config.stop_grace_ms };
	_cleanup_free_ char *passwd = read_account_file(boot->root_fd, "/etc/passwd");
	_cleanup_free_ char *group = read_account_file(boot->root_fd, "/etc/group");
	struct run_io io = { .channel = &boot->channel, .stdio = { -1, -1, -1 } };
	struct supervise_hooks hooks = { io_watch, io_handle, io_request, &io };
	_cleanup_close_ int signal_fd = -1;
	struct workload workload;
	struct exit_status exit;
	int64_t output_bytes[2];
	bool stop_requested;
	char err[512];
	int failed_status, failed_error;
	pid_t pid;
	int r;

	r = workload_prepare(&boot->config, container_hostname(boot), passwd, group, &workload, err,
			     sizeof(err));
	if (r < 0)
		return boot_fail(boot, "process", r, "workload: %s", err);

	signal_fd = supervise_signals_open();
	if (signal_fd < 0) {
		r = boot_fail(boot, "signalfd", signal_fd, "signalfd: %s", strerror(-signal_fd));
		goto out;
	}
	r = open_stdio_ports(boot, &workload, &io);
	if (r < 0)
		goto out;
	r = workload_start(&workload, ROOTFS_ROOT, io.stdio, &pid, &failed_status, &failed_error,
			   err, sizeof(err));
	/* The workload has its copies; PID 1 keeps none, so only the workload holds them. */
	close_stdio(&io);
	if (r < 0) {
		boot_fail(boot, workload.argv[0], r, "start the workload: %s", strerror(-r));
		goto out;
	}
	if (failed_status) {
		report_start_failure(boot, &workload, failed_status, failed_error, err);
		goto out;
	}
	boot->exec_ns = boot_time_ns();
	log_started(pid, &workload);
	channel_send(&boot->channel, PROTOCOL_STARTED, report_started(pid, &workload));

	r = supervise_run(signal_fd, pid, &options, &hooks, &exit, &stop_requested);
	if (r < 0) {
		boot_fail(boot, "supervise", r, "supervise pid %d: %s", (int)pid, strerror(-r));
		goto out;
	}
	boot->exit_status = exit.status;

	drain_outputs(boot, &io, output_bytes);
	log_notice("workload %s%s", exitstatus_describe(&exit, err, sizeof(err)),
		   stop_requested ? ", after a stop request" : "");
	channel_send(&boot->channel, PROTOCOL_EXIT,
		     report_exit(&exit, stop_requested, output_bytes));
out:
	close_stdio(&io);
	for (size_t i = 0; i < 2; i++)
		relay_close(&io.output[i]);
	workload_free(&workload);
	return r;
}

/* The layer tar goes to the commit disk and through sha256 on its way. */
struct commit_output {
	int fd;
	struct digest digest;
};

static int commit_output_write(void *context, const void *buf, size_t size)
{
	struct commit_output *out = context;
	int r = fileio_write_all(out->fd, buf, size);

	return r < 0 ? r : digest_update(&out->digest, buf, size);
}

static json_t *commit_body(const struct commit_result *result, const char *diff_id,
			   const struct blockdev *device)
{
	return json_pack("{s:I, s:s, s:I, s:I, s:I, s:s}", "size_bytes", (json_int_t)result->size,
			 "diff_id", diff_id, "entries", (json_int_t)result->entries, "whiteouts",
			 (json_int_t)result->whiteouts, "skipped_sockets",
			 (json_int_t)result->skipped_sockets, "disk", device->node);
}

/* What tether itself made inside the root: mount points and the /etc files it binds. */
static bool commit_placeholder(void *context, const char *path)
{
	static const char *const made[] = { "dev",	    "proc",	 "sys",
					    "etc/hostname", "etc/hosts", "etc/resolv.conf" };
	const struct boot *boot = context;

	for (size_t i = 0; i < ARRAY_SIZE(made); i++) {
		if (strcmp(path, made[i]) == 0)
			return true;
	}
	/*
	 * Volume targets, where they landed inside the root ("/srv/data" is "srv/data" here),
	 * and the directories above them, which tether made when they were missing.
	 */
	for (size_t i = 0; i < boot->config.n_volumes; i++) {
		const char *target = boot->volumes.resolved[i] + 1;
		size_t length = strlen(path);

		if (strncmp(target, path, length) == 0 &&
		    (target[length] == '\0' || target[length] == '/'))
			return true;
	}
	return false;
}

/* path in the image's layers, topmost first; a whiteout there means it is not. */
static int commit_lower_stat(void *context, const char *path, struct stat *ret)
{
	const struct boot *boot = context;

	for (size_t i = boot->config.root.n_layers; i-- > 0;) {
		char where[PATH_MAX];

		snprintf(where, sizeof(where), ROOTFS_LAYERS_DIR "/%zu/%s", i, path);
		if (lstat(where, ret) < 0)
			continue;
		if (S_ISCHR(ret->st_mode) && ret->st_rdev == makedev(0, 0))
			return -ENOENT;
		return 0;
	}
	return -ENOENT;
}

int container_commit(struct boot *boot)
{
	struct commit_filter filter = { commit_placeholder, commit_lower_stat, boot };
	struct commit_output out = { .fd = -1 };
	const struct blockdev *device;
	struct commit_result result;
	char err[512], diff_id[DIGEST_STRING_SIZE];
	struct commit_sink sink = { commit_output_write, &out };
	int r;

	if (!boot->config.has_commit)
		return BOOT_PHASE_SKIPPED;
	/* Nothing may write to the upper directory while it is read. */
	if (shutdown_kill_all(boot->config.stop_grace_ms))
		log_warning("processes ignored SIGTERM and were killed");
	blockdev_find(&boot->disks, &boot->config.commit, &device);

	r = digest_begin(&out.digest);
	if (r < 0)
		return boot_fail(boot, "sha256", r, "commit: sha256: %s", strerror(-r));
	out.fd = open(device->node, O_WRONLY | O_CLOEXEC);
	if (out.fd < 0) {
		r = negative_errno();
		digest_abandon(&out.digest);
		return boot_fail(boot, device->node, r, "commit: open disk '%s': %s", device->node,
				 strerror(-r));
	}
	r = commit_write_layer(ROOTFS_SCRATCH_DIR "/upper", &sink, &filter, &result, err,
			       sizeof(err));
	if (r == 0 && fsync(out.fd) < 0)
		r = negative_errno();
	close(out.fd);
	if (r < 0) {
		digest_abandon(&out.digest);
		return boot_fail(boot, device->node, r, "commit to '%s': %s", device->node,
				 err[0] ? err : strerror(-r));
	}
	r = digest_end(&out.digest, diff_id);
	if (r < 0)
		return boot_fail(boot, "sha256", r, "commit: sha256: %s", strerror(-r));

	log_info("commit: %llu bytes, %llu entries (%llu whiteouts), diffID %s on '%s'",
		 (unsigned long long)result.size, (unsigned long long)result.entries,
		 (unsigned long long)result.whiteouts, diff_id, device->node);
	if (result.skipped_sockets)
		log_warning("commit: %llu sockets left out (a tar cannot hold them)",
			    (unsigned long long)result.skipped_sockets);
	channel_send(&boot->channel, PROTOCOL_COMMIT, commit_body(&result, diff_id, device));
	return 0;
}
