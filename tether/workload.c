// SPDX-License-Identifier: MIT
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"

#define ENV_MAX 4096

/* Where the child was when it failed, so the parent can say so. */
enum start_stage {
	STAGE_SESSION,
	STAGE_STDIO,
	STAGE_TERMINAL,
	STAGE_RLIMIT,
	STAGE_NAMESPACE,
	STAGE_ROOT,
	STAGE_CWD,
	STAGE_GROUPS,
	STAGE_GID,
	STAGE_UID,
	STAGE_NO_NEW_PRIVS,
	STAGE_EXEC,
	STAGE_INTERPRETER,
};

struct start_failure {
	enum start_stage stage;
	int error;
	size_t index; /* STAGE_RLIMIT: which limit */
};

static size_t env_name_length(const char *entry)
{
	const char *equals = strchr(entry, '=');

	return equals ? (size_t)(equals - entry) : strlen(entry);
}

static bool env_has(const struct workload *w, const char *name)
{
	size_t length = strlen(name);

	for (size_t i = 0; i < w->n_env; i++) {
		if (env_name_length(w->env[i]) == length && strncmp(w->env[i], name, length) == 0)
			return true;
	}
	return false;
}

/* Add NAME=VALUE, replacing an entry of the same name. Takes ownership of entry. */
static int env_set(struct workload *w, char *entry)
{
	size_t length;

	if (!entry)
		return -ENOMEM;
	length = env_name_length(entry);
	for (size_t i = 0; i < w->n_env; i++) {
		if (env_name_length(w->env[i]) == length &&
		    strncmp(w->env[i], entry, length) == 0) {
			free(w->env[i]);
			w->env[i] = entry;
			return 0;
		}
	}
	if (w->n_env == ENV_MAX) {
		free(entry);
		return -E2BIG;
	}
	w->env[w->n_env++] = entry;
	return 0;
}

static int env_set_default(struct workload *w, const char *name, const char *value)
{
	char *entry;

	if (env_has(w, name))
		return 0;
	if (asprintf(&entry, "%s=%s", name, value) < 0)
		return -ENOMEM;
	return env_set(w, entry);
}

static int compose_env(const struct config *config, const char *hostname, struct workload *w)
{
	const struct config_strings *lists[] = { &config->image.env, &config->process.env };
	int r;

	w->env = calloc(ENV_MAX + 1, sizeof(*w->env));
	if (!w->env)
		return -ENOMEM;
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		for (size_t i = 0; i < lists[l]->count; i++) {
			r = env_set(w, strdup(lists[l]->strings[i]));
			if (r < 0)
				return r;
		}
	}

	r = env_set_default(w, "PATH", WORKLOAD_DEFAULT_PATH);
	if (r == 0)
		r = env_set_default(w, "HOME", w->identity.home);
	if (r == 0)
		r = env_set_default(w, "HOSTNAME", hostname);
	if (r == 0 && w->terminal)
		r = env_set_default(w, "TERM", "xterm");
	return r;
}

static int compose_argv(const struct config *config, struct workload *w)
{
	const struct config_strings *entrypoint = &config->image.entrypoint;
	const struct config_strings *cmd = &config->image.cmd;
	size_t n = 0;

	if (config->process.args.count > 0) {
		entrypoint = &config->process.args;
		cmd = NULL;
	}
	w->argv = calloc(entrypoint->count + (cmd ? cmd->count : 0) + 1, sizeof(*w->argv));
	if (!w->argv)
		return -ENOMEM;
	for (size_t i = 0; i < entrypoint->count; i++)
		w->argv[n++] = (char *)entrypoint->strings[i];
	for (size_t i = 0; cmd && i < cmd->count; i++)
		w->argv[n++] = (char *)cmd->strings[i];
	return n > 0 && w->argv[0][0] != '\0' ? 0 : -ENOEXEC;
}

int workload_prepare(const struct config *config, const char *hostname, const char *passwd,
		     const char *group, struct workload *ret, char *err, size_t err_size)
{
	struct workload w = {
		.cwd = config->process.cwd	   ? config->process.cwd
		       : config->image.working_dir ? config->image.working_dir
						   : "/",
		.user = config->process.user ? config->process.user
			: config->image.user ? config->image.user
					     : "",
		.terminal = config->process.terminal,
		.no_new_privs = config->process.no_new_privs,
		.rlimits = config->process.rlimits,
		.n_rlimits = config->process.n_rlimits,
	};
	int r;

	r = compose_argv(config, &w);
	if (r == -ENOEXEC) {
		snprintf(err, err_size,
			 "nothing to run: no process.args and no Entrypoint or Cmd "
			 "in the image config");
		goto fail;
	}
	if (r < 0)
		goto fail_errno;

	r = user_resolve(w.user, passwd, group, &w.identity, err, err_size);
	if (r < 0)
		goto fail;

	r = compose_env(config, hostname, &w);
	if (r < 0)
		goto fail_errno;
	*ret = w;
	return 0;

fail_errno:
	snprintf(err, err_size, "environment: %s", strerror(-r));
fail:
	workload_free(&w);
	return r;
}

void workload_free(struct workload *workload)
{
	for (size_t i = 0; workload->env && i < workload->n_env; i++)
		free(workload->env[i]);
	free(workload->env);
	free(workload->argv);
	*workload = (struct workload){ 0 };
}

_Noreturn static void child_fail_at(int pipe_fd, enum start_stage stage, size_t index, int status)
{
	struct start_failure failure = { .stage = stage, .error = errno, .index = index };

	(void)!write(pipe_fd, &failure, sizeof(failure));
	_exit(status);
}

_Noreturn static void child_fail(int pipe_fd, enum start_stage stage, int status)
{
	child_fail_at(pipe_fd, stage, 0, status);
}

static void reset_signals(void)
{
	struct sigaction action = { .sa_handler = SIG_DFL };
	sigset_t none;

	for (int signal = 1; signal < NSIG; signal++) {
		if (signal != SIGKILL && signal != SIGSTOP)
			sigaction(signal, &action, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * FIXME: the workload shares PID 1's PID namespace, so a root workload can still reach
 * /run/tether (and the initramfs) through /proc/1/root; a PID namespace would hide it.
 *
 * Enter root the way switch_root does: pivot_root is refused when the old root is the
 * initramfs, so the root mount is moved over "/" in a mount namespace of the child's own.
 */
/*
 * The pipes on stdio (to the stdout and stderr ports) become the workload user's, as a
 * container runtime does: /dev/stdout, /proc/self/fd/1 and `tee /dev/stderr` open them
 * again, which a pipe of root's with mode 0600 refuses to another user.
 */
static void give_stdio_pipes(const struct user_identity *id)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;

		if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
			(void)!fchown(fd, id->uid, id->gid);
	}
}

/* Whether the working directory is reachable from the process's root. */
static bool cwd_in_root(void)
{
	char where[4096];
	long n = syscall(SYS_getcwd, where, sizeof(where));

	return n > 0 && where[0] == '/';
}

static int enter_root(const char *root)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (chdir(root) < 0)
		return -errno;
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return -errno;
	if (chroot(".") < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	return 0;
}

_Noreturn static void child_run(const struct workload *w, const char *root, const int stdio[3],
				int pipe_fd)
{
	const struct user_identity *id = &w->identity;
	extern char **environ;

	reset_signals();
	for (int i = 0; stdio && i < 3; i++) {
		/* dup2() clears close-on-exec on the copy: only these three cross the exec. */
		if (stdio[i] >= 0 && dup2(stdio[i], i) < 0)
			child_fail(pipe_fd, STAGE_STDIO, 125);
	}
	if (setsid() < 0)
		child_fail(pipe_fd, STAGE_SESSION, 125);
	if (w->terminal && ioctl(STDIN_FILENO, TIOCSCTTY, 1) < 0)
		child_fail(pipe_fd, STAGE_TERMINAL, 125);
	for (size_t i = 0; i < w->n_rlimits; i++) {
		if (setrlimit(w->rlimits[i].resource, &w->rlimits[i].limit) < 0)
			child_fail_at(pipe_fd, STAGE_RLIMIT, i, 125);
	}
	errno = -enter_root(root);
	if (errno)
		child_fail(pipe_fd, STAGE_ROOT, 125);
	if (chdir(w->cwd) < 0)
		child_fail(pipe_fd, STAGE_CWD, 125);
	/*
	 * Followed as root, a path can end outside the container root (/proc/1/root is tether's
	 * own): the kernel then says "(unreachable)" where getcwd() would start with '/'.
	 */
	if (!cwd_in_root()) {
		errno = EXDEV;
		child_fail(pipe_fd, STAGE_CWD, 125);
	}
	give_stdio_pipes(id);
	if (setgroups(id->n_groups, id->groups) < 0)
		child_fail(pipe_fd, STAGE_GROUPS, 125);
	if (setgid(id->gid) < 0)
		child_fail(pipe_fd, STAGE_GID, 125);
	if (setuid(id->uid) < 0)
		child_fail(pipe_fd, STAGE_UID, 125);
	if (w->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(pipe_fd, STAGE_NO_NEW_PRIVS, 125);

	/* execvp() searches the PATH of the environment it is given here. */
	environ = w->env;
	execvp(w->argv[0], w->argv);

	if (errno == ENOENT) {
		/* The file is there, so it is its interpreter (#! line or ELF loader) that is not.
		 */
		if (strchr(w->argv[0], '/') && access(w->argv[0], F_OK) == 0)
			child_fail(pipe_fd, STAGE_INTERPRETER, WORKLOAD_EXIT_NOT_FOUND);
		child_fail(pipe_fd, STAGE_EXEC, WORKLOAD_EXIT_NOT_FOUND);
	}
	child_fail(pipe_fd, STAGE_EXEC, WORKLOAD_EXIT_CANNOT_EXEC);
}

static void describe_failure(const struct workload *w, const struct start_failure *failure,
			     char *err, size_t err_size)
{
	const char *reason = strerror(failure->error);

	switch (failure->stage) {
	case STAGE_EXEC:
		snprintf(err, err_size, "exec '%s': %s", w->argv[0], reason);
		break;
	case STAGE_INTERPRETER:
		snprintf(err, err_size, "exec '%s': its interpreter was not found", w->argv[0]);
		break;
	case STAGE_CWD:
		snprintf(err, err_size, "working directory '%s': %s", w->cwd,
			 failure->error == EXDEV ? "it is outside the container root" : reason);
		break;
	case STAGE_GROUPS:
	case STAGE_GID:
	case STAGE_UID:
		snprintf(err, err_size, "switch to user '%s' (uid %u, gid %u): %s", w->user,
			 (unsigned int)w->identity.uid, (unsigned int)w->identity.gid, reason);
		break;
	case STAGE_SESSION:
		snprintf(err, err_size, "new session: %s", reason);
		break;
	case STAGE_STDIO:
		snprintf(err, err_size, "stdin, stdout and stderr from the host's ports: %s",
			 reason);
		break;
	case STAGE_TERMINAL:
		snprintf(err, err_size, "controlling terminal: %s", reason);
		break;
	case STAGE_RLIMIT: {
		const struct config_rlimit *limit = &w->rlimits[failure->index];

		snprintf(err, err_size, "resource limit %s (soft %llu, hard %llu): %s", limit->name,
			 (unsigned long long)limit->limit.rlim_cur,
			 (unsigned long long)limit->limit.rlim_max, reason);
		break;
	}
	case STAGE_NAMESPACE:
	case STAGE_ROOT:
		snprintf(err, err_size, "enter the container root: %s", reason);
		break;
	case STAGE_NO_NEW_PRIVS:
		snprintf(err, err_size, "no_new_privs: %s", reason);
		break;
	}
}

int workload_start(const struct workload *workload, const char *root, const int stdio[3],
		   pid_t *ret_pid, int *ret_failed_status, int *ret_failed_error, char *err,
		   size_t err_size)
{
	struct start_failure failure;
	int pipe_fds[2];
	ssize_t n;
	pid_t pid;
	int status;

	/* Close-on-exec: a successful exec closes it, and the parent reads end of file. */
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return negative_errno();
	pid = fork();
	if (pid < 0) {
		int r = negative_errno();

		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return r;
	}
	if (pid == 0) {
		close(pipe_fds[0]);
		child_run(workload, root, stdio, pipe_fds[1]);
	}

	close(pipe_fds[1]);
	do {
		n = read(pipe_fds[0], &failure, sizeof(failure));
	} while (n < 0 && errno == EINTR);
	close(pipe_fds[0]);

	*ret_pid = pid;
	*ret_failed_status = 0;
	*ret_failed_error = 0;
	if (n != (ssize_t)sizeof(failure))
		return 0;

	describe_failure(workload, &failure, err, err_size);
	*ret_failed_error = failure.error;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
	*ret_failed_status = WIFEXITED(status) ? WEXITSTATUS(status) : 125;
	return 0;
}
