// SPDX-License-Identifier: MIT
#include "mountinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"

#define MOUNTINFO_MAX (4u << 20)
/* Fields before the mount point: mount ID, parent ID, major:minor, root. */
#define FIELDS_BEFORE_TARGET 4

static char *decode_field(const char *field, size_t length)
{
	char *out = malloc(length + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < length; i++) {
		const char *p = field + i;

		if (p[0] == '\\' && i + 3 < length && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' &&
		    p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
			out[n++] = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			i += 3;
			continue;
		}
		out[n++] = *p;
	}
	out[n] = '\0';
	return out;
}

static int parse_line(const char *line, size_t length, struct mountinfo_list *list)
{
	const char *p = line, *end = line + length;
	char **grown, *target;
	size_t field_length;

	for (int i = 0; i < FIELDS_BEFORE_TARGET; i++) {
		const char *space = memchr(p, ' ', (size_t)(end - p));

		if (!space)
			return -EINVAL;
		p = space + 1;
	}
	field_length = strcspn(p, " \n");
	if (field_length == 0 || p + field_length > end)
		return -EINVAL;

	target = decode_field(p, field_length);
	if (!target)
		return -ENOMEM;
	grown = realloc(list->targets, (list->count + 1) * sizeof(*grown));
	if (!grown) {
		free(target);
		return -ENOMEM;
	}
	grown[list->count++] = target;
	list->targets = grown;
	return 0;
}

int mountinfo_parse(const char *text, struct mountinfo_list *ret)
{
	struct mountinfo_list list = { 0 };

	for (const char *line = text; *line;) {
		size_t length = strcspn(line, "\n");
		int r;

		if (length > 0) {
			r = parse_line(line, length, &list);
			if (r < 0) {
				mountinfo_list_free(&list);
				return r;
			}
		}
		line += length;
		if (*line == '\n')
			line++;
	}
	*ret = list;
	return 0;
}

int mountinfo_read(struct mountinfo_list *ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = fileio_read("/proc/self/mountinfo", MOUNTINFO_MAX, &text, NULL);
	if (r < 0)
		return r;
	return mountinfo_parse(text, ret);
}

void mountinfo_list_free(struct mountinfo_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->targets[i]);
	free(list->targets);
	*list = (struct mountinfo_list){ 0 };
}
