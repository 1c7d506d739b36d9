// SPDX-License-Identifier: MIT
#include "vport.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#define VIRTIO_PORTS "/sys/class/virtio-ports"
#define PORT_NAME_MAX 256

int vport_find(const char *name, char *ret_path, size_t size)
{
	struct dirent *entry;
	DIR *dir = opendir(VIRTIO_PORTS);
	int r = -ENOENT;

	if (!dir)
		return -ENOENT;
	while (r < 0 && (entry = readdir(dir))) {
		char path[512], found[PORT_NAME_MAX + 2] = "";
		FILE *f;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), VIRTIO_PORTS "/%s/name", entry->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(found, sizeof(found), f)) {
			found[strcspn(found, "\n")] = '\0';
			if (strcmp(found, name) == 0) {
				snprintf(ret_path, size, "/dev/%s", entry->d_name);
				r = 0;
			}
		}
		fclose(f);
	}
	closedir(dir);
	return r;
}

bool vport_host_connected(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	return poll(&pfd, 1, 0) >= 0 && !(pfd.revents & POLLHUP);
}
