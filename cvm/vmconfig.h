/* SPDX-License-Identifier: MIT */
/*
 * config.json for tether (docs/config.md) from cvm's options and the image's metadata as
 * `imagec inspect` prints it. Disks are named by the serials below, which cvm gives the
 * virtio-blk devices it attaches.
 */
#ifndef CVM_VMCONFIG_H
#define CVM_VMCONFIG_H

#include <jansson.h>
#include <stddef.h>

#include "options.h"

/* The most bytes of config.json tether reads (docs/config.md). */
#define VMCONFIG_SIZE_MAX (1u << 20)

#define VMCONFIG_SERIAL_CONFIG "config"
#define VMCONFIG_SERIAL_ROOT "root"
#define VMCONFIG_SERIAL_SCRATCH "scratch"
#define VMCONFIG_SERIAL_COMMIT "commit"
/* Prefixes: layer N is "layer-N", volume N "vol-N". */
#define VMCONFIG_SERIAL_LAYER "layer-"
#define VMCONFIG_SERIAL_VOLUME "vol-"
#define VMCONFIG_SERIAL_SIZE 32

/* The serial of the disk prefix and index name, into serial. */
void vmconfig_serial(char serial[VMCONFIG_SERIAL_SIZE], const char *prefix, size_t index);

/*
 * Build the config: layers mode with layer_count layers and a scratch disk when inspect is
 * given (the JSON of `imagec inspect`), disk mode with the root disk otherwise. process.args
 * follows Docker: --entrypoint replaces the image's Entrypoint and drops its Cmd, COMMAND
 * replaces Cmd. Returns 0 with *ret_config owned by the caller, or -EINVAL with the reason in
 * err (the image has nothing to run, or its metadata is not what imagec prints), or -ENOMEM.
 */
int vmconfig_build(const struct options *options, const json_t *inspect, size_t layer_count,
		   json_t **ret_config, char *err, size_t err_size);

#endif
