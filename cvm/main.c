// SPDX-License-Identifier: MIT
/*
 * cvm: run a container image as its own VM under QEMU, the way a container runtime runs it.
 * See docs/cvm.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "run.h"

/*
 * A descriptor 0, 1 or 2 that is closed (`<&-`, as some CI runners start us) becomes
 * /dev/null: otherwise the next open() takes it, and the signalfd would be read as stdin.
 */
static void open_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(125);
	}
}

int main(int argc, char **argv)
{
	struct run run;
	int status;

	open_stdio();
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
