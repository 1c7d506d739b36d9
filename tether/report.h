/* SPDX-License-Identifier: MIT */
/*
 * The bodies of the events tether sends the host (docs/protocol.md), built from what the
 * boot found and did. Each returns a new JSON object, or NULL when out of memory (the event
 * is then sent without its fields).
 */
#ifndef TETHER_REPORT_H
#define TETHER_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "blockdev.h"
#include "boot.h"
#include "config.h"
#include "exitstatus.h"
#include "volume.h"
#include "workload.h"

json_t *report_disks(const struct blockdev_list *disks);
/* digest may be NULL when it could not be computed. */
json_t *report_config(size_t size, const char *digest, const struct blockdev *device,
		      const struct config *config);
json_t *report_image(const struct config_image *image);
json_t *report_mounts(const struct config *config, const struct blockdev_list *disks,
		      const struct volume_mounts *volumes);
/* JSON bytes the started event gives argv at most: the rest of the line is a few KiB. */
#define REPORT_ARGV_BYTES (32 * 1024)

/* pid, argv (as much as REPORT_ARGV_BYTES holds), argc, argv_truncated, uid, gid, cwd. */
json_t *report_started(pid_t pid, const struct workload *workload);
json_t *report_exit(const struct exit_status *exit, bool stop_requested,
		    const int64_t output_bytes[2]);
json_t *report_error(const char *phase, const char *object, int error, const char *message);
json_t *report_timings(const struct boot *boot);
json_t *report_shutdown(const struct boot *boot, int unclean_unmounts, uint64_t dropped);

#endif
