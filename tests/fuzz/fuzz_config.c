// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for config.json: any input either parses into a config whose values are
 * within their documented ranges, or fails with a message; nothing leaks either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tether/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config config;
	char err[512];
	int r;

	err[0] = '\0';
	r = config_parse((const char *)data, size, &config, err, sizeof(err));
	if (r < 0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (config.root.mode == CONFIG_ROOT_LAYERS &&
	    (config.root.n_layers == 0 || config.root.n_layers > CONFIG_LAYERS_MAX))
		abort();
	if (config.n_volumes > CONFIG_VOLUMES_MAX || config.process.n_rlimits > CONFIG_RLIMITS_MAX)
		abort();
	for (size_t i = 0; i < config.n_volumes; i++) {
		if (!config.volumes[i].target || config.volumes[i].target[0] != '/' ||
		    !config.volumes[i].disk.value || config.volumes[i].disk.value[0] == '\0')
			abort();
	}
	for (size_t i = 0; i < config.process.args.count; i++) {
		if (!config.process.args.strings[i])
			abort();
	}
	if (config.stop_grace_ms > 3600u * 1000u || config.stop_signal <= 0)
		abort();
	config_free(&config);
	return 0;
}
