// SPDX-License-Identifier: MIT
/*
 * tether: PID 1 of a container VM. As PID 1 it boots (see boot.h); run as any other process
 * it only answers questions about itself, for the build and for users.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "container.h"
#include "kmod.h"
#include "version.h"

static int usage(FILE *out)
{
	fprintf(out, "usage: tether [--version | --print-modules]\n"
		     "Runs as PID 1 (init) of a container VM; see docs/ for how to boot it.\n");
	return out == stdout ? 0 : 2;
}

static int tool_main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("tether %s\n", TETHER_VERSION);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--print-modules") == 0) {
		for (size_t i = 0; i < kmod_boot_modules_count; i++)
			printf("%s\n", kmod_boot_modules[i]);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return usage(stdout);
	if (argc == 1)
		fprintf(stderr, "tether: not PID 1: tether boots only as the init of a VM\n");
	return usage(stderr);
}

int main(int argc, char **argv)
{
	static struct boot boot;

	if (getpid() != 1)
		return tool_main(argc, argv);

	boot.root_fd = -1;
	if (boot_phase(&boot, "early", boot_early) == 0 &&
	    boot_phase(&boot, "cmdline", boot_cmdline) == 0 &&
	    boot_phase(&boot, "modules", boot_modules) == 0 &&
	    boot_phase(&boot, "channel", boot_channel) == 0 &&
	    boot_phase(&boot, "config", container_config) == 0 &&
	    boot_phase(&boot, "disks", container_disks) == 0 &&
	    boot_phase(&boot, "root", container_root) == 0 &&
	    boot_phase(&boot, "volumes", container_volumes) == 0 &&
	    boot_phase(&boot, "view", container_view) == 0 &&
	    boot_phase(&boot, "workload", container_run) == 0)
		boot_phase(&boot, "commit", container_commit);

	boot_shutdown(&boot);
}
