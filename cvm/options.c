// SPDX-License-Identifier: MIT
#include "options.h"

#include <jansson.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/signals.h"

enum {
	OPTION_ENTRYPOINT = 0x100,
	OPTION_HOSTNAME,
	OPTION_CPUS,
	OPTION_STOP_SIGNAL,
	OPTION_STOP_TIMEOUT,
	OPTION_TIMEOUT,
	OPTION_EVENTS,
	OPTION_STORE,
	OPTION_ISO,
	OPTION_KERNEL,
	OPTION_INITRD,
	OPTION_ROOTFS,
	OPTION_CONSOLE,
	OPTION_FLATTEN,
	OPTION_COMMIT,
	OPTION_AUTHOR,
	OPTION_MESSAGE,
	OPTION_HELP,
};

static const struct option long_options[] = {
	{ "volume", required_argument, NULL, 'v' },
	{ "env", required_argument, NULL, 'e' },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "memory", required_argument, NULL, 'm' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "entrypoint", required_argument, NULL, OPTION_ENTRYPOINT },
	{ "hostname", required_argument, NULL, OPTION_HOSTNAME },
	{ "cpus", required_argument, NULL, OPTION_CPUS },
	{ "stop-signal", required_argument, NULL, OPTION_STOP_SIGNAL },
	{ "stop-timeout", required_argument, NULL, OPTION_STOP_TIMEOUT },
	{ "timeout", required_argument, NULL, OPTION_TIMEOUT },
	{ "events", required_argument, NULL, OPTION_EVENTS },
	{ "store", required_argument, NULL, OPTION_STORE },
	{ "iso", required_argument, NULL, OPTION_ISO },
	{ "kernel", required_argument, NULL, OPTION_KERNEL },
	{ "initrd", required_argument, NULL, OPTION_INITRD },
	{ "rootfs", required_argument, NULL, OPTION_ROOTFS },
	{ "console", required_argument, NULL, OPTION_CONSOLE },
	{ "flatten", no_argument, NULL, OPTION_FLATTEN },
	{ "commit", required_argument, NULL, OPTION_COMMIT },
	{ "author", required_argument, NULL, OPTION_AUTHOR },
	{ "message", required_argument, NULL, OPTION_MESSAGE },
	{ "help", no_argument, NULL, OPTION_HELP },
	{ 0 },
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t err_size,
						      const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vsnprintf(err, err_size, format, args);
	va_end(args);
	return -EINVAL;
}

bool options_volume_name_valid(const char *name)
{
	size_t length = strlen(name);

	if (length == 0 || length > 64 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

void options_volume_free(struct options_volume *volume)
{
	free(volume->name);
	free(volume->path);
	free(volume->target);
	*volume = (struct options_volume){ 0 };
}

/*
 * path as the container root resolves it, symlinks aside: "/", "." and ".." components taken
 * lexically, ".." at the root staying there. Returns false when out is too small.
 */
static bool normal_path(const char *path, char *out, size_t size)
{
	size_t length = 0;

	while (*path) {
		size_t n;

		while (*path == '/')
			path++;
		n = strcspn(path, "/");
		if (n == 0 || (n == 1 && path[0] == '.')) {
			path += n;
			continue;
		}
		if (n == 2 && path[0] == '.' && path[1] == '.') {
			while (length > 0 && out[--length] != '/')
				;
			path += n;
			continue;
		}
		if (length + 1 + n >= size)
			return false;
		out[length++] = '/';
		memcpy(out + length, path, n);
		length += n;
		path += n;
	}
	out[length] = '\0';
	return true;
}

static bool path_is_root(const char *path)
{
	char normal[4096];

	return normal_path(path, normal, sizeof(normal)) && normal[0] == '\0';
}

int options_parse_volume(const char *spec, struct options_volume *volume, char *err,
			 size_t err_size)
{
	const char *first = strchr(spec, ':');
	const char *second = first ? strchr(first + 1, ':') : NULL;
	const char *mode = second ? second + 1 : NULL;
	size_t source_length, target_length;

	*volume = (struct options_volume){ 0 };
	if (!first)
		return fail(err, err_size, "volume '%s': expected SOURCE:TARGET[:ro|rw]", spec);
	source_length = (size_t)(first - spec);
	target_length = second ? (size_t)(second - first - 1) : strlen(first + 1);
	if (source_length == 0)
		return fail(err, err_size, "volume '%s': the source is empty", spec);
	if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
		return fail(err, err_size, "volume '%s': mode '%s' is not 'ro' or 'rw'", spec,
			    mode);
	if (target_length == 0 || first[1] != '/')
		return fail(err, err_size, "volume '%s': target '%.*s' is not an absolute path",
			    spec, (int)target_length, first + 1);

	volume->target = strndup(first + 1, target_length);
	if (spec[0] == '/')
		volume->path = strndup(spec, source_length);
	else
		volume->name = strndup(spec, source_length);
	volume->read_only = mode && strcmp(mode, "ro") == 0;
	if (!volume->target || (!volume->path && !volume->name)) {
		options_volume_free(volume);
		return -ENOMEM;
	}
	if (path_is_root(volume->target)) {
		options_volume_free(volume);
		return fail(err, err_size, "volume '%s': a volume cannot be mounted at '/'", spec);
	}
	if (volume->name && !options_volume_name_valid(volume->name)) {
		int r = fail(err, err_size,
			     "volume '%s': '%s' is neither an absolute path to a disk image nor a "
			     "volume name (a letter or digit, then letters, digits, '_', '.', '-')",
			     spec, volume->name);

		options_volume_free(volume);
		return r;
	}
	return 0;
}

int options_parse_size(const char *text, uint64_t *ret_bytes)
{
	uint64_t number, unit = 1;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	number = strtoull(text, &end, 10);
	if (errno)
		return -EINVAL;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		end++;
		break;
	case 'k':
		unit = 1ull << 10;
		end++;
		break;
	case 'm':
		unit = 1ull << 20;
		end++;
		break;
	case 'g':
		unit = 1ull << 30;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end != '\0' || number > UINT64_MAX / unit)
		return -EINVAL;
	*ret_bytes = number * unit;
	return 0;
}

/* A whole number from min to max, all of text. */
static int parse_number(const char *text, unsigned int min, unsigned int max,
			unsigned int *ret_value)
{
	unsigned long value;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || *end != '\0' || value < min || value > max)
		return -EINVAL;
	*ret_value = (unsigned int)value;
	return 0;
}

static bool hostname_valid(const char *name)
{
	size_t length = strlen(name);

	if (length == 0 || length > 63 || name[0] == '-' || name[0] == '.')
		return false;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* -e K=V, or -e K for the value cvm itself has (left out when it has none). */
static int add_env(struct options *options, const char *spec, char *err, size_t err_size)
{
	const char *equals = strchr(spec, '=');
	char *entry;

	if (equals == spec || spec[0] == '\0')
		return fail(err, err_size, "environment '%s': the name is empty", spec);
	if (options->env_count == OPTIONS_ENV_MAX)
		return fail(err, err_size, "more than %d environment variables", OPTIONS_ENV_MAX);
	if (equals) {
		entry = strdup(spec);
	} else {
		const char *value = getenv(spec);

		if (!value)
			return 0;
		if (asprintf(&entry, "%s=%s", spec, value) < 0)
			entry = NULL;
	}
	if (!entry)
		return -ENOMEM;
	options->env[options->env_count++] = entry;
	return 0;
}

static int add_volume(struct options *options, const char *spec, char *err, size_t err_size)
{
	struct options_volume *volume = &options->volumes[options->volume_count];
	int r;

	if (options->volume_count == OPTIONS_VOLUMES_MAX)
		return fail(err, err_size, "volume '%s': more than %d volumes", spec,
			    OPTIONS_VOLUMES_MAX);
	r = options_parse_volume(spec, volume, err, err_size);
	if (r < 0)
		return r;
	for (size_t i = 0; i < options->volume_count; i++) {
		if (strcmp(options->volumes[i].target, volume->target) == 0) {
			r = fail(err, err_size, "volume '%s': target '%s' is given twice", spec,
				 volume->target);
			options_volume_free(volume);
			return r;
		}
	}
	options->volume_count++;
	return 0;
}

static int parse_memory(struct options *options, const char *text, char *err, size_t err_size)
{
	uint64_t bytes;

	if (options_parse_size(text, &bytes) < 0)
		return fail(err, err_size, "memory '%s': expected a size such as 512M or 2G", text);
	if (bytes / (1u << 20) < OPTIONS_MEMORY_MIN_MIB ||
	    bytes / (1u << 20) > OPTIONS_MEMORY_MAX_MIB)
		return fail(err, err_size, "memory '%s': must be from %dM to %dG", text,
			    OPTIONS_MEMORY_MIN_MIB, OPTIONS_MEMORY_MAX_MIB / 1024);
	options->memory_mib = (unsigned int)(bytes / (1u << 20));
	return 0;
}

/* One option of getopt's; err says what was wrong with it. */
static int parse_option(struct options *options, int option, const char *value, char *err,
			size_t err_size)
{
	int signal;

	switch (option) {
	case 'v':
		return add_volume(options, value, err, err_size);
	case 'e':
		return add_env(options, value, err, err_size);
	case 'w':
		if (value[0] != '/')
			return fail(err, err_size, "workdir '%s' is not an absolute path", value);
		options->workdir = value;
		return 0;
	case 'u':
		if (value[0] == '\0' || value[0] == ':')
			return fail(err, err_size, "user '%s': the user is empty", value);
		options->user = value;
		return 0;
	case 'm':
		return parse_memory(options, value, err, err_size);
	case 'i':
		options->interactive = true;
		return 0;
	case OPTION_ENTRYPOINT:
		options->entrypoint = value;
		options->has_entrypoint = true;
		return 0;
	case OPTION_HOSTNAME:
		if (!hostname_valid(value))
			return fail(err, err_size,
				    "hostname '%s': expected 1 to 63 letters, digits, '-' and '.'",
				    value);
		options->hostname = value;
		return 0;
	case OPTION_CPUS:
		if (parse_number(value, 1, OPTIONS_CPUS_MAX, &options->cpus) < 0)
			return fail(err, err_size,
				    "cpus '%s': expected a whole number from 1 to %d", value,
				    OPTIONS_CPUS_MAX);
		return 0;
	case OPTION_STOP_SIGNAL:
		signal = signals_from_name(value);
		if (signal < 0)
			return fail(err, err_size, "stop signal '%s': not a signal name or number",
				    value);
		options->stop_signal = signal;
		return 0;
	case OPTION_STOP_TIMEOUT:
		if (parse_number(value, 0, OPTIONS_STOP_TIMEOUT_MAX, &options->stop_timeout_s) < 0)
			return fail(err, err_size,
				    "stop timeout '%s': expected seconds from 0 to %d", value,
				    OPTIONS_STOP_TIMEOUT_MAX);
		return 0;
	case OPTION_TIMEOUT:
		if (parse_number(value, 1, 30 * 24 * 3600, &options->timeout_s) < 0)
			return fail(err, err_size, "timeout '%s': expected seconds, at least 1",
				    value);
		return 0;
	case OPTION_EVENTS:
		options->events = value;
		return 0;
	case OPTION_STORE:
		options->store = value;
		return 0;
	case OPTION_ISO:
		options->iso = value;
		return 0;
	case OPTION_KERNEL:
		options->kernel = value;
		return 0;
	case OPTION_INITRD:
		options->initrd = value;
		return 0;
	case OPTION_ROOTFS:
		options->rootfs = value;
		return 0;
	case OPTION_CONSOLE:
		options->console = value;
		return 0;
	case OPTION_FLATTEN:
		options->flatten = true;
		return 0;
	case OPTION_COMMIT:
		if (value[0] == '\0')
			return fail(err, err_size, "--commit needs NAME:TAG");
		options->commit = value;
		return 0;
	case OPTION_AUTHOR:
		options->author = value;
		return 0;
	case OPTION_MESSAGE:
		options->message = value;
		return 0;
	case OPTION_HELP:
		options->help = true;
		return 0;
	}
	return -EINVAL;
}

/* Two spellings of one path: equal once repeated and trailing slashes are dropped. */
/* Whether two targets are the same place (as far as cvm can tell without the image). */
static bool same_path(const char *a, const char *b)
{
	char normal_a[4096], normal_b[4096];

	if (!normal_path(a, normal_a, sizeof(normal_a)) ||
	    !normal_path(b, normal_b, sizeof(normal_b)))
		return strcmp(a, b) == 0;
	return strcmp(normal_a, normal_b) == 0;
}

/* A volume is one VM's disk once: the same one twice, or two at one place, is refused. */
static int check_volumes(const struct options *options, char *err, size_t err_size)
{
	for (size_t i = 0; i < options->volume_count; i++) {
		const struct options_volume *a = &options->volumes[i];

		for (size_t j = i + 1; j < options->volume_count; j++) {
			const struct options_volume *b = &options->volumes[j];

			if (a->name && b->name && strcmp(a->name, b->name) == 0)
				return fail(err, err_size, "volume '%s' is given twice", a->name);
			if (same_path(a->target, b->target))
				return fail(err, err_size, "two volumes at '%s'", b->target);
		}
	}
	return 0;
}

/* Whether text is valid UTF-8, as every string of config.json must be (jansson checks). */
static bool is_utf8(const char *text)
{
	json_t *string = json_string(text);

	json_decref(string);
	return string != NULL;
}

/* "what 'text'" in err, bytes that are not printable ASCII written as \xNN. */
static int fail_not_utf8(char *err, size_t err_size, const char *what, const char *text)
{
	size_t n = (size_t)snprintf(err, err_size, "%s '", what);

	for (const unsigned char *c = (const unsigned char *)text; *c && n + 8 < err_size; c++)
		n += (size_t)snprintf(err + n, err_size - n,
				      *c >= 0x20 && *c < 0x7f ? "%c" : "\\x%02x", *c);
	snprintf(err + n, err_size - n, "' is not valid UTF-8: config.json carries it as text");
	return -EINVAL;
}

/*
 * Every value that goes into config.json is text: one that is not UTF-8 is refused by name,
 * instead of jansson leaving it, or what holds it, out of the config.
 */
static int check_text(const struct options *options, char *err, size_t err_size)
{
	const struct {
		const char *what;
		const char *value;
	} named[] = {
		{ "workdir", options->workdir },       { "user", options->user },
		{ "entrypoint", options->entrypoint }, { "hostname", options->hostname },
		{ "IMAGE", options->image },	       { "--commit", options->commit },
		{ "--author", options->author },       { "--message", options->message },
	};

	for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
		if (named[i].value && !is_utf8(named[i].value))
			return fail_not_utf8(err, err_size, named[i].what, named[i].value);
	}
	for (size_t i = 0; i < options->env_count; i++) {
		if (!is_utf8(options->env[i]))
			return fail_not_utf8(err, err_size, "environment", options->env[i]);
	}
	for (size_t i = 0; i < options->volume_count; i++) {
		if (!is_utf8(options->volumes[i].target))
			return fail_not_utf8(err, err_size, "volume target",
					     options->volumes[i].target);
	}
	for (size_t i = 0; i < options->command_count; i++) {
		if (!is_utf8(options->command[i]))
			return fail_not_utf8(err, err_size, "COMMAND argument",
					     options->command[i]);
	}
	return 0;
}

/* What no single option can say: combinations, and what follows the options. */
static int check_operands(struct options *options, int argc, char **argv, char *err,
			  size_t err_size)
{
	if (options->iso && (options->kernel || options->initrd))
		return fail(err, err_size, "--iso cannot be combined with --kernel or --initrd");
	if (!options->kernel != !options->initrd)
		return fail(err, err_size, "--kernel and --initrd go together");
	if (options->rootfs && options->flatten)
		return fail(err, err_size, "--flatten is for images, not --rootfs");
	if (options->rootfs && options->commit)
		return fail(err, err_size,
			    "--commit is for images (their writes are a layer), not --rootfs");
	if ((options->author || options->message) && !options->commit)
		return fail(err, err_size, "--author and --message go with --commit");
	if (check_volumes(options, err, err_size) < 0)
		return -EINVAL;
	if (options->rootfs) {
		options->command = argv + optind;
		options->command_count = (size_t)(argc - optind);
		if (options->command_count == 0 && !options->has_entrypoint)
			return fail(err, err_size, "--rootfs needs a COMMAND to run");
		return check_text(options, err, err_size);
	}
	if (optind >= argc)
		return fail(err, err_size, "no IMAGE given");
	options->image = argv[optind];
	if (options->image[0] == '\0')
		return fail(err, err_size, "IMAGE is empty");
	options->command = argv + optind + 1;
	options->command_count = (size_t)(argc - optind - 1);
	return check_text(options, err, err_size);
}

int options_parse(int argc, char **argv, struct options *ret, char *err, size_t err_size)
{
	int option, r;

	*ret = (struct options){ .memory_mib = OPTIONS_MEMORY_DEFAULT_MIB,
				 .cpus = 1,
				 .stop_timeout_s = OPTIONS_STOP_TIMEOUT_DEFAULT };
	/* 0 makes glibc's getopt start over: parsing may happen more than once (tests). */
	optind = 0;
	opterr = 0;
	while ((option = getopt_long(argc, argv, "+:v:e:w:u:m:i", long_options, NULL)) != -1) {
		if (option == '?' && optopt > 0 && optopt < 0x100)
			return fail(err, err_size, "unknown option '-%c'", optopt);
		if (option == '?')
			return fail(err, err_size, "unknown option '%s'", argv[optind - 1]);
		if (option == ':')
			return fail(err, err_size, "option '%s' needs a value", argv[optind - 1]);
		r = parse_option(ret, option, optarg, err, err_size);
		if (r < 0)
			return r;
	}
	if (ret->help)
		return 0;
	return check_operands(ret, argc, argv, err, err_size);
}

void options_free(struct options *options)
{
	for (size_t i = 0; i < options->volume_count; i++)
		options_volume_free(&options->volumes[i]);
	for (size_t i = 0; i < options->env_count; i++)
		free(options->env[i]);
	options->volume_count = options->env_count = 0;
}
