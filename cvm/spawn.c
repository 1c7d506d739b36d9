// SPDX-License-Identifier: MIT
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"

#define OUTPUT_MAX (1024 * 1024)

int spawn_exit_status(int wait_status)
{
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return WEXITSTATUS(wait_status);
}

/* In the child: what cvm blocked or ignored must not leak into it, and it ends with cvm. */
static void child_setup(pid_t parent)
{
	sigset_t empty;

	sigemptyset(&empty);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent may have died before the line above: then nobody would kill us. */
	if (getppid() != parent)
		_exit(127);
}

static void child_stdio(int in, int out, int err)
{
	if ((in >= 0 && dup2(in, 0) < 0) || (out >= 0 && dup2(out, 1) < 0) ||
	    (err >= 0 && dup2(err, 2) < 0))
		_exit(127);
}

static int read_output(int fd, char **ret_output)
{
	_cleanup_free_ char *output = malloc(OUTPUT_MAX + 1);
	size_t size = 0;

	if (!output)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, output + size, OUTPUT_MAX - size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negative_errno();
		if (n == 0)
			break;
		size += (size_t)n;
		if (size == OUTPUT_MAX)
			return -EFBIG;
	}
	output[size] = '\0';
	*ret_output = take_ptr(output);
	return 0;
}

static int wait_child(pid_t pid)
{
	int wait_status;

	while (waitpid(pid, &wait_status, 0) < 0) {
		if (errno != EINTR)
			return negative_errno();
	}
	return spawn_exit_status(wait_status);
}

int spawn_run(char *const argv[], char **ret_output)
{
	_cleanup_close_ int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int pipe_fds[2] = { -1, -1 };
	pid_t parent = getpid(), pid;
	int r, status;

	if (null_fd < 0)
		return negative_errno();
	if (ret_output && pipe2(pipe_fds, O_CLOEXEC) < 0)
		return negative_errno();
	pid = fork();
	if (pid < 0) {
		r = negative_errno();
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return r;
	}
	if (pid == 0) {
		child_setup(parent);
		child_stdio(null_fd, ret_output ? pipe_fds[1] : null_fd, -1);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cvm: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}

	r = 0;
	if (ret_output) {
		close(pipe_fds[1]);
		r = read_output(pipe_fds[0], ret_output);
		close(pipe_fds[0]);
	}
	status = wait_child(pid);
	if (r < 0)
		return r; /* read_output() left *ret_output unset */
	if (status < 0 && ret_output) {
		free(*ret_output);
		*ret_output = NULL;
	}
	return status;
}

/*
 * The child's exec either closes the close-on-exec pipe (it ran) or writes its errno there:
 * a program that cannot be run is the caller's -errno, not a child that exits 127 later.
 */
pid_t spawn_background(char *const argv[], const char *log_path)
{
	_cleanup_close_ int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int log_fd =
		open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
	int exec_fds[2] = { -1, -1 };
	pid_t parent = getpid(), pid;
	int error = 0;
	ssize_t n;

	if (null_fd < 0 || log_fd < 0 || pipe2(exec_fds, O_CLOEXEC) < 0)
		return negative_errno();
	pid = fork();
	if (pid < 0) {
		error = errno;
		close(exec_fds[0]);
		close(exec_fds[1]);
		return -error;
	}
	if (pid == 0) {
		child_setup(parent);
		setsid();
		child_stdio(null_fd, log_fd, log_fd);
		execvp(argv[0], argv);
		error = errno;
		(void)!write(exec_fds[1], &error, sizeof(error));
		_exit(error == ENOENT ? 127 : 126);
	}
	close(exec_fds[1]);
	do
		n = read(exec_fds[0], &error, sizeof(error));
	while (n < 0 && errno == EINTR);
	close(exec_fds[0]);
	if (n == (ssize_t)sizeof(error)) {
		wait_child(pid);
		return -error;
	}
	return pid;
}
