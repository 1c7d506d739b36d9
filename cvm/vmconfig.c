// SPDX-License-Identifier: MIT
#include "vmconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/signals.h"

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t err_size,
						      const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vsnprintf(err, err_size, format, args);
	va_end(args);
	return -EINVAL;
}

void vmconfig_serial(char serial[VMCONFIG_SERIAL_SIZE], const char *prefix, size_t index)
{
	snprintf(serial, VMCONFIG_SERIAL_SIZE, "%s%zu", prefix, index);
}

static json_t *disk_serial(const char *prefix, size_t index)
{
	char serial[VMCONFIG_SERIAL_SIZE];

	vmconfig_serial(serial, prefix, index);
	return json_pack("{s:s}", "serial", serial);
}

static json_t *build_root(size_t layer_count, bool image)
{
	json_t *layers;

	if (!image)
		return json_pack("{s:s, s:{s:s}}", "mode", "disk", "disk", "serial",
				 VMCONFIG_SERIAL_ROOT);
	layers = json_array();
	for (size_t i = 0; layers && i < layer_count; i++) {
		if (json_array_append_new(layers, disk_serial(VMCONFIG_SERIAL_LAYER, i)) < 0) {
			json_decref(layers);
			return NULL;
		}
	}
	return json_pack("{s:s, s:o*, s:{s:s}}", "mode", "layers", "layers", layers, "scratch",
			 "serial", VMCONFIG_SERIAL_SCRATCH);
}

static json_t *build_volumes(const struct options *options)
{
	json_t *volumes = json_array();

	for (size_t i = 0; volumes && i < options->volume_count; i++) {
		const struct options_volume *volume = &options->volumes[i];
		json_t *entry =
			json_pack("{s:o, s:s, s:b}", "disk", disk_serial(VMCONFIG_SERIAL_VOLUME, i),
				  "target", volume->target, "read_only", volume->read_only);

		if (json_array_append_new(volumes, entry) < 0) {
			json_decref(volumes);
			return NULL;
		}
	}
	return volumes;
}

static int append_strings(json_t *array, char *const *strings, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (json_array_append_new(array, json_string(strings[i])) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* An array of strings from the image's metadata, NULL when null or absent. */
static int image_strings(const json_t *inspect, const char *key, const json_t **ret, char *err,
			 size_t err_size)
{
	const json_t *value = inspect ? json_object_get(inspect, key) : NULL;
	size_t i;
	json_t *item;

	*ret = NULL;
	if (!value || json_is_null(value))
		return 0;
	if (!json_is_array(value))
		return fail(err, err_size, "image metadata: '%s' is not an array", key);
	json_array_foreach(value, i, item)
	{
		if (!json_is_string(item))
			return fail(err, err_size, "image metadata: '%s[%zu]' is not a string", key,
				    i);
	}
	*ret = value;
	return 0;
}

/*
 * process.args, only when the command line changes what the image runs: Docker's rules, so
 * `cvm run IMAGE ls` keeps an image's Entrypoint and replaces its Cmd.
 */
static int build_args(const struct options *options, const json_t *inspect, json_t **ret_args,
		      char *err, size_t err_size)
{
	const json_t *entrypoint, *cmd;
	json_t *args;
	int r;

	*ret_args = NULL;
	if (!options->has_entrypoint && options->command_count == 0)
		return 0;
	r = image_strings(inspect, "entrypoint", &entrypoint, err, err_size);
	if (r < 0)
		return r;
	r = image_strings(inspect, "cmd", &cmd, err, err_size);
	if (r < 0)
		return r;

	args = json_array();
	if (!args)
		return -ENOMEM;
	if (options->has_entrypoint && options->entrypoint[0] != '\0')
		r = json_array_append_new(args, json_string(options->entrypoint));
	else if (!options->has_entrypoint && entrypoint)
		r = json_array_extend(args, (json_t *)entrypoint);
	if (r == 0)
		r = append_strings(args, options->command, options->command_count);
	if (r < 0) {
		json_decref(args);
		return -ENOMEM;
	}
	if (json_array_size(args) == 0) {
		json_decref(args);
		return fail(err, err_size,
			    "nothing to run: the entry point is empty and no COMMAND was given");
	}
	*ret_args = args;
	return 0;
}

static json_t *build_process(const struct options *options, json_t *args)
{
	json_t *process = json_object();
	json_t *env = json_array();

	if (!process || !env || append_strings(env, options->env, options->env_count) < 0) {
		json_decref(process);
		json_decref(env);
		json_decref(args);
		return NULL;
	}
	if (args)
		json_object_set_new(process, "args", args);
	if (options->env_count)
		json_object_set(process, "env", env);
	json_decref(env);
	if (options->workdir)
		json_object_set_new(process, "cwd", json_string(options->workdir));
	if (options->user)
		json_object_set_new(process, "user", json_string(options->user));
	return process;
}

/* Copy inspect[from] to object[to] when it is there and not null. */
static int copy_field(json_t *object, const char *to, const json_t *inspect, const char *from)
{
	json_t *value = json_object_get(inspect, from);

	if (!value || json_is_null(value))
		return 0;
	return json_object_set(object, to, value) < 0 ? -ENOMEM : 0;
}

/* config.json's image: what tether reports to the host, and the process's defaults. */
static json_t *build_image(const struct options *options, const json_t *inspect)
{
	static const char *const top[][2] = {
		{ "manifest_digest", "manifestDigest" },
		{ "config_digest", "configDigest" },
		{ "diff_ids", "diffIDs" },
		{ "chain_id", "chainID" },
		{ "architecture", "architecture" },
		{ "os", "os" },
		{ "created", "created" },
	};
	static const char *const config_fields[][2] = {
		{ "Entrypoint", "entrypoint" }, { "Cmd", "cmd" },   { "Env", "env" },
		{ "WorkingDir", "workingDir" }, { "User", "user" }, { "Labels", "labels" },
	};
	json_t *image = json_pack("{s:s, s:{}}", "name", options->image, "config");
	json_t *config = json_object_get(image, "config");
	int r = image ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < sizeof(top) / sizeof(top[0]); i++)
		r = copy_field(image, top[i][0], inspect, top[i][1]);
	for (size_t i = 0; r == 0 && i < sizeof(config_fields) / sizeof(config_fields[0]); i++)
		r = copy_field(config, config_fields[i][0], inspect, config_fields[i][1]);
	if (r < 0) {
		json_decref(image);
		return NULL;
	}
	return image;
}

int vmconfig_build(const struct options *options, const json_t *inspect, size_t layer_count,
		   json_t **ret_config, char *err, size_t err_size)
{
	json_t *config, *args, *process;
	char signal_text[16];
	int r;

	r = build_args(options, inspect, &args, err, err_size);
	if (r < 0)
		return r;
	process = build_process(options, args);
	config = json_pack(
		"{s:i, s:o*, s:o*, s:o*, s:{s:s, s:i}}", "version", 1, "root",
		build_root(layer_count, inspect != NULL), "volumes", build_volumes(options),
		"process", process, "stop", "signal",
		signals_text(options->stop_signal ? options->stop_signal : SIGTERM, signal_text),
		"grace_seconds", (int)options->stop_timeout_s);
	if (!config)
		return -ENOMEM;
	if (options->hostname &&
	    json_object_set_new(config, "hostname", json_string(options->hostname)) < 0) {
		json_decref(config);
		return -ENOMEM;
	}
	if (inspect && json_object_set_new(config, "image", build_image(options, inspect)) < 0) {
		json_decref(config);
		return -ENOMEM;
	}
	if (options->commit && inspect &&
	    json_object_set_new(config, "commit",
				json_pack("{s:{s:s}}", "disk", "serial", VMCONFIG_SERIAL_COMMIT)) <
		    0) {
		json_decref(config);
		return -ENOMEM;
	}
	*ret_config = config;
	return 0;
}
