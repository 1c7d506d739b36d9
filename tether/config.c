// SPDX-License-Identifier: MIT
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../common/cleanup.h"
#include "../common/protocol.h"
#include "../common/signals.h"

#define STOP_GRACE_DEFAULT_MS 10000u
#define SECONDS_MAX 3600u
#define HOSTNAME_MAX 63
#define STRINGS_MAX 4096

struct parser {
	char path[512];
	size_t path_length;
	char *err;
	size_t err_size;
};

/* How a field's value is read: most kinds store into the target struct at an offset. */
enum field_kind {
	FIELD_CUSTOM,	  /* parse() reads it */
	FIELD_STRING,	  /* const char *, not empty */
	FIELD_OCI_STRING, /* const char *; "" reads as absent, as OCI image configs write it */
	FIELD_PATH,	  /* const char *, an absolute path */
	FIELD_BOOL,	  /* bool */
	FIELD_DISK,	  /* struct config_disk */
	FIELD_STRINGS,	  /* struct config_strings; null reads as absent */
	FIELD_ENV,	  /* struct config_strings of NAME=VALUE */
	FIELD_LIMIT,	  /* rlim_t; -1 is unlimited */
	FIELD_IGNORED,	  /* accepted, not acted on */
};

/* One key of a JSON object, read into target, a struct of the object's kind. */
struct field {
	const char *name;
	bool required;
	enum field_kind kind;
	size_t offset;
	int (*parse)(struct parser *p, json_t *value, void *target);
};

#define FIELD(name, required, kind, type, member)                  \
	{                                                          \
		name, required, kind, offsetof(type, member), NULL \
	}
#define CUSTOM(name, required, parse)                  \
	{                                              \
		name, required, FIELD_CUSTOM, 0, parse \
	}
#define IGNORED(name)                               \
	{                                           \
		name, false, FIELD_IGNORED, 0, NULL \
	}

static int parse_field(struct parser *p, const struct field *field, json_t *value, void *target);

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
	int n = snprintf(p->err, p->err_size, "%s: ", p->path);
	va_list ap;

	if (n >= 0 && (size_t)n < p->err_size) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->err_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static size_t path_push(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t path_push(struct parser *p, const char *fmt, ...)
{
	size_t saved = p->path_length;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p->path + saved, sizeof(p->path) - saved, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->path_length = saved + (size_t)n < sizeof(p->path) ? saved + (size_t)n
								     : sizeof(p->path) - 1;
	return saved;
}

static void path_pop(struct parser *p, size_t saved)
{
	p->path_length = saved;
	p->path[saved] = '\0';
}

static const char *json_type_name(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

static int parse_object(struct parser *p, json_t *value, const struct field *fields,
			size_t n_fields, void *target)
{
	const char *key;
	json_t *member;
	int r;

	if (!json_is_object(value))
		return fail(p, "expected an object, got %s", json_type_name(value));

	json_object_foreach(value, key, member)
	{
		const struct field *field = NULL;
		size_t saved;

		for (size_t i = 0; i < n_fields && !field; i++) {
			if (strcmp(fields[i].name, key) == 0)
				field = &fields[i];
		}
		saved = path_push(p, ".%s", key);
		r = field ? parse_field(p, field, member, target) : fail(p, "unknown key");
		if (r < 0)
			return r;
		path_pop(p, saved);
	}

	for (size_t i = 0; i < n_fields; i++) {
		if (fields[i].required && !json_object_get(value, fields[i].name))
			return fail(p, "missing key '%s'", fields[i].name);
	}
	return 0;
}

static int want_string(struct parser *p, json_t *value, const char **ret)
{
	if (!json_is_string(value))
		return fail(p, "expected a string, got %s", json_type_name(value));
	if (json_string_length(value) == 0)
		return fail(p, "must not be empty");
	*ret = json_string_value(value);
	return 0;
}

static int want_bool(struct parser *p, json_t *value, bool *ret)
{
	if (!json_is_boolean(value))
		return fail(p, "expected a boolean, got %s", json_type_name(value));
	*ret = json_is_true(value);
	return 0;
}

static int want_uint(struct parser *p, json_t *value, json_int_t min, json_int_t max,
		     unsigned long long *ret)
{
	json_int_t number;

	if (!json_is_integer(value))
		return fail(p, "expected a whole number, got %s", json_type_name(value));
	number = json_integer_value(value);
	if (number < min || number > max)
		return fail(p, "%lld is out of range (%lld to %lld)", (long long)number,
			    (long long)min, (long long)max);
	*ret = (unsigned long long)number;
	return 0;
}

static int want_absolute_path(struct parser *p, json_t *value, const char **ret)
{
	int r = want_string(p, value, ret);

	if (r < 0)
		return r;
	if ((*ret)[0] != '/')
		return fail(p, "'%s' is not an absolute path", *ret);
	return 0;
}

/* An array of strings; JSON null counts as absent, as OCI image configs write it. */
static int want_strings(struct parser *p, json_t *value, bool allow_empty_strings,
			struct config_strings *ret)
{
	const char **strings;
	size_t count;

	if (json_is_null(value))
		return 0;
	if (!json_is_array(value))
		return fail(p, "expected an array of strings, got %s", json_type_name(value));
	count = json_array_size(value);
	if (count > STRINGS_MAX)
		return fail(p, "more than %d strings", STRINGS_MAX);

	strings = calloc(count + 1, sizeof(*strings));
	if (!strings)
		return -ENOMEM;
	free(ret->strings);
	ret->strings = strings;
	ret->count = count;

	for (size_t i = 0; i < count; i++) {
		json_t *item = json_array_get(value, i);
		size_t saved = path_push(p, "[%zu]", i);

		if (!json_is_string(item))
			return fail(p, "expected a string, got %s", json_type_name(item));
		if (!allow_empty_strings && json_string_length(item) == 0)
			return fail(p, "must not be empty");
		strings[i] = json_string_value(item);
		path_pop(p, saved);
	}
	return 0;
}

static int want_env(struct parser *p, json_t *value, struct config_strings *ret)
{
	int r = want_strings(p, value, false, ret);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ret->count; i++) {
		const char *entry = ret->strings[i];

		if (entry[0] == '=' || !strchr(entry, '=')) {
			path_push(p, "[%zu]", i);
			return fail(p, "'%s' is not NAME=VALUE", entry);
		}
	}
	return 0;
}

/* --- disk selectors --- */

static int select_by(struct parser *p, json_t *value, struct config_disk *disk,
		     enum config_selector by)
{
	/* A second selector key would overwrite the first: the caller counts keys instead. */
	disk->by = by;
	return want_string(p, value, &disk->value);
}

static int parse_serial(struct parser *p, json_t *v, void *t)
{
	return select_by(p, v, t, CONFIG_SELECT_SERIAL);
}

static int parse_label(struct parser *p, json_t *v, void *t)
{
	return select_by(p, v, t, CONFIG_SELECT_LABEL);
}

static int parse_uuid(struct parser *p, json_t *v, void *t)
{
	return select_by(p, v, t, CONFIG_SELECT_UUID);
}

static int want_disk(struct parser *p, json_t *value, struct config_disk *disk)
{
	static const struct field fields[] = {
		CUSTOM("serial", false, parse_serial),
		CUSTOM("label", false, parse_label),
		CUSTOM("uuid", false, parse_uuid),
	};
	int r = parse_object(p, value, fields, ARRAY_SIZE(fields), disk);

	if (r < 0)
		return r;
	if (json_object_size(value) != 1)
		return fail(p, "name the disk by exactly one of 'serial', 'label' or 'uuid'");
	return 0;
}

/* --- root --- */

static int parse_root_mode(struct parser *p, json_t *value, void *target)
{
	struct config_root *root = target;
	const char *mode;
	int r = want_string(p, value, &mode);

	if (r < 0)
		return r;
	if (strcmp(mode, "disk") == 0)
		root->mode = CONFIG_ROOT_DISK;
	else if (strcmp(mode, "layers") == 0)
		root->mode = CONFIG_ROOT_LAYERS;
	else
		return fail(p, "'%s' is not a root mode ('disk' or 'layers')", mode);
	return 0;
}

static int parse_root_layers(struct parser *p, json_t *value, void *target)
{
	struct config_root *root = target;
	size_t count;

	if (!json_is_array(value))
		return fail(p, "expected an array of disks, got %s", json_type_name(value));
	count = json_array_size(value);
	if (count == 0)
		return fail(p, "must name at least one layer disk");
	if (count > CONFIG_LAYERS_MAX)
		return fail(p, "more than %d layers", CONFIG_LAYERS_MAX);

	for (size_t i = 0; i < count; i++) {
		size_t saved = path_push(p, "[%zu]", i);
		int r = want_disk(p, json_array_get(value, i), &root->layers[i]);

		if (r < 0)
			return r;
		path_pop(p, saved);
	}
	root->n_layers = count;
	return 0;
}

static int parse_root_scratch(struct parser *p, json_t *value, void *target)
{
	struct config_root *root = target;

	root->has_scratch = true;
	return want_disk(p, value, &root->scratch);
}

static int parse_root(struct parser *p, json_t *value, void *target)
{
	static const struct field fields[] = {
		CUSTOM("mode", true, parse_root_mode),
		FIELD("disk", false, FIELD_DISK, struct config_root, disk),
		CUSTOM("layers", false, parse_root_layers),
		CUSTOM("scratch", false, parse_root_scratch),
	};
	struct config_root *root = &((struct config *)target)->root;
	int r = parse_object(p, value, fields, ARRAY_SIZE(fields), root);

	if (r < 0)
		return r;
	if (root->mode == CONFIG_ROOT_DISK) {
		if (!json_object_get(value, "disk"))
			return fail(p, "mode 'disk' needs key 'disk'");
		if (json_object_get(value, "layers") || root->has_scratch)
			return fail(p, "mode 'disk' takes neither 'layers' nor 'scratch'");
	} else {
		if (root->n_layers == 0)
			return fail(p, "mode 'layers' needs key 'layers'");
		if (json_object_get(value, "disk"))
			return fail(p, "mode 'layers' takes no 'disk'");
	}
	return 0;
}

/* --- volumes --- */

static int parse_volumes(struct parser *p, json_t *value, void *target)
{
	static const struct field fields[] = {
		FIELD("disk", true, FIELD_DISK, struct config_volume, disk),
		FIELD("target", true, FIELD_PATH, struct config_volume, target),
		FIELD("read_only", false, FIELD_BOOL, struct config_volume, read_only),
		FIELD("options", false, FIELD_STRING, struct config_volume, options),
	};
	struct config *config = target;
	size_t count;

	if (!json_is_array(value))
		return fail(p, "expected an array of volumes, got %s", json_type_name(value));
	count = json_array_size(value);
	if (count > CONFIG_VOLUMES_MAX)
		return fail(p, "more than %d volumes", CONFIG_VOLUMES_MAX);

	for (size_t i = 0; i < count; i++) {
		size_t saved = path_push(p, "[%zu]", i);
		int r = parse_object(p, json_array_get(value, i), fields, ARRAY_SIZE(fields),
				     &config->volumes[i]);

		if (r < 0)
			return r;
		path_pop(p, saved);
	}
	config->n_volumes = count;
	return 0;
}

/* --- process --- */

struct rlimit_name {
	const char *name;
	int resource;
};

static const struct rlimit_name rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

static int parse_rlimit_type(struct parser *p, json_t *value, void *target)
{
	struct config_rlimit *rlimit = target;
	const char *name;
	int r = want_string(p, value, &name);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++) {
		if (strcmp(rlimit_names[i].name, name) == 0) {
			rlimit->name = rlimit_names[i].name;
			rlimit->resource = rlimit_names[i].resource;
			return 0;
		}
	}
	return fail(p, "'%s' is not a resource limit (RLIMIT_NOFILE, ...)", name);
}

/* Limits as whole numbers; -1 is "unlimited". */
static int want_limit(struct parser *p, json_t *value, rlim_t *ret)
{
	unsigned long long number = 0;
	int r;

	if (json_is_integer(value) && json_integer_value(value) == -1) {
		*ret = RLIM_INFINITY;
		return 0;
	}
	r = want_uint(p, value, 0, INT64_MAX, &number);
	if (r < 0)
		return r;
	*ret = (rlim_t)number;
	return 0;
}

static int parse_rlimits(struct parser *p, json_t *value, void *target)
{
	static const struct field fields[] = {
		CUSTOM("type", true, parse_rlimit_type),
		FIELD("soft", true, FIELD_LIMIT, struct config_rlimit, limit.rlim_cur),
		FIELD("hard", true, FIELD_LIMIT, struct config_rlimit, limit.rlim_max),
	};
	struct config_process *process = target;
	size_t count;

	if (!json_is_array(value))
		return fail(p, "expected an array of limits, got %s", json_type_name(value));
	count = json_array_size(value);
	if (count > CONFIG_RLIMITS_MAX)
		return fail(p, "more than %d limits", CONFIG_RLIMITS_MAX);

	for (size_t i = 0; i < count; i++) {
		struct config_rlimit *rlimit = &process->rlimits[i];
		size_t saved = path_push(p, "[%zu]", i);
		int r = parse_object(p, json_array_get(value, i), fields, ARRAY_SIZE(fields),
				     rlimit);

		if (r < 0)
			return r;
		if (rlimit->limit.rlim_cur > rlimit->limit.rlim_max)
			return fail(p, "soft limit is above the hard limit");
		path_pop(p, saved);
	}
	process->n_rlimits = count;
	return 0;
}

static int parse_process_args(struct parser *p, json_t *value, void *target)
{
	struct config_process *process = target;
	int r;

	if (json_is_null(value))
		return fail(p, "expected an array of strings, got null");
	r = want_strings(p, value, true, &process->args);
	if (r < 0)
		return r;
	if (process->args.count == 0)
		return fail(p, "must name at least the program");
	if (process->args.strings[0][0] == '\0') {
		path_push(p, "[0]");
		return fail(p, "must not be empty");
	}
	return 0;
}

static int parse_process(struct parser *p, json_t *value, void *target)
{
	static const struct field fields[] = {
		CUSTOM("args", false, parse_process_args),
		FIELD("env", false, FIELD_ENV, struct config_process, env),
		FIELD("cwd", false, FIELD_PATH, struct config_process, cwd),
		FIELD("user", false, FIELD_STRING, struct config_process, user),
		FIELD("terminal", false, FIELD_BOOL, struct config_process, terminal),
		FIELD("no_new_privs", false, FIELD_BOOL, struct config_process, no_new_privs),
		CUSTOM("rlimits", false, parse_rlimits),
	};

	return parse_object(p, value, fields, ARRAY_SIZE(fields),
			    &((struct config *)target)->process);
}

/* --- image: the OCI image config, whose fields are the process's defaults --- */

/* OCI writes "" for an unset WorkingDir or User: "" reads as absent here. */
static int want_optional_string(struct parser *p, json_t *value, const char **ret)
{
	if (json_is_string(value) && json_string_length(value) == 0)
		return 0;
	return want_string(p, value, ret);
}

static int parse_image_working_dir(struct parser *p, json_t *value, void *target)
{
	struct config_image *image = target;
	int r = want_optional_string(p, value, &image->working_dir);

	if (r == 0 && image->working_dir && image->working_dir[0] != '/')
		return fail(p, "'%s' is not an absolute path", image->working_dir);
	return r;
}

/* Labels: an object of strings, kept as JSON for the report; null reads as absent. */
static int parse_image_labels(struct parser *p, json_t *value, void *target)
{
	const char *key;
	json_t *label;

	if (json_is_null(value))
		return 0;
	if (!json_is_object(value))
		return fail(p, "expected an object, got %s", json_type_name(value));
	json_object_foreach(value, key, label)
	{
		if (!json_is_string(label)) {
			path_push(p, ".%s", key);
			return fail(p, "expected a string, got %s", json_type_name(label));
		}
	}
	((struct config_image *)target)->labels = value;
	return 0;
}

static int parse_image_config(struct parser *p, json_t *value, void *target)
{
	static const struct field fields[] = {
		FIELD("Entrypoint", false, FIELD_STRINGS, struct config_image, entrypoint),
		FIELD("Cmd", false, FIELD_STRINGS, struct config_image, cmd),
		FIELD("Env", false, FIELD_ENV, struct config_image, env),
		CUSTOM("WorkingDir", false, parse_image_working_dir),
		FIELD("User", false, FIELD_OCI_STRING, struct config_image, user),
		/* The rest of the OCI image config: a container VM does not act on it. */
		IGNORED("ExposedPorts"),
		IGNORED("Volumes"),
		CUSTOM("Labels", false, parse_image_labels),
		IGNORED("StopSignal"),
		IGNORED("ArgsEscaped"),
		IGNORED("Shell"),
		IGNORED("Healthcheck"),
		IGNORED("OnBuild"),
		IGNORED("Memory"),
		IGNORED("MemorySwap"),
		IGNORED("CpuShares"),
	};

	return parse_object(p, value, fields, ARRAY_SIZE(fields), target);
}

static bool is_digest(const char *text)
{
	return strncmp(text, "sha256:", 7) == 0 && strlen(text) == 7 + 64 &&
	       strspn(text + 7, "0123456789abcdef") == 64;
}

static int want_digest(struct parser *p, json_t *value, const char **ret)
{
	int r = want_string(p, value, ret);

	if (r == 0 && !is_digest(*ret))
		return fail(p, "'%s' is not sha256: and 64 lowercase hex digits", *ret);
	return r;
}

static int parse_manifest_digest(struct parser *p, json_t *value, void *target)
{
	return want_digest(p, value, &((struct config_image *)target)->manifest_digest);
}

static int parse_config_digest(struct parser *p, json_t *value, void *target)
{
	return want_digest(p, value, &((struct config_image *)target)->config_digest);
}

static int parse_chain_id(struct parser *p, json_t *value, void *target)
{
	return want_digest(p, value, &((struct config_image *)target)->chain_id);
}

static int parse_diff_ids(struct parser *p, json_t *value, void *target)
{
	struct config_strings *diff_ids = &((struct config_image *)target)->diff_ids;
	int r;

	if (json_is_null(value))
		return fail(p, "expected an array of digests, got null");
	r = want_strings(p, value, false, diff_ids);
	for (size_t i = 0; r == 0 && i < diff_ids->count; i++) {
		if (!is_digest(diff_ids->strings[i])) {
			path_push(p, "[%zu]", i);
			return fail(p, "'%s' is not sha256: and 64 lowercase hex digits",
				    diff_ids->strings[i]);
		}
	}
	return r;
}

static int parse_image(struct parser *p, json_t *value, void *target)
{
	static const struct field fields[] = {
		CUSTOM("config", false, parse_image_config),
		FIELD("name", false, FIELD_STRING, struct config_image, name),
		CUSTOM("manifest_digest", false, parse_manifest_digest),
		CUSTOM("config_digest", false, parse_config_digest),
		CUSTOM("diff_ids", false, parse_diff_ids),
		CUSTOM("chain_id", false, parse_chain_id),
		FIELD("architecture", false, FIELD_OCI_STRING, struct config_image, architecture),
		FIELD("os", false, FIELD_OCI_STRING, struct config_image, os),
		FIELD("created", false, FIELD_OCI_STRING, struct config_image, created),
	};

	return parse_object(p, value, fields, ARRAY_SIZE(fields),
			    &((struct config *)target)->image);
}

/* --- top level --- */

static int parse_version(struct parser *p, json_t *value, void *target)
{
	unsigned long long version = 0;
	int r;

	(void)target;
	if (!json_is_integer(value))
		return fail(p, "expected a whole number, got %s", json_type_name(value));
	r = want_uint(p, value, CONFIG_VERSION, CONFIG_VERSION, &version);
	if (r < 0)
		return fail(p, "version %lld is not supported (this tether reads version %d)",
			    (long long)json_integer_value(value), CONFIG_VERSION);
	return 0;
}

static int parse_hostname(struct parser *p, json_t *value, void *target)
{
	const char **hostname = &((struct config *)target)->hostname;
	size_t length;
	int r = want_string(p, value, hostname);

	if (r < 0)
		return r;
	length = strlen(*hostname);
	if (length > HOSTNAME_MAX)
		return fail(p, "longer than %d characters", HOSTNAME_MAX);
	if (strspn(*hostname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") !=
		    length ||
	    (*hostname)[0] == '-' || (*hostname)[0] == '.')
		return fail(p, "'%s' is not a valid host name", *hostname);
	return 0;
}

static int parse_stop_signal(struct parser *p, json_t *value, void *target)
{
	struct config *config = target;
	const char *name;
	int signal;
	int r = want_string(p, value, &name);

	if (r < 0)
		return r;
	signal = signals_from_name(name);
	if (signal < 0)
		return fail(p, "'%s' is not a signal", name);
	config->stop_signal = signal;
	return 0;
}

static int parse_stop_grace(struct parser *p, json_t *value, void *target)
{
	unsigned long long seconds = 0;
	int r = want_uint(p, value, 0, SECONDS_MAX, &seconds);

	if (r < 0)
		return r;
	((struct config *)target)->stop_grace_ms = (unsigned int)seconds * 1000u;
	return 0;
}

static int parse_stop(struct parser *p, json_t *value, void *target)
{
	static const struct field fields[] = {
		CUSTOM("signal", false, parse_stop_signal),
		CUSTOM("grace_seconds", false, parse_stop_grace),
	};

	return parse_object(p, value, fields, ARRAY_SIZE(fields), target);
}

static int parse_disk_timeout(struct parser *p, json_t *value, void *target)
{
	unsigned long long seconds = 0;
	int r = want_uint(p, value, 1, SECONDS_MAX, &seconds);

	if (r < 0)
		return r;
	((struct config *)target)->disk_timeout_ms = (unsigned int)seconds * 1000u;
	return 0;
}

static int parse_channel(struct parser *p, json_t *value, void *target)
{
	struct config *config = target;
	const char *text;
	char reason[192];
	int r = want_string(p, value, &text);

	if (r < 0)
		return r;
	if (transport_parse(text, &config->channel, reason, sizeof(reason)) < 0)
		return fail(p, "%s", reason);
	config->has_channel = true;
	return 0;
}

static int parse_commit_disk(struct parser *p, json_t *value, void *target)
{
	struct config *config = target;
	int r = want_disk(p, value, &config->commit);

	if (r == 0)
		config->has_commit = true;
	return r;
}

/* Whether root is layers is checked once the whole config is read: keys come in any order. */
static int parse_commit(struct parser *p, json_t *value, void *target)
{
	static const struct field fields[] = {
		CUSTOM("disk", true, parse_commit_disk),
	};

	return parse_object(p, value, fields, ARRAY_SIZE(fields), target);
}

static const struct field config_fields[] = {
	CUSTOM("version", true, parse_version),
	CUSTOM("root", true, parse_root),
	CUSTOM("volumes", false, parse_volumes),
	CUSTOM("process", false, parse_process),
	CUSTOM("image", false, parse_image),
	CUSTOM("hostname", false, parse_hostname),
	CUSTOM("stop", false, parse_stop),
	CUSTOM("disk_timeout_seconds", false, parse_disk_timeout),
	FIELD("debug_exit", false, FIELD_BOOL, struct config, debug_exit),
	CUSTOM("channel", false, parse_channel),
	CUSTOM("commit", false, parse_commit),
};

int config_parse(const char *text, size_t size, struct config *ret, char *err, size_t err_size)
{
	struct parser p = { .path = "$", .path_length = 1, .err = err, .err_size = err_size };
	struct config config = {
		.stop_signal = SIGTERM,
		.stop_grace_ms = STOP_GRACE_DEFAULT_MS,
	};
	json_error_t error;
	json_t *json;
	int r;

	protocol_seed_json();
	if (size > CONFIG_SIZE_MAX) {
		snprintf(err, err_size, "config is %zu bytes, more than %u", size, CONFIG_SIZE_MAX);
		return -EFBIG;
	}

	json = json_loadb(text, size, JSON_REJECT_DUPLICATES, &error);
	if (!json) {
		snprintf(err, err_size, "line %d, column %d: %s", error.line, error.column,
			 error.text);
		return -EINVAL;
	}
	config.json = json;

	r = parse_object(&p, json, config_fields, ARRAY_SIZE(config_fields), &config);
	if (r == 0 && config.has_commit && config.root.mode != CONFIG_ROOT_LAYERS) {
		snprintf(err, err_size,
			 "$.commit: a commit needs root mode 'layers': a disk root "
			 "has no upper directory to commit");
		r = -EINVAL;
	}
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, err_size, "out of memory");
		config_free(&config);
		return r;
	}
	*ret = config;
	return 0;
}

void config_free(struct config *config)
{
	free(config->process.args.strings);
	free(config->process.env.strings);
	free(config->image.entrypoint.strings);
	free(config->image.cmd.strings);
	free(config->image.env.strings);
	free(config->image.diff_ids.strings);
	json_decref(config->json);
	*config = (struct config){ 0 };
}

const char *config_selector_name(enum config_selector by)
{
	switch (by) {
	case CONFIG_SELECT_SERIAL:
		return "serial";
	case CONFIG_SELECT_LABEL:
		return "label";
	case CONFIG_SELECT_UUID:
		return "uuid";
	}
	return "?";
}

static int parse_field(struct parser *p, const struct field *field, json_t *value, void *target)
{
	void *at = (char *)target + field->offset;

	switch (field->kind) {
	case FIELD_CUSTOM:
		return field->parse(p, value, target);
	case FIELD_STRING:
		return want_string(p, value, at);
	case FIELD_OCI_STRING:
		return want_optional_string(p, value, at);
	case FIELD_PATH:
		return want_absolute_path(p, value, at);
	case FIELD_BOOL:
		return want_bool(p, value, at);
	case FIELD_DISK:
		return want_disk(p, value, at);
	case FIELD_STRINGS:
		return want_strings(p, value, true, at);
	case FIELD_ENV:
		return want_env(p, value, at);
	case FIELD_LIMIT:
		return want_limit(p, value, at);
	case FIELD_IGNORED:
		return 0;
	}
	return fail(p, "unknown field kind");
}
