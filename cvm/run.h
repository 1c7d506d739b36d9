/* SPDX-License-Identifier: MIT */
/*
 * `cvm run`, phase by phase: prepare the disks, boot QEMU, relay the channel until the
 * workload's exit, finish. Each phase logs its own failure once, on stderr, as `cvm: ...`.
 */
#ifndef CVM_RUN_H
#define CVM_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "hostchan.h"
#include "image.h"
#include "options.h"
#include "qemu.h"

/* The lock file in cvm's temporary directory that says a cvm still uses it. */
#define TEMP_LOCK "cvm.lock"

/* The exit status of cvm itself failing, or of tether failing before the entry point ran. */
#define RUN_FAILED 125
/* What a phase returns when the next one should run; otherwise it returns the exit status. */
#define RUN_CONTINUE (-1)

struct run {
	struct options options;
	const char *program_dir; /* where cvm is: imagec, the kernel and the initramfs by default */
	char *store;
	char *imagec;
	char *temp_dir;
	int temp_lock; /* flock()ed on temp_dir's TEMP_LOCK while cvm runs */
	struct image image;
	char *volume_paths[OPTIONS_VOLUMES_MAX];
	int volume_locks[OPTIONS_VOLUMES_MAX]; /* flock()ed while the VM may write them; or -1 */
	char *paths[7 + HOSTCHAN_PORTS];       /* heap strings, see run.c */
	struct qemu_vm vm;
	struct hostchan chan;
	FILE *events;
	int signal_fd;
	pid_t qemu_pid; /* 0 once reaped */
	int qemu_status;
	int stop_signal; /* the first SIGINT or SIGTERM cvm got */
	bool qemu_killed;
	bool stop_after_exit;	    /* a stop came after the workload's exit: the next kills */
	bool timed_out;		    /* --timeout came */
	bool committed;		    /* tether's commit event came ... */
	long long commit_size;	    /* ... with the size of the layer tar */
	char commit_diff_id[80];    /* ... and its diffID */
	bool progress;		    /* stderr is a terminal: one line of boot progress */
	const char *progress_phase; /* shown now, redrawn as the seconds go by; NULL: none */
	int64_t progress_drawn_ms;
	int64_t start_ms;
};

void run_init(struct run *run);
/* Parse the command line, block the signals the wait reads, find the tools and the store. */
int run_setup(struct run *run, int argc, char **argv);
/* Temporary directory, image disks, volumes, config disk, scratch disk. */
int run_prepare(struct run *run);
/* The channel's sockets, then QEMU. */
int run_boot(struct run *run);
/* Relay until the workload's exit and QEMU's end: the workload's exit status, or ours. */
int run_wait(struct run *run);
/* Kill QEMU if it still runs, remove the temporary directory, free everything. */
void run_finish(struct run *run);

#endif
