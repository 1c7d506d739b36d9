// SPDX-License-Identifier: MIT
#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "spawn.h"

/* Run imagec [--store STORE] COMMAND [ARGS...] and take its stdout. */
static int run_imagec(const char *imagec_path, const char *store, const char *const *command,
		      char **ret_output)
{
	const char *argv[16];
	size_t argc = 0;
	int status;

	argv[argc++] = imagec_path;
	if (store) {
		argv[argc++] = "--store";
		argv[argc++] = store;
	}
	for (; *command && argc < ARRAY_SIZE(argv) - 1; command++)
		argv[argc++] = *command;
	argv[argc] = NULL;

	status = spawn_run((char *const *)argv, ret_output);
	if (status < 0)
		return status;
	if (status != 0) {
		free(*ret_output);
		*ret_output = NULL;
		return -ENOENT;
	}
	return 0;
}

static int split_lines(char *output, struct image *image)
{
	size_t count = 0;

	for (char *p = output; *p; p++)
		count += *p == '\n';
	image->disks = calloc(count + 1, sizeof(char *));
	if (!image->disks)
		return -ENOMEM;
	for (char *line = strtok(output, "\n"); line; line = strtok(NULL, "\n")) {
		image->disks[image->disk_count] = strdup(line);
		if (!image->disks[image->disk_count])
			return -ENOMEM;
		image->disk_count++;
	}
	return 0;
}

int image_open(const char *imagec_path, const char *store, const char *ref, bool flatten,
	       struct image *ret, char *err, size_t err_size)
{
	const char *inspect_command[] = { "inspect", ref, NULL };
	const char *disk_command[] = { "disk", ref, NULL, NULL };
	_cleanup_free_ char *output = NULL;
	json_error_t json_error = { .text = "not an object" };
	json_t *diff_ids;
	int r;

	*ret = (struct image){ 0 };
	r = run_imagec(imagec_path, store, inspect_command, &output);
	if (r < 0)
		return r;
	ret->inspect = json_loads(output, JSON_REJECT_DUPLICATES, &json_error);
	if (!ret->inspect || !json_is_object(ret->inspect)) {
		snprintf(err, err_size, "imagec inspect '%s' printed no JSON object: %s", ref,
			 json_error.text);
		image_close(ret);
		return -EINVAL;
	}
	diff_ids = json_object_get(ret->inspect, "diffIDs");
	if (!json_is_array(diff_ids) || json_array_size(diff_ids) == 0) {
		snprintf(err, err_size, "imagec inspect '%s': no diffIDs", ref);
		image_close(ret);
		return -EINVAL;
	}

	/* From here the image is its ID: a tag that moves meanwhile changes nothing of this run. */
	ret->id = json_string_value(json_object_get(ret->inspect, "id"));
	if (!ret->id || strlen(ret->id) != 64 || strspn(ret->id, "0123456789abcdef") != 64) {
		snprintf(err, err_size, "imagec inspect '%s': no image ID", ref);
		image_close(ret);
		return -EINVAL;
	}
	disk_command[1] = ret->id;
	if (flatten || json_array_size(diff_ids) > IMAGE_LAYERS_MAX)
		disk_command[1] = "--flatten", disk_command[2] = ret->id;
	free(take_ptr(output));
	r = run_imagec(imagec_path, store, disk_command, &output);
	if (r == 0)
		r = split_lines(output, ret);
	if (r == 0 && ret->disk_count != (disk_command[2] ? 1 : json_array_size(diff_ids))) {
		snprintf(err, err_size, "imagec disk '%s' printed %zu disks for %zu layers", ref,
			 ret->disk_count, json_array_size(diff_ids));
		r = -EINVAL;
	}
	if (r < 0)
		image_close(ret);
	return r;
}

int image_check_commit(const char *imagec_path, const char *store, const char *ref,
		       const char *name)
{
	const char *command[] = { "commit", "--dry-run", "--parent", ref, name, NULL };
	_cleanup_free_ char *output = NULL;

	return run_imagec(imagec_path, store, command, &output);
}

void image_close(struct image *image)
{
	json_decref(image->inspect);
	for (size_t i = 0; i < image->disk_count; i++)
		free(image->disks[i]);
	free(image->disks);
	*image = (struct image){ 0 };
}
