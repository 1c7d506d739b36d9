// SPDX-License-Identifier: MIT
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/errnoname.h"
#include "../common/fileio.h"
#include "../common/protocol.h"
#include "../common/signals.h"
#include "digest.h"
#include "log.h"
#include "rootfs.h"

/* Add a member, taking the value; a NULL value (out of memory) is left out. */
static void put(json_t *object, const char *key, json_t *value)
{
	if (object && value)
		json_object_set_new(object, key, value);
}

static json_t *strings_array(const char *const *strings, size_t count)
{
	json_t *array;

	if (!strings)
		return json_null();
	array = json_array();
	for (size_t i = 0; array && i < count; i++)
		json_array_append_new(array, protocol_string(strings[i]));
	return array;
}

json_t *report_disks(const struct blockdev_list *disks)
{
	json_t *body = json_object(), *devices = json_array();

	for (size_t i = 0; devices && i < disks->count; i++) {
		const struct blockdev *d = &disks->devices[i];
		json_t *device = json_object();

		put(device, "name", protocol_string(d->name));
		put(device, "serial", protocol_string(d->serial));
		put(device, "size_bytes", json_integer((json_int_t)d->size));
		put(device, "fstype", protocol_string(d->fstype));
		put(device, "label", protocol_string(d->label));
		put(device, "uuid", protocol_string(d->uuid));
		if (device)
			json_array_append_new(devices, device);
	}
	put(body, "devices", devices);
	put(body, "truncated", json_boolean(disks->truncated));
	return body;
}

json_t *report_config(size_t size, const char *digest, const struct blockdev *device,
		      const struct config *config)
{
	json_t *body = json_object();
	char transport[128];

	put(body, "accepted", json_true());
	put(body, "size_bytes", json_integer((json_int_t)size));
	put(body, "digest", protocol_string(digest));
	put(body, "disk", protocol_string(device->node));
	put(body, "root_mode",
	    json_string(config->root.mode == CONFIG_ROOT_DISK ? "disk" : "layers"));
	put(body, "volumes", json_integer((json_int_t)config->n_volumes));
	put(body, "channel",
	    config->has_channel
		    ? json_string(transport_format(&config->channel, transport, sizeof(transport)))
		    : json_null());
	return body;
}

/* ChainID of the layers, from their DiffIDs (OCI image spec): -errno when not computable. */
static int chain_id(const struct config_strings *diff_ids, char ret[DIGEST_STRING_SIZE])
{
	if (!diff_ids->strings || diff_ids->count == 0)
		return -ENODATA;
	snprintf(ret, DIGEST_STRING_SIZE, "%s", diff_ids->strings[0]);
	for (size_t i = 1; i < diff_ids->count; i++) {
		char input[2 * DIGEST_STRING_SIZE];
		int n = snprintf(input, sizeof(input), "%s %s", ret, diff_ids->strings[i]);
		int r = digest_buffer(input, (size_t)n, ret);

		if (r < 0)
			return r;
	}
	return 0;
}

static json_t *image_chain_id(const struct config_image *image)
{
	char computed[DIGEST_STRING_SIZE];
	int r = chain_id(&image->diff_ids, computed);

	if (r < 0) {
		if (r != -ENODATA)
			log_warning("image: compute chain_id: %s, reporting the one given",
				    strerror(-r));
		return protocol_string(image->chain_id);
	}
	if (image->chain_id && strcmp(image->chain_id, computed) != 0)
		log_warning("image: chain_id '%s' is not that of diff_ids ('%s'), reporting the "
			    "computed one",
			    image->chain_id, computed);
	return json_string(computed);
}

json_t *report_image(const struct config_image *image)
{
	json_t *body = json_object();

	put(body, "name", protocol_string(image->name));
	put(body, "manifest_digest", protocol_string(image->manifest_digest));
	put(body, "config_digest", protocol_string(image->config_digest));
	put(body, "diff_ids", strings_array(image->diff_ids.strings, image->diff_ids.count));
	put(body, "chain_id", image_chain_id(image));
	put(body, "entrypoint", strings_array(image->entrypoint.strings, image->entrypoint.count));
	put(body, "cmd", strings_array(image->cmd.strings, image->cmd.count));
	put(body, "env", strings_array(image->env.strings, image->env.count));
	put(body, "working_dir", protocol_string(image->working_dir));
	put(body, "user", protocol_string(image->user));
	put(body, "labels", image->labels ? json_deep_copy(image->labels) : json_null());
	put(body, "architecture", protocol_string(image->architecture));
	put(body, "os", protocol_string(image->os));
	put(body, "created", protocol_string(image->created));
	return body;
}

static json_t *mount_entry(const char *kind, const struct config_disk *disk,
			   const struct blockdev_list *disks, const char *target, bool read_only)
{
	const struct blockdev *device = NULL;
	json_t *entry = json_object();
	char what[192];

	put(entry, "kind", json_string(kind));
	if (disk) {
		blockdev_find(disks, disk, &device);
		put(entry, "disk", protocol_string(blockdev_describe(disk, what, sizeof(what))));
	}
	put(entry, "device", device ? protocol_string(device->node) : json_string("tmpfs"));
	put(entry, "fstype", device ? protocol_string(device->fstype) : json_string("tmpfs"));
	put(entry, "target", protocol_string(target));
	put(entry, "read_only", json_boolean(read_only));
	return entry;
}

static void append(json_t *array, json_t *entry)
{
	if (array && entry)
		json_array_append_new(array, entry);
	else
		json_decref(entry);
}

json_t *report_mounts(const struct config *config, const struct blockdev_list *disks,
		      const struct volume_mounts *volumes)
{
	const struct config_root *root = &config->root;
	json_t *body = json_object(), *mounts = json_array();
	char target[64];

	if (root->mode == CONFIG_ROOT_DISK) {
		append(mounts, mount_entry("root", &root->disk, disks, ROOTFS_ROOT, false));
	} else {
		for (size_t i = 0; i < root->n_layers; i++) {
			snprintf(target, sizeof(target), ROOTFS_LAYERS_DIR "/%zu", i);
			append(mounts, mount_entry("layer", &root->layers[i], disks, target, true));
		}
		append(mounts, mount_entry("scratch", root->has_scratch ? &root->scratch : NULL,
					   disks, ROOTFS_SCRATCH_DIR, false));
	}
	for (size_t i = 0; i < config->n_volumes; i++) {
		const struct config_volume *volume = &config->volumes[i];
		json_t *entry = mount_entry("volume", &volume->disk, disks, volume->target,
					    volume->read_only);

		put(entry, "resolved", protocol_string(volumes->resolved[i]));
		append(mounts, entry);
	}
	put(body, "root_mode", json_string(root->mode == CONFIG_ROOT_DISK ? "disk" : "layers"));
	put(body, "root", json_string(ROOTFS_ROOT));
	put(body, "mounts", mounts);
	return body;
}

/*
 * The workload's argv, as many arguments as fit in REPORT_ARGV_BYTES of JSON, so that the
 * started event always fits in a line (a command line of thousands of arguments fits in
 * config.json, not in one line); *ret_truncated says whether some were left out.
 */
static json_t *argv_array(char *const *argv, size_t argc, bool *ret_truncated)
{
	json_t *array = json_array();
	size_t used = 0;

	*ret_truncated = false;
	for (size_t i = 0; array && i < argc; i++) {
		json_t *arg = protocol_string(argv[i]);
		size_t size = arg ? json_dumpb(arg, NULL, 0, JSON_ENCODE_ANY) + 1 : 0;

		if (used + size > REPORT_ARGV_BYTES) {
			json_decref(arg);
			*ret_truncated = true;
			break;
		}
		used += size;
		json_array_append_new(array, arg);
	}
	return array;
}

json_t *report_started(pid_t pid, const struct workload *workload)
{
	json_t *body = json_object();
	size_t argc = 0;
	bool truncated;

	while (workload->argv[argc])
		argc++;
	put(body, "pid", json_integer(pid));
	put(body, "argv", argv_array(workload->argv, argc, &truncated));
	put(body, "argc", json_integer((json_int_t)argc));
	put(body, "argv_truncated", json_boolean(truncated));
	put(body, "uid", json_integer(workload->identity.uid));
	put(body, "gid", json_integer(workload->identity.gid));
	put(body, "cwd", protocol_string(workload->cwd));
	return body;
}

json_t *report_exit(const struct exit_status *exit, bool stop_requested,
		    const int64_t output_bytes[2])
{
	json_t *body = json_object();

	put(body, "status", json_integer(exit->status));
	put(body, "code", exit->signal ? json_null() : json_integer(exit->code));
	put(body, "signal", exit->signal ? json_string(signals_name(exit->signal)) : json_null());
	put(body, "stop_requested", json_boolean(stop_requested));
	/* -1: that stream went to the console, not to a port of its own. */
	put(body, "stdout_bytes",
	    output_bytes[0] >= 0 ? json_integer(output_bytes[0]) : json_null());
	put(body, "stderr_bytes",
	    output_bytes[1] >= 0 ? json_integer(output_bytes[1]) : json_null());
	return body;
}

json_t *report_error(const char *phase, const char *object, int error, const char *message)
{
	json_t *body = json_object();

	put(body, "phase", protocol_string(phase));
	put(body, "object", protocol_string(object));
	put(body, "errno", json_string(errnoname(error)));
	put(body, "message", protocol_string(message));
	return body;
}

json_t *report_timings(const struct boot *boot)
{
	json_t *body = json_object(), *phases = json_array();
	uint64_t total = 0;

	for (size_t i = 0; i < boot->n_timings; i++) {
		const struct boot_timing *t = &boot->timings[i];

		total += t->duration_ns;
		append(phases, json_pack("{s:s, s:I}", "name", t->phase, "duration_us",
					 (json_int_t)(t->duration_ns / 1000u)));
	}
	put(body, "phases", phases);
	put(body, "total_us", json_integer((json_int_t)(total / 1000u)));
	/* The kernel's part of the boot, and tether's from its start to the workload's exec. */
	put(body, "kernel_us", json_integer((json_int_t)(boot->start_ns / 1000u)));
	put(body, "start_to_exec_us",
	    boot->exec_ns ? json_integer((json_int_t)((boot->exec_ns - boot->start_ns) / 1000u))
			  : json_null());
	return body;
}

/* VmHWM of this process in KiB, or -1. */
static long long peak_memory_kib(void)
{
	_cleanup_free_ char *status = NULL;
	long long kib = -1;
	const char *line;

	if (fileio_read("/proc/self/status", 1u << 16, &status, NULL) < 0)
		return -1;
	line = strstr(status, "\nVmHWM:");
	if (line && sscanf(line, "\nVmHWM: %lld kB", &kib) != 1)
		kib = -1;
	return kib;
}

json_t *report_shutdown(const struct boot *boot, int unclean_unmounts, uint64_t dropped)
{
	json_t *body = json_object();
	long long peak = peak_memory_kib();

	put(body, "exit_status", json_integer(boot->exit_status));
	put(body, "unclean_unmounts", json_integer(unclean_unmounts));
	put(body, "failed_phase", protocol_string(boot->failed_phase));
	put(body, "events_dropped", json_integer((json_int_t)dropped));
	put(body, "peak_memory_kib", peak >= 0 ? json_integer(peak) : json_null());
	return body;
}
