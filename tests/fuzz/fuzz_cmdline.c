// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the kernel command-line parser: any input either parses into options
 * that are within their documented ranges, or fails with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "../../tether/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmdline_options options;
	char err[320];
	char *text = malloc(size + 1);
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	cmdline_options_init(&options);
	r = cmdline_parse(text, &options, err, sizeof(err));
	if (r < 0) {
		if (err[0] == '\0')
			abort();
	} else {
		if (options.log_level < 0 || options.log_level > LOG_DEBUG)
			abort();
		if (options.timeout_ms < 1000 || options.timeout_ms > 3600 * 1000)
			abort();
		if (options.n_modules > CMDLINE_MODULES_MAX)
			abort();
		for (size_t i = 0; i < options.n_unknown && i < CMDLINE_UNKNOWN_MAX; i++) {
			if (strncmp(options.unknown[i], "tether.", 7) != 0)
				abort();
		}
		for (size_t i = 0; i < options.n_modules; i++) {
			size_t length = strlen(options.modules[i]);

			if (length == 0 || strspn(options.modules[i], "abcdefghijklmnopqrstuvwxyz"
								      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
								      "0123456789_-") != length)
				abort();
		}
	}
	free(text);
	return 0;
}
