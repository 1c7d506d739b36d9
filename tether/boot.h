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
#include "cmdline.h"
#include "config.h"

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
	struct config config;	    /* valid once the config phase succeeded */
	struct blockdev_list disks; /* the last scan */
	int root_fd;		    /* O_PATH descriptor of the container root, or -1 */
	int exit_status;
	const char *failed_phase; /* NULL while every phase succeeded */
	struct boot_timing timings[BOOT_PHASES_MAX];
	size_t n_timings;
};

typedef int (*boot_phase_fn)(struct boot *boot);

/* Run one phase, timed with CLOCK_BOOTTIME. Returns its result. */
int boot_phase(struct boot *boot, const char *name, boot_phase_fn phase);

/* Phase 1: /dev, console stdio, the kmsg logger, the banner, then the other early mounts. */
int boot_early(struct boot *boot);
/* Phase 2: tether's keys from /proc/cmdline. */
int boot_cmdline(struct boot *boot);
/* Phase 3: the kernel modules the boot needs, plus those tether.modules= names. */
int boot_modules(struct boot *boot);

/* Report the outcome and timings, stop every process, unmount, power off. */
_Noreturn void boot_shutdown(struct boot *boot);

#endif
