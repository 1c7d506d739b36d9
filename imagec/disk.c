// SPDX-License-Identifier: MIT
#include "disk.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "convert.h"
#include "error.h"

/* tar2sqfs reading a tar on a pipe; the image goes to output, its messages to a file. */
struct packer {
	pid_t pid;
	int fd;
	int messages_fd;
	struct archive *out;
	char *tmp_path;
};

/* Whether tar2sqfs is on PATH, as execlp would look for it. */
static bool packer_found(void)
{
	const char *path = getenv("PATH") ?: "/bin:/usr/bin";

	while (*path) {
		size_t length = strcspn(path, ":");
		_cleanup_free_ char *candidate = NULL;

		if (asprintf(&candidate, "%.*s/tar2sqfs", (int)length, length ? path : ".") >= 0 &&
		    access(candidate, X_OK) == 0)
			return true;
		path += length + (path[length] == ':');
	}
	return false;
}

static int packer_start(struct store *store, struct packer *packer)
{
	_cleanup_free_ char *messages_path = NULL;
	_cleanup_close_ int tmp_fd = -1;
	int fds[2];

	tmp_fd = store_tmp_file(store, "disk", &packer->tmp_path);
	if (tmp_fd < 0)
		return tmp_fd;
	/* Read back when tar2sqfs fails: its reason goes into our one line. */
	packer->messages_fd = store_tmp_file(store, "tar2sqfs", &messages_path);
	if (packer->messages_fd < 0)
		return packer->messages_fd;
	unlink(messages_path);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return negative_errno();
	packer->pid = fork();
	if (packer->pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return negative_errno();
	}
	if (packer->pid == 0) {
		if (dup2(fds[0], STDIN_FILENO) < 0 || dup2(packer->messages_fd, STDERR_FILENO) < 0)
			_exit(127);
		execlp("tar2sqfs", "tar2sqfs", "--quiet", "--no-skip", "--force", packer->tmp_path,
		       (char *)NULL);
		fprintf(stderr, "cannot run tar2sqfs: %s\n", strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	packer->fd = fds[1];
	packer->out = convert_output_open(packer->fd);
	return packer->out ? 0 : -ENOMEM;
}

/* The first line tar2sqfs wrote, or its exit status. */
static int packer_failure(const struct packer *packer, int status, const char *what)
{
	char line[512] = "";
	ssize_t n = pread(packer->messages_fd, line, sizeof(line) - 1, 0);

	if (n > 0) {
		line[n] = '\0';
		line[strcspn(line, "\n")] = '\0';
	}
	if (n > 0 && *line)
		return error_set(-EIO, "%s: tar2sqfs refused it: %s", what, line);
	return error_set(-EIO, "%s: tar2sqfs failed (%s %d)", what,
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/*
 * Finish the tar, wait for tar2sqfs and publish its image at path (unless failed). what names
 * the disk in messages. A failed write means tar2sqfs stopped reading: its reason is the one.
 */
static int packer_finish(struct packer *packer, int r, const char *path, const char *what)
{
	int status = 0;

	if (packer->out) {
		int closed = convert_output_close(packer->out);

		if (r >= 0)
			r = closed;
	}
	if (packer->fd >= 0)
		close(packer->fd);
	while (packer->pid > 0 && waitpid(packer->pid, &status, 0) < 0 && errno == EINTR)
		;
	if ((r >= 0 || r == -EIO) && packer->pid > 0 &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		r = packer_failure(packer, status, what);
	if (r >= 0)
		r = store_publish(packer->tmp_path, path);
	if (r < 0 && packer->tmp_path)
		unlink(packer->tmp_path);
	if (packer->messages_fd >= 0)
		close(packer->messages_fd);
	free(packer->tmp_path);
	*packer = (struct packer){ .fd = -1, .messages_fd = -1 };
	return r;
}

static int disk_paths(struct store *store, const struct image *image, bool flatten,
		      char ***ret_paths, size_t *ret_count)
{
	size_t count = flatten ? 1 : image->layer_count;
	const char **diff_ids = calloc(image->layer_count + 1, sizeof(*diff_ids));
	char **paths = calloc(count + 1, sizeof(*paths));
	int r = diff_ids && paths ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < image->layer_count; i++) {
		char chain_id[DIGEST_STRING_LEN + 1];

		diff_ids[i] = image->layers[i].diff_id;
		if (flatten && i + 1 < image->layer_count)
			continue;
		r = digest_chain_id(diff_ids, i + 1, chain_id);
		if (r >= 0 && asprintf(&paths[flatten ? 0 : i], "%s/disks/%s/%s.sqfs", store->root,
				       flatten ? "flat" : "layer", digest_hex(chain_id)) < 0)
			r = -ENOMEM;
	}
	free(diff_ids);
	if (r < 0) {
		for (size_t i = 0; paths && i < count; i++)
			free(paths[i]);
		free(paths);
		return r;
	}
	*ret_paths = paths;
	*ret_count = count;
	return 0;
}

static bool disk_all_exist(char **paths, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (access(paths[i], F_OK) != 0)
			return false;
	}
	return true;
}

static int disk_build(struct store *store, const struct image *image, bool flatten, char **paths)
{
	struct packer packer = { .fd = -1, .messages_fd = -1 };
	char what[DIGEST_STRING_LEN + 16];
	struct convert *convert = NULL;
	int r;

	if (!packer_found())
		return error_set(-ENOENT, "tar2sqfs, which makes the disks, is not on PATH "
					  "(Debian package squashfs-tools-ng)");
	r = convert_new(&convert);

	for (size_t i = 0; r >= 0 && i < image->layer_count; i++) {
		_cleanup_free_ char *blob = NULL;
		bool wanted = !flatten && access(paths[i], F_OK) != 0;

		r = store_blob_path(store, image->layers[i].digest, &blob);
		if (r >= 0 && wanted)
			r = packer_start(store, &packer);
		if (r >= 0)
			r = convert_add_layer(convert, blob, image->layers[i].media_type,
					      image->layers[i].digest, wanted ? packer.out : NULL);
		snprintf(what, sizeof(what), "layer '%s'", image->layers[i].digest);
		if (wanted)
			r = packer_finish(&packer, r, paths[i], what);
	}
	if (r >= 0 && flatten) {
		r = packer_start(store, &packer);
		if (r >= 0)
			r = convert_write_flat(convert, packer.out);
		r = packer_finish(&packer, r, paths[0], "the flattened disk");
	}
	convert_free(convert);
	return r;
}

int disk_make(struct store *store, const struct image *image, bool flatten, char ***ret_paths,
	      size_t *ret_count)
{
	_cleanup_close_ int lock = -1;
	char key[DIGEST_HEX_LEN + 16];
	char **paths = NULL;
	size_t count = 0;
	int r;

	if (image->layer_count == 0)
		return error_set(-EINVAL, "image '%s' has no layers", image->manifest_digest);
	r = disk_paths(store, image, flatten, &paths, &count);
	if (r < 0)
		return r;
	if (!disk_all_exist(paths, count)) {
		/* One builder per image at a time; the others find its disks when it is done. */
		snprintf(key, sizeof(key), "disk-%s", digest_hex(image->chain_id));
		lock = store_lock_key(store, key);
		r = lock < 0 ? lock : 0;
		if (r >= 0 && !disk_all_exist(paths, count))
			r = disk_build(store, image, flatten, paths);
	}
	if (r < 0) {
		for (size_t i = 0; i < count; i++)
			free(paths[i]);
		free(paths);
		return r;
	}
	*ret_paths = paths;
	*ret_count = count;
	return 0;
}
