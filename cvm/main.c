// SPDX-License-Identifier: MIT
/*
 * cvm: run a container image as its own VM under QEMU, the way a container runtime runs it.
 * See docs/cvm.md.
 */
#include "run.h"

int main(int argc, char **argv)
{
	struct run run;
	int status;

	run_init(&run);
	status = run_setup(&run, argc, argv);
	if (status == RUN_CONTINUE)
		status = run_prepare(&run);
	if (status == RUN_CONTINUE)
		status = run_boot(&run);
	if (status == RUN_CONTINUE)
		status = run_wait(&run);
	run_finish(&run);
	return status;
}
