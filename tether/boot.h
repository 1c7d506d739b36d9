/* SPDX-License-Identifier: MIT */
/*
 * The boot path of tether as PID 1: one function per phase, each run and timed by
 * boot_phase(). A phase logs its own failure (what, on which object, why) and returns -errno;
 * main() then goes straight to boot_shutdown().
 */
#ifndef TETHER_BOOT_H
#define TETHER_BOOT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/utsname.h>

#include "blockdev.h"
#include "channel.h"
#include "cmdline.h"
#include "config.h"
#include "volume.h"

#define BOOT_PHASES_MAX 16

/* Exit status when tether itself failed before or instead of running the workload. */
#define BOOT_EXIT_FAILURE 125

struct boot_timing {
	const char *phase;
	uint64_t duration_ns;
};

struct boot {
	struct cmdline_options options;
	struct utsname kernel;
	struct config config;	/* valid once the config phase succeeded */
	size_t config_size;	/* ... and these describe the config.json it came from */
	char config_digest[80]; /* "" when it could not be computed */
	const struct blockdev *config_device;
	struct blockdev_list disks; /* the last scan */
	int root_fd;		    /* O_PATH descriptor of the container root, or -1 */
	struct volume_mounts volumes;
	struct channel channel;
	int exit_status;
	const char *phase;	  /* the phase running now */
	const char *failed_phase; /* NULL while every phase succeeded */
	struct boot_timing timings[BOOT_PHASES_MAX];
	size_t n_timings;
	uint64_t start_ns; /* CLOCK_BOOTTIME when tether started: the kernel's own boot time */
	uint64_t exec_ns;  /* ... and when the workload was started (0: it was not) */
};

typedef int (*boot_phase_fn)(struct boot *boot);

/* What a phase returns when the config asks nothing of it: it is then not timed. */
#define BOOT_PHASE_SKIPPED 1

/* Run one phase, timed with CLOCK_BOOTTIME. Returns its result (0 for a skipped phase). */
int boot_phase(struct boot *boot, const char *name, boot_phase_fn phase);

/* Phase 1: /dev, console stdio, the kmsg logger, the banner, then the other early mounts. */
int boot_early(struct boot *boot);
/* Phase 2: tether's keys from /proc/cmdline. */
int boot_cmdline(struct boot *boot);
/* Phase 3: the kernel modules the boot needs, plus those tether.modules= names. */
int boot_modules(struct boot *boot);

/* Phase 4: the host channel, on the transport the command line names (or the default). */
int boot_channel(struct boot *boot);

/*
 * A phase gives up: log "MESSAGE" and send the host an error event naming the phase, the
 * object (a disk, a path, a key) and the errno. Returns error, for "return boot_fail(...)".
 */
int boot_fail(struct boot *boot, const char *object, int error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* CLOCK_BOOTTIME in nanoseconds. */
uint64_t boot_time_ns(void);

/* Report the outcome and timings, stop every process, unmount, power off. */
_Noreturn void boot_shutdown(struct boot *boot);

#endif
