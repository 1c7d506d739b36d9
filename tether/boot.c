// SPDX-License-Identifier: MIT
#include "boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"
#include "earlyfs.h"
#include "kmod.h"
#include "log.h"
#include "report.h"
#include "shutdown.h"
#include "version.h"

#define SHUTDOWN_GRACE_MS 2000

uint64_t boot_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int boot_phase(struct boot *boot, const char *name, boot_phase_fn phase)
{
	uint64_t start = boot_time_ns();
	int r;

	if (boot->start_ns == 0)
		boot->start_ns = start;
	boot->phase = name;
	r = phase(boot);
	if (r == BOOT_PHASE_SKIPPED)
		return 0;

	if (boot->n_timings < BOOT_PHASES_MAX) {
		boot->timings[boot->n_timings++] = (struct boot_timing){
			.phase = name,
			.duration_ns = boot_time_ns() - start,
		};
	}
	if (r < 0) {
		boot->failed_phase = name;
		boot->exit_status = BOOT_EXIT_FAILURE;
	}
	return r;
}

int boot_early(struct boot *boot)
{
	const char *failed = NULL;
	int r;

	/* Until now stdio may be closed: nothing can be said before /dev/console exists. */
	r = earlyfs_mount_dev();
	if (r < 0)
		return r;
	if (log_open() < 0)
		log_warning("open '/dev/kmsg': %s, logging to the console", strerror(errno));

	uname(&boot->kernel);
	log_notice("tether %s on Linux %s (%s)", TETHER_VERSION, boot->kernel.release,
		   boot->kernel.version);

	/*
	 * Ctrl-Alt-Del becomes SIGINT to PID 1 instead of an immediate, unsynced reboot; with no
	 * handler installed yet, PID 1 ignores it.
	 */
	reboot(RB_DISABLE_CAD);

	r = earlyfs_mount_rest(&failed);
	if (r < 0) {
		log_error("mount '%s': %s", failed, strerror(-r));
		return r;
	}

	/* The kernel drops all but 10 writes to /dev/kmsg per 5 s unless told otherwise. */
	r = earlyfs_write_sysctl("/proc/sys/kernel/printk_devkmsg", "on\n");
	if (r < 0)
		log_warning("write '/proc/sys/kernel/printk_devkmsg': %s, later messages may be "
			    "dropped",
			    strerror(-r));
	return 0;
}

int boot_cmdline(struct boot *boot)
{
	_cleanup_free_ char *text = NULL;
	char err[320];
	int r;

	cmdline_options_init(&boot->options);

	r = fileio_read("/proc/cmdline", CMDLINE_MAX, &text, NULL);
	if (r < 0) {
		log_error("read '/proc/cmdline': %s", strerror(-r));
		return r;
	}

	r = cmdline_parse(text, &boot->options, err, sizeof(err));
	if (r < 0) {
		log_error("kernel command line: %s", err);
		return r;
	}

	log_set_level(cmdline_log_level(&boot->options));
	for (size_t i = 0; i < boot->options.n_unknown && i < CMDLINE_UNKNOWN_MAX; i++)
		log_warning("kernel command line: unknown key '%s', ignoring it",
			    boot->options.unknown[i]);
	if (boot->options.n_unknown > CMDLINE_UNKNOWN_MAX)
		log_warning("kernel command line: %zu more unknown keys, ignoring them",
			    boot->options.n_unknown - CMDLINE_UNKNOWN_MAX);
	log_debug("kernel command line: %s", text);
	return 0;
}

static size_t add_name(const char **names, size_t n, size_t max, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return n;
	}
	if (n < max)
		names[n++] = name;
	return n;
}

/* Names tether loads, each once: its own list, then the extra ones from the command line. */
static size_t wanted_modules(const struct boot *boot, const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < kmod_boot_modules_count; i++)
		n = add_name(names, n, max, kmod_boot_modules[i]);
	for (size_t i = 0; i < boot->options.n_modules; i++)
		n = add_name(names, n, max, boot->options.modules[i]);
	return n;
}

static void plan_modules(const struct boot *boot, const struct kmod_index *index,
			 struct kmod_plan *plan)
{
	const char *names[64];
	size_t n = wanted_modules(boot, names, ARRAY_SIZE(names));

	for (size_t i = 0; i < n; i++) {
		int r = kmod_plan_add(index, names[i], plan);

		if (r == 1)
			log_debug("module '%s': built into the kernel", names[i]);
		else if (r == -ENOENT)
			log_warning(
				"module '%s': '%s' is not in modules.dep, continuing without it",
				names[i], plan->missing);
		else if (r < 0)
			log_warning("module '%s': %s, continuing without it", names[i],
				    strerror(-r));
	}
}

int boot_modules(struct boot *boot)
{
	struct kmod_index index;
	struct kmod_plan plan = { 0 };
	_cleanup_close_ int dir_fd = -1;
	char dir[320], loaded[768] = "";
	size_t n_loaded = 0, used = 0;
	bool cut = false;
	int r;

	snprintf(dir, sizeof(dir), "/lib/modules/%s", boot->kernel.release);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		log_warning("open '%s': %s, continuing with built-in drivers only", dir,
			    strerror(errno));
		return 0;
	}
	r = kmod_index_load(dir, &index);
	if (r < 0) {
		log_warning("read '%s/modules.dep': %s, continuing with built-in drivers only", dir,
			    strerror(-r));
		return 0;
	}

	plan_modules(boot, &index, &plan);
	for (size_t i = 0; i < plan.n_steps; i++) {
		const struct kmod_module *module = plan.steps[i];

		r = kmod_insert(dir_fd, module->path);
		if (r < 0) {
			log_warning("load module '%s': %s, continuing without it", module->name,
				    strerror(-r));
			continue;
		}
		n_loaded++;
		if (used + strlen(module->name) + 2 > sizeof(loaded)) {
			cut = true;
			continue;
		}
		used += (size_t)snprintf(loaded + used, sizeof(loaded) - used, " %s", module->name);
	}
	log_info("loaded %zu modules:%s%s", n_loaded, loaded, cut ? " ..." : "");
	kmod_index_free(&index);
	return 0;
}

int boot_fail(struct boot *boot, const char *object, int error, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	log_error("%s", message);
	channel_send(&boot->channel, PROTOCOL_ERROR,
		     report_error(boot->phase, object, error, message));
	return error;
}

int boot_channel(struct boot *boot)
{
	char transport[128];

	/* Events are queued from here on, whatever becomes of the transport. */
	if (channel_init(&boot->channel, boot->kernel.release) < 0) {
		log_warning("host channel: out of memory, continuing without it");
		return 0;
	}
	channel_open(&boot->channel, &boot->options.channel);
	log_info("host channel: %s%s",
		 transport_format(&boot->options.channel, transport, sizeof(transport)),
		 boot->channel.state == CHANNEL_CONNECTED ? ", host connected" : "");
	return 0;
}

static void log_timings(const struct boot *boot)
{
	char text[512];
	size_t used = 0;

	for (size_t i = 0; i < boot->n_timings && used < sizeof(text); i++) {
		const struct boot_timing *t = &boot->timings[i];

		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s %.1f ms",
					 i ? ", " : "", t->phase, (double)t->duration_ns / 1e6);
	}
	log_info("timings: %s", text);
}

_Noreturn void boot_shutdown(struct boot *boot)
{
	int unclean;

	log_timings(boot);
	channel_send(&boot->channel, PROTOCOL_TIMINGS, report_timings(boot));
	if (boot->failed_phase)
		log_error("failed in phase '%s': exit status %d, powering off", boot->failed_phase,
			  boot->exit_status);
	else
		log_notice("exit status %d, powering off", boot->exit_status);

	/* An open descriptor of the root would keep it busy at unmount. */
	if (boot->root_fd >= 0)
		close(boot->root_fd);
	boot->root_fd = -1;

	/* What the workload left behind gets the same grace as the workload itself. */
	if (shutdown_kill_all(boot->config.json ? boot->config.stop_grace_ms : SHUTDOWN_GRACE_MS))
		log_warning("processes ignored SIGTERM and were killed");
	unclean = shutdown_unmount_all();

	/* Said only now: a host may take the shutdown event as "the volumes are safe". */
	channel_send(&boot->channel, PROTOCOL_SHUTDOWN,
		     report_shutdown(boot, unclean, boot->channel.queue.dropped));
	channel_finish(&boot->channel, boot->options.channel_timeout_ms);
	channel_close(&boot->channel);
	if (boot->options.debug_exit || boot->config.debug_exit)
		shutdown_debug_exit(boot->exit_status);
	shutdown_power_off();
}
