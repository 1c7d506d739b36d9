// SPDX-License-Identifier: MIT
#include "convert.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <search.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../common/cleanup.h"
#include "error.h"
#include "layer.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"

struct xattr {
	char *name;
	void *value;
	size_t size;
};

/* The bytes of a regular file: where they are (layer, entry number) and who shares them. */
struct file_data {
	size_t layer;
	long ordinal;
	int64_t size;
	int refs;
	char *primary; /* set while writing: the path written with the bytes */
};

struct node {
	char *name;
	struct node *parent;
	void *children; /* tsearch tree of struct node, by name */
	mode_t mode;	/* type and permissions */
	uid_t uid;
	gid_t gid;
	int64_t mtime;
	long mtime_nsec;
	dev_t rdev;
	char *symlink;
	struct xattr *xattrs;
	size_t xattr_count;
	struct file_data *data;
	bool opaque;
	long hidden_at; /* a layer's tree: the entry that hid what is below (whiteout, marker) */
};

/* One tar entry of a layer, checked and normalized. */
struct layer_entry {
	char *path;
	char *target; /* whiteout: the path it deletes; hardlink: the path it links to */
	enum convert_whiteout kind;
	bool hardlink;
	long ordinal;
	struct node attributes; /* name, parent, children unused */
};

/* A layer added: where its blob is and how it is compressed, to read its files again. */
struct convert_layer {
	char *path;
	char *media_type;
};

struct convert {
	struct node *root;
	struct convert_layer *layers;
	size_t layer_count;
};

/* --- names -------------------------------------------------------------------------------- */

int convert_clean_path(const char *name, char **ret_path)
{
	_cleanup_free_ char *copy = NULL;
	_cleanup_free_ char *path = NULL;
	size_t length = 0;
	char *saveptr = NULL;

	if (name[0] == '/')
		return error_set(-EINVAL, "absolute name");
	if (strlen(name) > CONVERT_PATH_MAX)
		return error_set(-ENAMETOOLONG, "name longer than %d bytes", CONVERT_PATH_MAX);
	copy = strdup(name);
	path = calloc(1, strlen(name) + 1);
	if (!copy || !path)
		return -ENOMEM;
	for (char *part = strtok_r(copy, "/", &saveptr); part;
	     part = strtok_r(NULL, "/", &saveptr)) {
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0)
			return error_set(-EINVAL, "name leaves the layer with '..'");
		if (strlen(part) > CONVERT_NAME_MAX)
			return error_set(-ENAMETOOLONG,
					 "a name in the path is longer than %d bytes",
					 CONVERT_NAME_MAX);
		if (length)
			path[length++] = '/';
		strcpy(path + length, part);
		length += strlen(part);
	}
	*ret_path = take_ptr(path);
	return 0;
}

int convert_whiteout_kind(const char *path, enum convert_whiteout *ret_kind, char **ret_target)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dir_length = slash ? (size_t)(slash - path) : 0;
	const char *name;

	/* A directory named like a whiteout would smuggle a slash into a whiteout's name. */
	for (const char *p = path; p < base; p = strchr(p, '/') + 1) {
		if (strncmp(p, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
			return error_set(-EINVAL, "whiteout prefix in a directory name");
	}
	*ret_target = NULL;
	if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) != 0) {
		*ret_kind = CONVERT_PLAIN;
		return 0;
	}
	if (strcmp(base, WHITEOUT_OPAQUE) == 0) {
		*ret_kind = CONVERT_OPAQUE;
		*ret_target = strndup(path, dir_length);
		return *ret_target ? 0 : -ENOMEM;
	}
	name = base + strlen(WHITEOUT_PREFIX);
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strncmp(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
		return error_set(-EINVAL, "bad whiteout name");
	*ret_kind = CONVERT_REMOVE;
	if (asprintf(ret_target, "%.*s%s%s", (int)dir_length, path, slash ? "/" : "", name) < 0)
		return -ENOMEM;
	return 0;
}

/* --- the tree ----------------------------------------------------------------------------- */

static int node_compare(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->name, ((const struct node *)b)->name);
}

static void xattrs_free(struct xattr *xattrs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(xattrs[i].name);
		free(xattrs[i].value);
	}
	free(xattrs);
}

static void data_unref(struct file_data *data)
{
	if (data && --data->refs == 0) {
		free(data->primary);
		free(data);
	}
}

static void node_free(void *pointer)
{
	struct node *node = pointer;

	if (!node)
		return;
	tdestroy(node->children, node_free);
	free(node->name);
	free(node->symlink);
	xattrs_free(node->xattrs, node->xattr_count);
	data_unref(node->data);
	free(node);
}

static struct node *node_child(const struct node *dir, const char *name)
{
	struct node key = { .name = (char *)name };
	struct node **found = tfind(&key, &dir->children, node_compare);

	return found ? *found : NULL;
}

static void node_remove(struct node *node)
{
	tdelete(node, &node->parent->children, node_compare);
	node_free(node);
}

static struct node *node_new_child(struct node *dir, const char *name)
{
	struct node *node = calloc(1, sizeof(*node));

	if (!node || !(node->name = strdup(name))) {
		free(node);
		return NULL;
	}
	node->parent = dir;
	if (!tsearch(node, &dir->children, node_compare)) {
		node_free(node);
		return NULL;
	}
	return node;
}

/* The node at a clean path, without following symlinks; NULL when there is none. */
static struct node *node_lookup(struct node *root, const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	struct node *node = root;
	char *saveptr = NULL;

	if (!copy)
		return NULL;
	for (char *part = strtok_r(copy, "/", &saveptr); part && node;
	     part = strtok_r(NULL, "/", &saveptr)) {
		if (!S_ISDIR(node->mode))
			return NULL;
		node = node_child(node, part);
	}
	return node;
}

static int xattrs_copy(const struct node *from, struct node *to)
{
	xattrs_free(to->xattrs, to->xattr_count);
	to->xattrs = NULL;
	to->xattr_count = 0;
	if (from->xattr_count == 0)
		return 0;
	to->xattrs = calloc(from->xattr_count, sizeof(*to->xattrs));
	if (!to->xattrs)
		return -ENOMEM;
	for (size_t i = 0; i < from->xattr_count; i++) {
		struct xattr *x = &to->xattrs[i];

		x->name = strdup(from->xattrs[i].name);
		x->value = malloc(from->xattrs[i].size + 1);
		if (!x->name || !x->value) {
			free(x->name);
			free(x->value);
			return -ENOMEM;
		}
		memcpy(x->value, from->xattrs[i].value, from->xattrs[i].size);
		x->size = from->xattrs[i].size;
		to->xattr_count++;
	}
	return 0;
}

/* Copy type, owner, mode, time, device, link target and xattrs (not the children). */
static int node_set_attributes(struct node *node, const struct node *from)
{
	node->mode = from->mode;
	node->uid = from->uid;
	node->gid = from->gid;
	node->mtime = from->mtime;
	node->mtime_nsec = from->mtime_nsec;
	node->rdev = from->rdev;
	free(node->symlink);
	node->symlink = from->symlink ? strdup(from->symlink) : NULL;
	if (from->symlink && !node->symlink)
		return -ENOMEM;
	return xattrs_copy(from, node);
}

static char *node_path(const struct node *node)
{
	char *path = NULL;
	char *parent;

	if (!node->parent)
		return strdup("");
	parent = node_path(node->parent);
	if (!parent)
		return NULL;
	if (asprintf(&path, "%s%s%s", parent, *parent ? "/" : "", node->name) < 0)
		path = NULL;
	free(parent);
	return path;
}

/* --- reading a layer ---------------------------------------------------------------------- */

static void entry_free(struct layer_entry *entry)
{
	free(entry->path);
	free(entry->target);
	free(entry->attributes.symlink);
	xattrs_free(entry->attributes.xattrs, entry->attributes.xattr_count);
}

/* squashfs stores attributes of these namespaces only. */
static bool xattr_name_storable(const char *name)
{
	static const char *const prefixes[] = { "user.", "trusted.", "security." };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0 &&
		    name[strlen(prefixes[i])] != '\0')
			return true;
	}
	return false;
}

static int entry_read_xattrs(struct archive_entry *source, struct node *attributes)
{
	const char *name;
	const void *value;
	size_t size, total = 0;
	int count = archive_entry_xattr_reset(source);

	if (count == 0)
		return 0;
	if (count > CONVERT_XATTRS_MAX)
		return error_set(-E2BIG, "more than %d extended attributes", CONVERT_XATTRS_MAX);
	attributes->xattrs = calloc((size_t)count, sizeof(*attributes->xattrs));
	if (!attributes->xattrs)
		return -ENOMEM;
	while (archive_entry_xattr_next(source, &name, &value, &size) == ARCHIVE_OK) {
		struct xattr *x = &attributes->xattrs[attributes->xattr_count];

		/* Overlay's own attributes in a layer would redirect or hide files. */
		if (strncmp(name, "trusted.overlay.", 16) == 0 ||
		    strncmp(name, "user.overlay.", 13) == 0)
			return error_set(-EPERM, "overlay attribute '%s' refused", name);
		if (!xattr_name_storable(name))
			return error_set(-ENOTSUP,
					 "attribute '%s': squashfs stores only user., trusted. and "
					 "security. attributes",
					 name);
		/* tar2sqfs reads a pax header of 64 KiB at most: the attributes, name and link. */
		total += strlen(name) + size;
		if (total > CONVERT_XATTRS_BYTES_MAX)
			return error_set(-E2BIG, "extended attributes of more than %d bytes in all",
					 CONVERT_XATTRS_BYTES_MAX);
		x->name = strdup(name);
		x->value = malloc(size + 1);
		if (!x->name || !x->value) {
			free(x->name);
			free(x->value);
			return -ENOMEM;
		}
		memcpy(x->value, value, size);
		x->size = size;
		attributes->xattr_count++;
	}
	return 0;
}

static int entry_read(struct archive_entry *source, long ordinal, struct layer_entry *entry)
{
	const char *hardlink = archive_entry_hardlink(source);
	struct node *attributes = &entry->attributes;
	mode_t type = archive_entry_filetype(source);
	int r;

	entry->ordinal = ordinal;
	if (!archive_entry_pathname(source))
		return error_set(-EINVAL, "entry without a name");
	r = convert_clean_path(archive_entry_pathname(source), &entry->path);
	if (r < 0)
		return r;
	/*
	 * A whiteout is a name, whatever the entry's type (umoci and Docker look at the name
	 * alone): a hardlink or a directory named .wh.NAME deletes NAME all the same.
	 */
	r = convert_whiteout_kind(entry->path, &entry->kind, &entry->target);
	if (r < 0 || entry->kind != CONVERT_PLAIN)
		return r;
	if (!*entry->path && (hardlink || type != AE_IFDIR))
		return error_set(-EINVAL, "the root is not a directory");
	if (hardlink) {
		entry->hardlink = true;
		r = convert_clean_path(hardlink, &entry->target);
		if (r < 0)
			return error_set(r, "hardlink target '%s': %s", hardlink, error_message());
		if (!*entry->target)
			return error_set(-EINVAL, "hardlink to the root");
		type = AE_IFREG;
	}
	switch (type) {
	case AE_IFREG:
	case AE_IFDIR:
	case AE_IFLNK:
	case AE_IFBLK:
	case AE_IFIFO:
		break;
	case AE_IFCHR:
		/* A char device 0/0 is how overlay spells a whiteout: never let one through. */
		if (archive_entry_rdev(source) == 0)
			return error_set(-EPERM, "char device 0/0 would be read as a whiteout");
		break;
	default:
		return error_set(-EINVAL, "unsupported entry type 0%o", (unsigned)type);
	}
	/* squashfs keeps 32-bit owners: a bigger one would become another owner (2^32 is root). */
	if (archive_entry_uid(source) < 0 || archive_entry_uid(source) >= UINT32_MAX ||
	    archive_entry_gid(source) < 0 || archive_entry_gid(source) >= UINT32_MAX)
		return error_set(-ERANGE, "owner %lld:%lld out of range",
				 (long long)archive_entry_uid(source),
				 (long long)archive_entry_gid(source));
	attributes->mode = type | (archive_entry_perm(source) & 07777);
	attributes->uid = (uid_t)archive_entry_uid(source);
	attributes->gid = (gid_t)archive_entry_gid(source);
	attributes->mtime = archive_entry_mtime(source);
	attributes->mtime_nsec = archive_entry_mtime_nsec(source);
	attributes->rdev = archive_entry_rdev(source);
	if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(source) ?: "";

		if (strlen(target) > CONVERT_PATH_MAX)
			return error_set(-ENAMETOOLONG, "symlink target too long");
		attributes->symlink = strdup(target);
		if (!attributes->symlink)
			return -ENOMEM;
	}
	attributes->data = NULL;
	if (type == AE_IFREG && !entry->hardlink)
		attributes->mtime_nsec = archive_entry_mtime_nsec(source);
	return entry_read_xattrs(source, attributes);
}

/*
 * The error r of an entry, named with the layer: a name of kilobytes is cut, so that the
 * reason still fits the message.
 */
static int entry_error(int r, const char *layer, const char *path)
{
	size_t length = strlen(path);

	return error_set(r, "layer '%s' entry '%.*s%s': %s", layer,
			 length > 400 ? 400 : (int)length, path, length > 400 ? "..." : "",
			 error_message() ?: strerror(-r));
}

/* Every entry of the layer, checked and normalized, in archive order. */
static int layer_read_entries(const struct convert_layer *layer, const char *name,
			      struct layer_entry **ret_entries, size_t *ret_count)
{
	struct archive *archive = NULL;
	struct archive_entry *source;
	struct layer_entry *entries = NULL;
	size_t count = 0, capacity = 0;
	int status, r = layer_open(layer->path, layer->media_type, false, &archive);

	/* A layer of no bytes (after decompression) has no entries: libarchive finds no tar. */
	if (r == -EBADMSG && layer_is_empty(layer->path, layer->media_type) == 1) {
		*ret_entries = NULL;
		*ret_count = 0;
		return 0;
	}
	if (r < 0)
		return error_set(r, "layer '%s': %s%s", name, r == -EBADMSG ? "not a tar: " : "",
				 error_message());
	while ((status = archive_read_next_header(archive, &source)) == ARCHIVE_OK ||
	       status == ARCHIVE_WARN) {
		if (count == CONVERT_ENTRIES_MAX) {
			r = error_set(-E2BIG, "layer '%s' has more than %d entries", name,
				      CONVERT_ENTRIES_MAX);
			break;
		}
		if (count == capacity) {
			struct layer_entry *bigger;

			capacity = capacity ? capacity * 2 : 256;
			bigger = realloc(entries, capacity * sizeof(*entries));
			if (!bigger) {
				r = -ENOMEM;
				break;
			}
			entries = bigger;
		}
		entries[count] = (struct layer_entry){ 0 };
		r = entry_read(source, (long)count, &entries[count]);
		count++;
		if (r < 0) {
			r = entry_error(r, name, archive_entry_pathname(source) ?: "");
			break;
		}
	}
	if (r >= 0 && status != ARCHIVE_EOF)
		r = error_set(-EBADMSG, "layer '%s': %s%s", name, count == 0 ? "not a tar: " : "",
			      archive_error_string(archive));
	archive_read_free(archive);
	if (r < 0) {
		for (size_t i = 0; i < count; i++)
			entry_free(&entries[i]);
		free(entries);
		return r;
	}
	*ret_entries = entries;
	*ret_count = count;
	return 0;
}

/* --- applying a layer to a tree ----------------------------------------------------------- */

/*
 * A layer becomes its own overlay tree, built over the merged view of the layers below
 * (lower), in the steps umoci's unpacking comes to: the opaque marker of the root, the other
 * opaque markers, the whiteouts, then the entries in archive order. Markers and whiteouts hide
 * the layers below only, never the layer's own entries. Where umoci's result depends on the
 * order in the archive (an entry before the whiteout of its parent keeps that parent's
 * attributes), the ordinal of what hid the layers below (hidden_at) says which came first.
 * The merged view is then that tree laid over it as overlayfs lays it: both kinds of disks
 * are one result.
 */
struct apply {
	struct node *root;
	struct node *lower;
	size_t layer;
	void *listed; /* what the layer lists, by path */
};

/* What the layer lists at a path: its first directory entry there, and its first other one. */
struct listed {
	const char *path;
	long first_dir;
	long first_other;
	mode_t other_mode;
};

static const struct node default_dir = { .mode = S_IFDIR | 0755 };

static bool node_is_whiteout(const struct node *node)
{
	return S_ISCHR(node->mode) && node->rdev == makedev(0, 0);
}

static const char *type_name(mode_t mode)
{
	return S_ISLNK(mode) ? "a symbolic link" : "not a directory";
}

static int listed_compare(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->path, ((const struct listed *)b)->path);
}

static void listed_free_node(void *pointer)
{
	(void)pointer;
}

/* The index of the layer's plain entries; ret_array holds its nodes, freed after the tree. */
static int listed_build(const struct layer_entry *entries, size_t count, void **ret_tree,
			struct listed **ret_array)
{
	struct listed *array = calloc(count + 1, sizeof(*array));
	void *tree = NULL;
	size_t used = 0;

	if (!array)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const struct layer_entry *entry = &entries[i];
		struct listed key = { .path = entry->path }, **found;
		bool dir = S_ISDIR(entry->attributes.mode) && !entry->hardlink;

		if (entry->kind != CONVERT_PLAIN)
			continue;
		found = tfind(&key, &tree, listed_compare);
		if (!found) {
			array[used] = (struct listed){ entry->path, -1, -1, 0 };
			found = tsearch(&array[used++], &tree, listed_compare);
			if (!found) {
				tdestroy(tree, listed_free_node);
				free(array);
				return -ENOMEM;
			}
		}
		if (dir && (*found)->first_dir < 0)
			(*found)->first_dir = entry->ordinal;
		if (!dir && (*found)->first_other < 0) {
			(*found)->first_other = entry->ordinal;
			(*found)->other_mode = entry->hardlink ? S_IFREG : entry->attributes.mode;
		}
	}
	*ret_tree = tree;
	*ret_array = array;
	return 0;
}

static const struct listed *listed_find(const struct apply *apply, const char *path)
{
	struct listed key = { .path = path };
	struct listed **found = tfind(&key, &apply->listed, listed_compare);

	return found ? *found : NULL;
}

/* Whether the layer lists a symlink at path before ordinal, not made a directory again since. */
static bool listed_link_before(const struct listed *listed, long ordinal)
{
	return listed && listed->first_other >= 0 && listed->first_other < ordinal &&
	       S_ISLNK(listed->other_mode) &&
	       !(listed->first_dir > listed->first_other && listed->first_dir < ordinal);
}

/* Whether the layer lists a file or link at path before ordinal, not made a directory since. */
static bool listed_other_before(const struct listed *listed, long ordinal)
{
	return listed && listed->first_other >= 0 && listed->first_other < ordinal &&
	       !(listed->first_dir > listed->first_other && listed->first_dir < ordinal);
}

/*
 * What the layers below show at path, through what this layer's markers and whiteouts have
 * made of its own tree so far (a deleted or opaque directory hides what is below it); NULL
 * when nothing. A marker or whiteout (at ordinal) below a symlink is refused: of the layers
 * below, or of this layer when listed before it (umoci would follow the link).
 */
static int apply_below(const struct apply *apply, const char *path, long ordinal,
		       const struct node **ret)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_free_ char *prefix = calloc(1, strlen(path) + 1);
	const struct node *upper = apply->root, *lower = apply->lower;
	char *saveptr = NULL, *part, *next;

	*ret = NULL;
	if (!copy || !prefix)
		return -ENOMEM;
	for (part = strtok_r(copy, "/", &saveptr); part; part = next) {
		const struct listed *listed;

		next = strtok_r(NULL, "/", &saveptr);
		upper = upper ? node_child(upper, part) : NULL;
		lower = lower ? node_child(lower, part) : NULL;
		if (upper && node_is_whiteout(upper))
			return 0;
		if (!next) {
			*ret = lower;
			return 0;
		}
		if (*prefix)
			strcat(prefix, "/");
		strcat(prefix, part);
		listed = listed_find(apply, prefix);
		if (listed_link_before(listed, ordinal))
			return error_set(-ENOTDIR, "parent '%s' is a symbolic link", prefix);
		/* Below a file there is nothing to delete. */
		if (listed_other_before(listed, ordinal))
			return 0;
		if (upper && upper->opaque)
			lower = NULL;
		if (lower && !S_ISDIR(lower->mode)) {
			if (S_ISLNK(lower->mode) &&
			    (!listed || listed->first_dir < 0 || listed->first_dir > ordinal))
				return error_set(-ENOTDIR,
						 "parent '%s' in a lower layer is a symbolic link",
						 prefix);
			lower = NULL; /* a file, or the layer made a directory of it first */
		}
	}
	return 0;
}

/*
 * The directory at path in the layer's tree, for an entry at ordinal, made when missing with
 * the attributes it has below (or 0755 root). A symlink or file on the way is refused: writing
 * through it would land outside the directory the layer names. A directory the layer deleted
 * is made again, opaque: new (0755 root) when deleted before the entry, as umoci then makes
 * it, with its attributes from below when deleted after (umoci keeps what a layer wrote in).
 */
static int apply_dir(const struct apply *apply, const char *path, long ordinal, struct node **ret)
{
	_cleanup_free_ char *copy = strdup(path);
	struct node *node = apply->root;
	struct node *lower = apply->lower;
	char *saveptr = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *part = strtok_r(copy, "/", &saveptr); part;
	     part = strtok_r(NULL, "/", &saveptr)) {
		struct node *child = node_child(node, part);
		long hidden_at = child && node_is_whiteout(child) ? child->hidden_at : -1;
		int r;

		lower = lower && S_ISDIR(lower->mode) ? node_child(lower, part) : NULL;
		if (hidden_at >= 0) {
			node_remove(child);
			child = NULL;
			if (hidden_at < ordinal)
				lower = NULL;
		}
		if (!child) {
			const struct node *from = lower ? lower : &default_dir;

			if (!S_ISDIR(from->mode))
				return error_set(-ENOTDIR, "parent '%s' in a lower layer is %s",
						 part, type_name(from->mode));
			child = node_new_child(node, part);
			if (!child)
				return -ENOMEM;
			r = node_set_attributes(child, from);
			if (r < 0)
				return r;
			child->opaque = hidden_at >= 0;
			child->hidden_at = hidden_at;
		} else if (!S_ISDIR(child->mode)) {
			return error_set(-ENOTDIR, "parent '%s' is %s", part,
					 type_name(child->mode));
		}
		if (child->opaque && child->hidden_at < ordinal)
			lower = NULL;
		node = child;
	}
	*ret = node;
	return 0;
}

static int apply_split(const char *path, char **ret_dir, const char **ret_base)
{
	const char *slash = strrchr(path, '/');

	*ret_dir = strndup(path, slash ? (size_t)(slash - path) : 0);
	*ret_base = slash ? slash + 1 : path;
	return *ret_dir ? 0 : -ENOMEM;
}

/* The node at path in the layer's tree, made anew (for a marker or whiteout at ordinal). */
static int apply_replace(const struct apply *apply, const char *path, long ordinal,
			 struct node **ret)
{
	_cleanup_free_ char *dir_path = NULL;
	struct node *dir, *node;
	const char *base;
	int r = apply_split(path, &dir_path, &base);

	if (r >= 0)
		r = apply_dir(apply, dir_path, ordinal, &dir);
	if (r < 0)
		return r;
	node = node_child(dir, base);
	if (node)
		node_remove(node);
	*ret = node_new_child(dir, base);
	return *ret ? 0 : -ENOMEM;
}

static void node_make_whiteout(struct node *node, long ordinal)
{
	node->mode = S_IFCHR;
	node->rdev = makedev(0, 0);
	node->hidden_at = ordinal;
}

struct root_walk {
	struct node *root;
	long ordinal;
	int error;
};

static void apply_root_whiteout(const void *pointer, VISIT which, void *closure)
{
	const struct node *below = *(const struct node *const *)pointer;
	struct root_walk *walk = closure;
	struct node *node;

	if ((which != postorder && which != leaf) || walk->error < 0)
		return;
	node = node_new_child(walk->root, below->name);
	if (node)
		node_make_whiteout(node, walk->ordinal);
	else
		walk->error = -ENOMEM;
}

/*
 * An opaque marker at the root. overlayfs reads no opaque attribute on a layer's root, so the
 * layer's tree gets a whiteout for every name the layers below have there.
 */
static int apply_root_opaque(const struct apply *apply, const struct layer_entry *entry)
{
	struct root_walk walk = { .root = apply->root, .ordinal = entry->ordinal };

	twalk_r(apply->lower->children, apply_root_whiteout, &walk);
	return walk.error;
}

/*
 * An opaque marker in a directory: the directory the layers below have there loses what they
 * put in it. A marker whose directory is neither below nor in the layer does nothing (umoci
 * neither); one on a symlink of the layers below (unless the layer made a directory there
 * first) or one the layer lists before the marker is refused: umoci would empty what the link
 * points to.
 */
static int apply_opaque(const struct apply *apply, const struct layer_entry *entry)
{
	const struct node *below = NULL;
	const struct listed *listed;
	struct node *node;
	int r = apply_below(apply, entry->target, entry->ordinal, &below);

	if (r < 0)
		return r;
	listed = listed_find(apply, entry->target);
	if (listed_link_before(listed, entry->ordinal))
		return error_set(-ENOTDIR, "'%s' is a symbolic link", entry->target);
	if (below && !S_ISDIR(below->mode)) {
		if (S_ISLNK(below->mode) &&
		    (!listed || listed->first_dir < 0 || listed->first_dir > entry->ordinal))
			return error_set(-ENOTDIR, "'%s' in a lower layer is a symbolic link",
					 entry->target);
		below = NULL;
	}
	if (!below && (!listed || listed->first_dir < 0))
		return 0;
	node = node_lookup(apply->root, entry->target);
	if (!node || !S_ISDIR(node->mode)) {
		r = apply_replace(apply, entry->target, entry->ordinal, &node);
		if (r >= 0)
			r = node_set_attributes(node, below ? below : &default_dir);
		if (r < 0)
			return r;
		node->hidden_at = entry->ordinal;
	}
	if (!node->opaque || node->hidden_at > entry->ordinal)
		node->hidden_at = entry->ordinal;
	node->opaque = true;
	return 0;
}

/* A whiteout: what the layers below have at its target is deleted; nothing there, nothing. */
static int apply_remove(const struct apply *apply, const struct layer_entry *entry)
{
	const struct node *below = NULL;
	struct node *node;
	int r = apply_below(apply, entry->target, entry->ordinal, &below);

	if (r < 0 || !below)
		return r;
	r = apply_replace(apply, entry->target, entry->ordinal, &node);
	if (r >= 0)
		node_make_whiteout(node, entry->ordinal);
	return r;
}

/* The file a hardlink names: in the layer's tree, else in the layers below. */
static int apply_link_target(const struct apply *apply, const struct layer_entry *entry,
			     struct node **ret)
{
	struct node *target = node_lookup(apply->root, entry->target);

	if (!target)
		target = node_lookup(apply->lower, entry->target);
	if (!target)
		return error_set(-ENOENT, "hardlink to '%s', which is not in the image",
				 entry->target);
	if (!S_ISREG(target->mode) || !target->data)
		return error_set(-EINVAL, "hardlink to '%s', which is not a regular file",
				 entry->target);
	*ret = target;
	return 0;
}

static int apply_entry(const struct apply *apply, const struct layer_entry *entry)
{
	_cleanup_free_ char *dir_path = NULL;
	struct node *target = NULL;
	struct node *dir = NULL;
	struct node *node;
	long hidden_at = -1;
	const char *base;
	int r;

	if (!*entry->path)
		return node_set_attributes(apply->root, &entry->attributes);
	if (entry->hardlink) {
		r = apply_link_target(apply, entry, &target);
		if (r < 0)
			return r;
	}
	r = apply_split(entry->path, &dir_path, &base);
	if (r >= 0)
		r = apply_dir(apply, dir_path, entry->ordinal, &dir);
	if (r < 0)
		return r;
	node = node_child(dir, base);
	/*
	 * A directory the layer both deletes (or replaces) and writes is new: it must hide what
	 * the layers below have there, as overlayfs does for a directory made over a whiteout.
	 */
	if (node && node_is_whiteout(node))
		hidden_at = node->hidden_at;
	/* A file or link of this layer replaced what was below: a directory after it is new. */
	else if (node && !S_ISDIR(node->mode))
		hidden_at = entry->ordinal;
	/* A directory over a directory merges with it; anything else replaces what was there. */
	if (node && !(S_ISDIR(node->mode) && S_ISDIR(entry->attributes.mode) && !entry->hardlink)) {
		if (target == node)
			return error_set(-EINVAL, "hardlink to itself");
		node_remove(node);
		node = NULL;
	}
	if (!node)
		node = node_new_child(dir, base);
	if (!node)
		return -ENOMEM;
	if (entry->hardlink) {
		r = node_set_attributes(node, target);
		node->data = target->data;
		node->data->refs++;
		return r;
	}
	r = node_set_attributes(node, &entry->attributes);
	if (r >= 0 && hidden_at >= 0 && S_ISDIR(node->mode)) {
		node->opaque = true;
		node->hidden_at = hidden_at;
	}
	if (r >= 0 && S_ISREG(node->mode)) {
		node->data = calloc(1, sizeof(*node->data));
		if (!node->data)
			return -ENOMEM;
		*node->data = (struct file_data){ .layer = apply->layer,
						  .ordinal = entry->ordinal,
						  .refs = 1 };
	}
	return r;
}

enum apply_step {
	APPLY_ROOT_OPAQUE,
	APPLY_OPAQUE,
	APPLY_REMOVE,
	APPLY_ENTRIES,
};

static enum apply_step apply_step_of(const struct layer_entry *entry)
{
	if (entry->kind == CONVERT_OPAQUE)
		return *entry->target ? APPLY_OPAQUE : APPLY_ROOT_OPAQUE;
	return entry->kind == CONVERT_REMOVE ? APPLY_REMOVE : APPLY_ENTRIES;
}

static int apply_one(const struct apply *apply, const struct layer_entry *entry)
{
	switch (apply_step_of(entry)) {
	case APPLY_ROOT_OPAQUE:
		return apply_root_opaque(apply, entry);
	case APPLY_OPAQUE:
		return apply_opaque(apply, entry);
	case APPLY_REMOVE:
		return apply_remove(apply, entry);
	case APPLY_ENTRIES:
		break;
	}
	return apply_entry(apply, entry);
}

static int apply_layer(const struct apply *apply, const struct layer_entry *entries, size_t count,
		       const char *name)
{
	bool root_opaque_done = false;

	for (int step = APPLY_ROOT_OPAQUE; step <= APPLY_ENTRIES; step++) {
		for (size_t i = 0; i < count; i++) {
			const struct layer_entry *entry = &entries[i];
			int r;

			if ((int)apply_step_of(entry) != step)
				continue;
			/* The first root marker hides the layers below; others add nothing. */
			if (step == APPLY_ROOT_OPAQUE && root_opaque_done)
				continue;
			root_opaque_done = root_opaque_done || step == APPLY_ROOT_OPAQUE;
			r = apply_one(apply, entry);
			if (r < 0)
				return entry_error(r, name, entry->path);
		}
	}
	return 0;
}

/* --- laying a layer's tree over the merged view ------------------------------------------- */

struct merge_walk {
	struct node *dir;
	int error;
};

static int merge_children(struct node *dir, const struct node *upper);

static void merge_visit(const void *pointer, VISIT which, void *closure)
{
	const struct node *upper = *(const struct node *const *)pointer;
	struct merge_walk *walk = closure;
	struct node *node;
	int r;

	if ((which != postorder && which != leaf) || walk->error < 0)
		return;
	node = node_child(walk->dir, upper->name);
	if (node_is_whiteout(upper)) {
		if (node)
			node_remove(node);
		return;
	}
	/* As overlayfs: a directory over a directory merges unless opaque, all else replaces. */
	if (node && !(S_ISDIR(node->mode) && S_ISDIR(upper->mode) && !upper->opaque)) {
		node_remove(node);
		node = NULL;
	}
	if (!node)
		node = node_new_child(walk->dir, upper->name);
	r = node ? node_set_attributes(node, upper) : -ENOMEM;
	if (r >= 0 && S_ISREG(upper->mode)) {
		node->data = upper->data;
		node->data->refs++;
	}
	if (r >= 0 && S_ISDIR(upper->mode))
		r = merge_children(node, upper);
	if (r < 0)
		walk->error = r;
}

static int merge_children(struct node *dir, const struct node *upper)
{
	struct merge_walk walk = { .dir = dir };

	twalk_r(upper->children, merge_visit, &walk);
	return walk.error;
}

/* The merged view with a layer's tree laid over it. */
static int merge_layer(struct node *root, const struct node *upper)
{
	int r = node_set_attributes(root, upper);

	return r < 0 ? r : merge_children(root, upper);
}

/* --- writing a tree ----------------------------------------------------------------------- */

struct writer {
	struct archive *out;
	struct convert *convert;
	struct node **files; /* regular files whose bytes are written from their layer */
	size_t file_count, file_capacity;
	bool links; /* the walk that writes second paths of files as hardlinks */
	int error;
};

static int write_header(struct writer *writer, const struct node *node, const char *path,
			const char *hardlink, int64_t size)
{
	struct archive_entry *entry = archive_entry_new();
	int r = 0;

	if (!entry)
		return -ENOMEM;
	archive_entry_set_pathname(entry, *path ? path : ".");
	archive_entry_set_mode(entry, node->mode);
	archive_entry_set_uid(entry, node->uid);
	archive_entry_set_gid(entry, node->gid);
	archive_entry_set_mtime(entry, node->mtime, node->mtime_nsec);
	if (S_ISCHR(node->mode) || S_ISBLK(node->mode))
		archive_entry_set_rdev(entry, node->rdev);
	if (node->symlink)
		archive_entry_set_symlink(entry, node->symlink);
	if (hardlink)
		archive_entry_set_hardlink(entry, hardlink);
	archive_entry_set_size(entry, S_ISREG(node->mode) && !hardlink ? size : 0);
	for (size_t i = 0; i < node->xattr_count; i++)
		archive_entry_xattr_add_entry(entry, node->xattrs[i].name, node->xattrs[i].value,
					      node->xattrs[i].size);
	if (node->opaque)
		archive_entry_xattr_add_entry(entry, OVERLAY_OPAQUE_XATTR, "y", 1);
	if (archive_write_header(writer->out, entry) != ARCHIVE_OK)
		r = error_set(-EIO, "write '%s': %s", path, archive_error_string(writer->out));
	archive_entry_free(entry);
	return r;
}

static int writer_collect_file(struct writer *writer, struct node *node)
{
	if (writer->file_count == writer->file_capacity) {
		size_t capacity = writer->file_capacity ? writer->file_capacity * 2 : 256;
		struct node **bigger = realloc(writer->files, capacity * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		writer->files = bigger;
		writer->file_capacity = capacity;
	}
	writer->files[writer->file_count++] = node;
	return 0;
}

/*
 * First walk: every node but regular files goes out now, directories before their contents;
 * the first path of each file's bytes is remembered as its primary, and the others go out as
 * hardlinks to it in the last walk.
 */
static void write_walk(struct writer *writer, const struct node *dir);

static void write_visit(const void *pointer, VISIT which, void *closure)
{
	struct node *node = *(struct node *const *)pointer;
	struct writer *writer = closure;
	_cleanup_free_ char *path = NULL;
	int r = 0;

	if ((which != postorder && which != leaf) || writer->error < 0)
		return;
	path = node_path(node);
	if (!path) {
		writer->error = -ENOMEM;
		return;
	}
	if (!writer->links) {
		if (!S_ISREG(node->mode))
			r = write_header(writer, node, path, NULL, 0);
		else if (!node->data->primary) {
			node->data->primary = strdup(path);
			r = node->data->primary ? writer_collect_file(writer, node) : -ENOMEM;
		}
	} else if (S_ISREG(node->mode) && strcmp(node->data->primary, path) != 0) {
		r = write_header(writer, node, path, node->data->primary, 0);
	}
	if (r < 0)
		writer->error = r;
	else if (S_ISDIR(node->mode))
		write_walk(writer, node);
}

static void write_walk(struct writer *writer, const struct node *dir)
{
	twalk_r(dir->children, write_visit, writer);
}

static int file_compare(const void *a, const void *b)
{
	const struct file_data *x = (*(struct node *const *)a)->data;
	const struct file_data *y = (*(struct node *const *)b)->data;

	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	return (x->ordinal > y->ordinal) - (x->ordinal < y->ordinal);
}

static int write_data(struct writer *writer, struct archive *layer, const struct node *node,
		      struct archive_entry *source)
{
	int64_t size = archive_entry_size(source);
	int64_t written = 0;
	char buf[65536];
	ssize_t n;
	int r = write_header(writer, node, node->data->primary, NULL, size);

	if (r < 0)
		return r;
	while ((n = archive_read_data(layer, buf, sizeof(buf))) > 0) {
		if (archive_write_data(writer->out, buf, (size_t)n) != n)
			return error_set(-EIO, "write '%s': %s", node->data->primary,
					 archive_error_string(writer->out));
		written += n;
	}
	if (n < 0 || written != size)
		return error_set(-EBADMSG, "read '%s': %s", node->data->primary,
				 n < 0 ? archive_error_string(layer) : "short file");
	return 0;
}

/* Second step: the bytes of every file, read from its layer in archive order. */
static int write_files(struct writer *writer)
{
	size_t next = 0;

	if (writer->file_count == 0)
		return 0;
	qsort(writer->files, writer->file_count, sizeof(*writer->files), file_compare);
	while (next < writer->file_count) {
		size_t layer_index = writer->files[next]->data->layer;
		const struct convert_layer *from = &writer->convert->layers[layer_index];
		const char *path = from->path;
		struct archive *layer = NULL;
		struct archive_entry *source;
		long ordinal = 0;
		int status, r = layer_open(path, from->media_type, false, &layer);

		if (r < 0)
			return error_set(r, "layer '%s': %s", path, error_message());
		while (next < writer->file_count &&
		       writer->files[next]->data->layer == layer_index && r >= 0) {
			status = archive_read_next_header(layer, &source);
			if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
				r = error_set(-EBADMSG, "layer '%s' changed while read: %s", path,
					      archive_error_string(layer));
				break;
			}
			if (ordinal++ == writer->files[next]->data->ordinal)
				r = write_data(writer, layer, writer->files[next++], source);
		}
		archive_read_free(layer);
		if (r < 0)
			return r;
	}
	return 0;
}

static void write_reset_primaries(struct writer *writer)
{
	for (size_t i = 0; i < writer->file_count; i++) {
		free(writer->files[i]->data->primary);
		writer->files[i]->data->primary = NULL;
	}
}

static int write_tree(struct convert *convert, struct node *root, struct archive *out)
{
	struct writer writer = { .out = out, .convert = convert };
	int r = write_header(&writer, root, "", NULL, 0);

	if (r >= 0) {
		write_walk(&writer, root);
		r = writer.error;
	}
	if (r >= 0)
		r = write_files(&writer);
	if (r >= 0) {
		writer.links = true;
		write_walk(&writer, root);
		r = writer.error;
	}
	write_reset_primaries(&writer);
	free(writer.files);
	return r;
}

/* --- the public side ---------------------------------------------------------------------- */

int convert_new(struct convert **ret)
{
	struct convert *convert = calloc(1, sizeof(*convert));

	if (!convert)
		return -ENOMEM;
	convert->root = calloc(1, sizeof(*convert->root));
	if (!convert->root) {
		free(convert);
		return -ENOMEM;
	}
	convert->root->mode = S_IFDIR | 0755;
	*ret = convert;
	return 0;
}

void convert_free(struct convert *convert)
{
	if (!convert)
		return;
	node_free(convert->root);
	for (size_t i = 0; i < convert->layer_count; i++) {
		free(convert->layers[i].path);
		free(convert->layers[i].media_type);
	}
	free(convert->layers);
	free(convert);
}

/* The layer's own tree (written to out when given), then laid over the merged view. */
static int layer_apply_twice(struct convert *convert, const struct layer_entry *entries,
			     size_t count, const char *name, struct archive *out)
{
	struct apply apply = { .lower = convert->root, .layer = convert->layer_count - 1 };
	struct listed *listed = NULL;
	struct node *upper = calloc(1, sizeof(*upper));
	int r = upper ? node_set_attributes(upper, convert->root) : -ENOMEM;

	if (r >= 0)
		r = listed_build(entries, count, &apply.listed, &listed);
	apply.root = upper;
	if (r >= 0)
		r = apply_layer(&apply, entries, count, name);
	if (r >= 0 && out)
		r = write_tree(convert, upper, out);
	if (r >= 0)
		r = merge_layer(convert->root, upper);
	tdestroy(apply.listed, listed_free_node);
	free(listed);
	node_free(upper);
	return r;
}

int convert_add_layer(struct convert *convert, const char *path, const char *media_type,
		      const char *name, struct archive *out)
{
	struct layer_entry *entries = NULL;
	struct convert_layer *layers, *layer;
	size_t count = 0;
	int r;

	layers = realloc(convert->layers, (convert->layer_count + 1) * sizeof(*layers));
	if (!layers)
		return -ENOMEM;
	convert->layers = layers;
	layer = &layers[convert->layer_count];
	*layer = (struct convert_layer){ strdup(path), strdup(media_type) };
	if (!layer->path || !layer->media_type) {
		free(layer->path);
		free(layer->media_type);
		return -ENOMEM;
	}
	convert->layer_count++;

	r = layer_read_entries(layer, name, &entries, &count);
	if (r < 0)
		return r;
	/*
	 * The layer's own tree is built for both kinds of disks, written or not: it is where a
	 * layer is refused, so a flattened disk refuses what the layer disks refuse.
	 */
	r = layer_apply_twice(convert, entries, count, name, out);
	for (size_t i = 0; i < count; i++)
		entry_free(&entries[i]);
	free(entries);
	return r;
}

int convert_check_layer(const char *path, const char *media_type, const char *name)
{
	const struct convert_layer layer = { (char *)path, (char *)media_type };
	struct layer_entry *entries = NULL;
	size_t count = 0;
	int r = layer_read_entries(&layer, name, &entries, &count);

	for (size_t i = 0; i < count; i++)
		entry_free(&entries[i]);
	free(entries);
	return r;
}

int convert_write_flat(struct convert *convert, struct archive *out)
{
	return write_tree(convert, convert->root, out);
}

struct archive *convert_output_open(int fd)
{
	struct archive *out = archive_write_new();

	if (!out)
		return NULL;
	/*
	 * xattrs once, as SCHILY.xattr (what tar2sqfs reads), not also as LIBARCHIVE.xattr.
	 * Names as the bytes they are (hdrcharset=BINARY): a layer's names are bytes, often UTF-8,
	 * and converting them from our locale (C, as imagec never calls setlocale) fails on
	 * every byte above 127.
	 */
	if (archive_write_set_format_pax_restricted(out) != ARCHIVE_OK ||
	    archive_write_set_format_option(out, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
	    archive_write_set_format_option(out, "pax", "hdrcharset", "BINARY") != ARCHIVE_OK ||
	    archive_write_open_fd(out, fd) != ARCHIVE_OK) {
		archive_write_free(out);
		return NULL;
	}
	return out;
}

int convert_output_close(struct archive *out)
{
	int r = archive_write_close(out) == ARCHIVE_OK ? 0 : -EIO;

	if (r < 0)
		r = error_set(r, "finish the tar: %s", archive_error_string(out));
	archive_write_free(out);
	return r;
}
