/* SPDX-License-Identifier: MIT */
/*
 * The boot phases that turn disks into a running container: config, disks, root, volumes,
 * view, workload. Each takes the boot state, logs its own failure and returns -errno.
 */
#ifndef TETHER_CONTAINER_H
#define TETHER_CONTAINER_H

#include "boot.h"

/* The filesystem label of the config disk; config.json sits at its root. */
#define CONTAINER_CONFIG_LABEL "TETHERCFG"

/* Phase 5: wait for the config disk, read and check config.json. */
int container_config(struct boot *boot);
/* Phase 6: wait for every disk the config names; log the inventory. */
int container_disks(struct boot *boot);
/* Phase 7: assemble the container root. */
int container_root(struct boot *boot);
/* Phase 8: mount the volumes inside it. */
int container_volumes(struct boot *boot);
/* Phase 9: /proc, /sys, /dev, /etc files, loopback. */
int container_view(struct boot *boot);
/* Phase 11: run the workload and supervise it until it ends; sets the exit status. */
int container_run(struct boot *boot);
/*
 * Phase 12, when config.json asks: stop what the workload left running, write the overlay's
 * upper directory as a layer tar onto the commit disk, report its size and diffID.
 */
int container_commit(struct boot *boot);

#endif
