// SPDX-License-Identifier: MIT
#include "commit.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/cleanup.h"

#define OVERLAY_XATTR_PREFIX "trusted.overlay."
#define OPAQUE_XATTR "trusted.overlay.opaque"
#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"
#define XATTR_LIST_MAX 65536
#define XATTR_VALUE_MAX 65536
#define COPY_CHUNK 65536

/* A file with more than one link, by where it was first written. */
struct link_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

/* A directory entered whose header waits until something beneath it is written. */
struct pending_dir {
	struct archive_entry *entry;
	char *path;
	struct stat st;
	bool opaque;
	bool written;
};

struct writer {
	struct archive *archive;
	const struct commit_sink *sink;
	const struct commit_filter *filter;
	struct pending_dir *pending;
	size_t depth;
	size_t pending_capacity;
	int sink_error;
	struct commit_result *result;
	struct link_seen *links;
	size_t n_links;
	size_t links_capacity;
	char *xattr_names; /* XATTR_LIST_MAX bytes, reused for every file */
	char *xattr_value; /* XATTR_VALUE_MAX */
	char *data;	   /* COPY_CHUNK */
	char *err;
	size_t err_size;
};

static int fail(struct writer *w, int error, const char *path, const char *reason)
{
	snprintf(w->err, w->err_size, "'%s': %s", path[0] ? path : ".", reason);
	return error;
}

static int archive_failed(struct writer *w, const char *path)
{
	if (w->sink_error)
		return fail(w, w->sink_error, path, strerror(-w->sink_error));
	return fail(w, -EIO, path, archive_error_string(w->archive));
}

static la_ssize_t sink_write(struct archive *archive, void *context, const void *buf, size_t size)
{
	struct writer *w = context;
	int r = w->sink->write(w->sink->context, buf, size);

	if (r < 0) {
		w->sink_error = r;
		archive_set_error(archive, -r, "%s", strerror(-r));
		return -1;
	}
	w->result->size += size;
	return (la_ssize_t)size;
}

/* The first path of a file with several links, or NULL (then it is remembered). */
static int link_target(struct writer *w, const struct stat *st, const char *path, const char **ret)
{
	*ret = NULL;
	for (size_t i = 0; i < w->n_links; i++) {
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino) {
			*ret = w->links[i].path;
			return 0;
		}
	}
	if (w->n_links == w->links_capacity) {
		size_t capacity = w->links_capacity ? 2 * w->links_capacity : 64;
		struct link_seen *links = realloc(w->links, capacity * sizeof(*links));

		if (!links)
			return -ENOMEM;
		w->links = links;
		w->links_capacity = capacity;
	}
	w->links[w->n_links].path = strdup(path);
	if (!w->links[w->n_links].path)
		return -ENOMEM;
	w->links[w->n_links].dev = st->st_dev;
	w->links[w->n_links].ino = st->st_ino;
	w->n_links++;
	return 0;
}

/*
 * Copy the extended attributes of absolute path onto entry, but overlayfs's own. Sets
 * *ret_opaque for an opaque directory. Returns 0 or -errno (with err set).
 */
static int copy_xattrs(struct writer *w, const char *absolute, const char *path,
		       struct archive_entry *entry, bool *ret_opaque)
{
	char *names = w->xattr_names, *value = w->xattr_value;
	ssize_t size;

	*ret_opaque = false;
	size = llistxattr(absolute, names, XATTR_LIST_MAX);
	if (size < 0 && (errno == ENOTSUP || errno == ENODATA))
		return 0;
	if (size < 0)
		return fail(w, negative_errno(), path, "list its extended attributes");

	for (char *name = names; name < names + size; name += strlen(name) + 1) {
		ssize_t n = lgetxattr(absolute, name, value, XATTR_VALUE_MAX);

		if (n < 0)
			return fail(w, negative_errno(), path, "read an extended attribute");
		if (strcmp(name, OPAQUE_XATTR) == 0) {
			*ret_opaque = n == 1 && value[0] == 'y';
			continue;
		}
		if (strncmp(name, OVERLAY_XATTR_PREFIX, strlen(OVERLAY_XATTR_PREFIX)) == 0) {
			/* A redirect or a metacopy file: the data lives in a lower layer. */
			if (strcmp(name, OVERLAY_XATTR_PREFIX "redirect") == 0 ||
			    strcmp(name, OVERLAY_XATTR_PREFIX "metacopy") == 0) {
				char reason[160];

				snprintf(reason, sizeof(reason),
					 "has '%s': an overlay redirect or metacopy is not a whole "
					 "copy and cannot be committed",
					 name);
				return fail(w, -EOPNOTSUPP, path, reason);
			}
			continue;
		}
		archive_entry_xattr_add_entry(entry, name, value, (size_t)n);
	}
	return 0;
}

/* An empty regular file named name in directory dir, mode 0644, owned and timed like st. */
static int write_marker(struct writer *w, const char *dir, const char *name, const struct stat *st)
{
	struct archive_entry *entry = archive_entry_new();
	char path[PATH_MAX];
	int r = 0;

	if (!entry)
		return fail(w, -ENOMEM, dir, "out of memory");
	snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "", name);
	archive_entry_set_pathname(entry, path);
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_perm(entry, 0644);
	archive_entry_set_uid(entry, st->st_uid);
	archive_entry_set_gid(entry, st->st_gid);
	archive_entry_set_mtime(entry, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	archive_entry_set_size(entry, 0);
	if (archive_write_header(w->archive, entry) != ARCHIVE_OK)
		r = archive_failed(w, path);
	archive_entry_free(entry);
	return r;
}

static int copy_data(struct writer *w, const char *absolute, const char *path)
{
	_cleanup_close_ int fd = open(absolute, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	char *buffer = w->data;
	ssize_t n;

	if (fd < 0)
		return fail(w, negative_errno(), path, strerror(errno));
	while ((n = read(fd, buffer, COPY_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(w, negative_errno(), path, strerror(errno));
		if (archive_write_data(w->archive, buffer, (size_t)n) != n)
			return archive_failed(w, path);
	}
	return 0;
}

/* The entry for one file of the upper; *ret_opaque for an opaque directory. */
static int fill_entry(struct writer *w, const char *absolute, const char *path,
		      const struct stat *st, struct archive_entry *entry, bool *ret_opaque,
		      bool *ret_has_data)
{
	const char *first = NULL;
	int r;

	*ret_has_data = false;
	archive_entry_copy_stat(entry, st);
	archive_entry_set_pathname(entry, path);
	/* Only what a layer means: no link counts, inode or device numbers of this disk. */
	archive_entry_set_nlink(entry, 1);
	archive_entry_set_ino64(entry, 0);
	archive_entry_set_dev(entry, 0);
	archive_entry_unset_atime(entry);
	archive_entry_unset_ctime(entry);
	archive_entry_unset_birthtime(entry);

	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(absolute, target, sizeof(target) - 1);

		if (n < 0)
			return fail(w, negative_errno(), path, strerror(errno));
		target[n] = '\0';
		archive_entry_set_symlink(entry, target);
	} else if (S_ISREG(st->st_mode)) {
		if (st->st_nlink > 1) {
			r = link_target(w, st, path, &first);
			if (r < 0)
				return fail(w, r, path, "out of memory");
		}
		if (first) {
			archive_entry_set_hardlink(entry, first);
			archive_entry_set_size(entry, 0);
		} else {
			*ret_has_data = st->st_size > 0;
		}
	} else {
		archive_entry_set_size(entry, 0);
	}
	return copy_xattrs(w, absolute, path, entry, ret_opaque);
}

static int walk(struct writer *w, const char *absolute_dir, const char *dir);

/* Write the headers of the directories entered and not written yet, outermost first. */
static int flush_pending(struct writer *w)
{
	for (size_t i = 0; i < w->depth; i++) {
		struct pending_dir *d = &w->pending[i];
		const char *path = d->path;
		int r;

		if (d->written)
			continue;
		if (archive_write_header(w->archive, d->entry) != ARCHIVE_OK)
			return archive_failed(w, path);
		d->written = true;
		w->result->entries++;
		if (d->opaque) {
			/* An opaque directory hides everything below it in the lower layers. */
			r = write_marker(w, path, OPAQUE_MARKER, &d->st);
			if (r < 0)
				return r;
			w->result->entries++;
		}
	}
	return 0;
}

/*
 * A placeholder file counts only while empty. A placeholder directory is never a change of
 * its own; what the workload put beneath it still brings it into the layer.
 */
static bool is_placeholder(struct writer *w, const char *path, const struct stat *st)
{
	if (!w->filter || !w->filter->placeholder ||
	    !w->filter->placeholder(w->filter->context, path))
		return false;
	return S_ISDIR(st->st_mode) || (S_ISREG(st->st_mode) && st->st_size == 0);
}

/* Whether a directory is a change of its own, not only the parent of changes. */
static bool directory_changed(struct writer *w, const char *path, const struct stat *st,
			      bool opaque)
{
	struct stat below;

	if (opaque || !w->filter || !w->filter->lower_stat)
		return true;
	if (w->filter->lower_stat(w->filter->context, path, &below) < 0 || !S_ISDIR(below.st_mode))
		return true;
	return (below.st_mode & 07777) != (st->st_mode & 07777) || below.st_uid != st->st_uid ||
	       below.st_gid != st->st_gid;
}

static int enter_directory(struct writer *w, const char *absolute, const char *path,
			   const struct stat *st, struct archive_entry *entry, bool opaque)
{
	struct pending_dir *d;
	int r;

	if (w->depth == w->pending_capacity) {
		size_t capacity = w->pending_capacity ? 2 * w->pending_capacity : 16;
		struct pending_dir *grown = realloc(w->pending, capacity * sizeof(*grown));

		if (!grown) {
			archive_entry_free(entry);
			return fail(w, -ENOMEM, path, "out of memory");
		}
		w->pending = grown;
		w->pending_capacity = capacity;
	}
	d = &w->pending[w->depth++];
	*d = (struct pending_dir){
		.entry = entry, .path = strdup(path), .st = *st, .opaque = opaque
	};

	r = d->path ? 0 : fail(w, -ENOMEM, path, "out of memory");
	if (r == 0 && !is_placeholder(w, path, st) && directory_changed(w, path, st, opaque))
		r = flush_pending(w);
	if (r == 0)
		r = walk(w, absolute, path);
	d = &w->pending[--w->depth];
	archive_entry_free(d->entry);
	free(d->path);
	return r;
}

static int write_one(struct writer *w, const char *absolute_dir, const char *dir, const char *name)
{
	char absolute[PATH_MAX], path[PATH_MAX], marker[NAME_MAX + 8];
	struct archive_entry *entry;
	bool opaque = false, has_data = false;
	struct stat st;
	int r;

	if ((size_t)snprintf(absolute, sizeof(absolute), "%s/%s", absolute_dir, name) >=
		    sizeof(absolute) ||
	    (size_t)snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "", name) >=
		    sizeof(path))
		return fail(w, -ENAMETOOLONG, dir, "a path inside it is too long");
	if (lstat(absolute, &st) < 0)
		return fail(w, negative_errno(), path, strerror(errno));

	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		/* overlayfs's whiteout: the file is deleted in this layer. */
		r = flush_pending(w);
		if (r < 0)
			return r;
		w->result->whiteouts++;
		w->result->entries++;
		snprintf(marker, sizeof(marker), WHITEOUT_PREFIX "%s", name);
		return write_marker(w, dir, marker, &st);
	}
	if (S_ISSOCK(st.st_mode)) {
		/* A tar cannot hold a socket; whoever listened on it is gone anyway. */
		w->result->skipped_sockets++;
		return 0;
	}
	if (!S_ISDIR(st.st_mode) && is_placeholder(w, path, &st))
		return 0;

	entry = archive_entry_new();
	if (!entry)
		return fail(w, -ENOMEM, path, "out of memory");
	r = fill_entry(w, absolute, path, &st, entry, &opaque, &has_data);
	if (r < 0) {
		archive_entry_free(entry);
		return r;
	}
	if (S_ISDIR(st.st_mode))
		return enter_directory(w, absolute, path, &st, entry, opaque);

	r = flush_pending(w);
	if (r == 0 && archive_write_header(w->archive, entry) != ARCHIVE_OK)
		r = archive_failed(w, path);
	archive_entry_free(entry);
	if (r < 0)
		return r;
	w->result->entries++;
	return has_data ? copy_data(w, absolute, path) : 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry of directory dir (absolute_dir on this system), sorted by name. */
static int walk(struct writer *w, const char *absolute_dir, const char *dir)
{
	char **names = NULL;
	size_t n = 0, capacity = 0;
	struct dirent *d;
	DIR *stream = opendir(absolute_dir);
	int r = 0;

	if (!stream)
		return fail(w, negative_errno(), dir, strerror(errno));
	while ((d = readdir(stream))) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (n == capacity) {
			char **grown =
				realloc(names, (capacity ? 2 * capacity : 32) * sizeof(*names));

			if (!grown) {
				r = fail(w, -ENOMEM, dir, "out of memory");
				break;
			}
			names = grown;
			capacity = capacity ? 2 * capacity : 32;
		}
		names[n] = strdup(d->d_name);
		if (!names[n]) {
			r = fail(w, -ENOMEM, dir, "out of memory");
			break;
		}
		n++;
	}
	closedir(stream);

	if (r == 0 && n > 0)
		qsort(names, n, sizeof(*names), compare_names);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = write_one(w, absolute_dir, dir, names[i]);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int commit_write_layer(const char *upper, const struct commit_sink *sink,
		       const struct commit_filter *filter, struct commit_result *ret, char *err,
		       size_t err_size)
{
	struct writer w = {
		.sink = sink, .filter = filter, .result = ret, .err = err, .err_size = err_size
	};
	int r;

	*ret = (struct commit_result){ 0 };
	w.xattr_names = malloc(XATTR_LIST_MAX);
	w.xattr_value = malloc(XATTR_VALUE_MAX);
	w.data = malloc(COPY_CHUNK);
	w.archive = archive_write_new();
	if (!w.archive || !w.xattr_names || !w.xattr_value || !w.data) {
		r = fail(&w, -ENOMEM, "", "out of memory");
		goto out;
	}
	/*
	 * ustar where it can, pax headers only where needed (long names, xattrs), and xattrs
	 * only as SCHILY.xattr records, the form other layer tools read. Names go as the bytes
	 * they are (hdrcharset=BINARY): tether runs in the C locale, where libarchive cannot
	 * convert a name with a byte above 127 (a UTF-8 'café') and refused it.
	 */
	if (archive_write_set_format_pax_restricted(w.archive) != ARCHIVE_OK ||
	    archive_write_set_format_option(w.archive, "pax", "xattrheader", "SCHILY") !=
		    ARCHIVE_OK ||
	    archive_write_set_format_option(w.archive, "pax", "hdrcharset", "BINARY") !=
		    ARCHIVE_OK ||
	    archive_write_add_filter_none(w.archive) != ARCHIVE_OK ||
	    archive_write_open2(w.archive, &w, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
		r = archive_failed(&w, "");
		goto out;
	}

	r = walk(&w, upper, "");
	/* Closing writes the end-of-archive blocks: the layer is whole only after it. */
	if (archive_write_close(w.archive) != ARCHIVE_OK && r == 0)
		r = archive_failed(&w, "");
out:
	if (w.archive)
		archive_write_free(w.archive);
	for (size_t i = 0; i < w.n_links; i++)
		free(w.links[i].path);
	free(w.links);
	free(w.pending);
	free(w.xattr_names);
	free(w.xattr_value);
	free(w.data);
	return r;
}
