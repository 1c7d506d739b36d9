// SPDX-License-Identifier: MIT
#include "view.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"
#include "inroot.h"
#include "rootfs.h"

#define ETC_DIR ROOTFS_STATE_DIR "/etc"

struct device_node {
	const char *name;
	unsigned int major, minor;
};

/*
 * FIXME: /dev/console here is a fresh node, so ttyname() of the workload's inherited console
 * descriptor finds no match and `tty` says "not a tty" even with process.terminal.
 */
static const struct device_node device_nodes[] = {
	{ "null", 1, 3 },    { "zero", 1, 5 }, { "full", 1, 7 },    { "random", 1, 8 },
	{ "urandom", 1, 9 }, { "tty", 5, 0 },  { "console", 5, 1 },
};

struct device_link {
	const char *name;
	const char *target;
};

static const struct device_link device_links[] = {
	{ "ptmx", "pts/ptmx" },		 { "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },	 { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

/* Mount a filesystem at a directory inside the root, created when missing. */
static int mount_at(int root_fd, const char *target, const char *type, unsigned long flags,
		    const char *options, char *err, size_t err_size)
{
	_cleanup_close_ int fd = -1;
	char path[64];
	int r = inroot_open_dir(root_fd, target, true, &fd);

	if (r == 0 && mount(type, inroot_fd_path(fd, path, sizeof(path)), type, flags, options) < 0)
		r = negative_errno();
	if (r < 0)
		snprintf(err, err_size, "mount %s at '%s': %s", type, target, strerror(-r));
	return r;
}

static int populate_dev(int root_fd, char *err, size_t err_size)
{
	_cleanup_close_ int dev_fd = -1;
	int r;

	/* Open it again: the descriptor taken before the mount names the directory below. */
	r = inroot_open_dir(root_fd, "/dev", false, &dev_fd);
	if (r < 0) {
		snprintf(err, err_size, "open '/dev' in the root: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(device_nodes); i++) {
		const struct device_node *node = &device_nodes[i];

		/* umask would take bits off: set the mode afterwards. */
		if (mknodat(dev_fd, node->name, S_IFCHR | 0666, makedev(node->major, node->minor)) <
			    0 ||
		    fchmodat(dev_fd, node->name, node->name[0] == 'c' ? 0620 : 0666, 0) < 0) {
			r = negative_errno();
			snprintf(err, err_size, "create '/dev/%s': %s", node->name, strerror(-r));
			return r;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(device_links); i++) {
		if (symlinkat(device_links[i].target, dev_fd, device_links[i].name) < 0) {
			r = negative_errno();
			snprintf(err, err_size, "create '/dev/%s': %s", device_links[i].name,
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

/*
 * Create the file /etc/NAME names inside the root, with the directories above it when a
 * symlink points into a directory the image lacks (resolv.conf -> ../run/...).
 */
static int create_etc_file(int root_fd, const char *name, const char *path)
{
	_cleanup_close_ int fd = -1, etc_fd = -1, parent_fd = -1;
	char target[256], full[512];
	ssize_t length;
	int r;

	r = inroot_open_file(root_fd, path, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY, 0644, &fd);
	if (r != -ENOENT)
		return r;

	r = inroot_open_dir(root_fd, "/etc", true, &etc_fd);
	if (r < 0)
		return r;
	length = readlinkat(etc_fd, name, target, sizeof(target) - 1);
	if (length < 0)
		return -ENOENT;
	target[length] = '\0';
	snprintf(full, sizeof(full), "%s%s", target[0] == '/' ? "" : "/etc/", target);
	*strrchr(full, '/') = '\0';
	r = inroot_open_dir(root_fd, full[0] ? full : "/", true, &parent_fd);
	if (r < 0)
		return r;
	return inroot_open_file(root_fd, path, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY, 0644,
				&fd);
}

/* The regular file /etc/NAME is inside the root, created when missing, as an O_PATH fd. */
static int open_etc_target(int root_fd, const char *name, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	char path[128];
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "/etc/%s", name);
	r = inroot_open_file(root_fd, path, O_PATH, 0, &fd);
	if (r == -ENOENT) {
		r = create_etc_file(root_fd, name, path);
		if (r == 0)
			r = inroot_open_file(root_fd, path, O_PATH, 0, &fd);
	}
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	/* A FIFO, a device or a directory there: binding a file over it is not ours to do. */
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	*ret_fd = take_fd(fd);
	return 0;
}

/* Write ETC_DIR/NAME and bind it over /etc/NAME of the root. */
static int bind_etc_file(int root_fd, const char *name, const char *text, char *err,
			 size_t err_size)
{
	_cleanup_close_ int source_fd = -1, target_fd = -1;
	char source[128], path[64];
	int r;

	snprintf(source, sizeof(source), ETC_DIR "/%s", name);
	source_fd = open(source, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (source_fd < 0)
		r = negative_errno();
	else
		r = fileio_write_all(source_fd, text, strlen(text));
	if (r == 0)
		r = open_etc_target(root_fd, name, &target_fd);
	if (r == 0 &&
	    mount(source, inroot_fd_path(target_fd, path, sizeof(path)), NULL, MS_BIND, NULL) < 0)
		r = negative_errno();
	if (r < 0)
		snprintf(err, err_size, "bind '%s' over '/etc/%s' in the root: %s", source, name,
			 r == -EBADFD ? "the image has something other than a file there"
				      : strerror(-r));
	return r;
}

static int write_etc(int root_fd, const char *hostname, char *err, size_t err_size)
{
	_cleanup_close_ int etc_fd = -1;
	char hosts[256], hostname_line[80];
	int r;

	if (mkdir(ETC_DIR, 0755) < 0 && errno != EEXIST) {
		r = negative_errno();
		snprintf(err, err_size, "create '%s': %s", ETC_DIR, strerror(-r));
		return r;
	}
	r = inroot_open_dir(root_fd, "/etc", true, &etc_fd);
	if (r < 0) {
		snprintf(err, err_size, "open '/etc' in the root: %s", strerror(-r));
		return r;
	}

	snprintf(hosts, sizeof(hosts),
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
		 "127.0.1.1\t%s\n",
		 hostname);
	/* A line, as hostname(5) has it: readers such as `read` in a shell need the newline. */
	snprintf(hostname_line, sizeof(hostname_line), "%s\n", hostname);
	r = bind_etc_file(root_fd, "hostname", hostname_line, err, err_size);
	if (r == 0)
		r = bind_etc_file(root_fd, "hosts", hosts, err, err_size);
	if (r == 0)
		r = bind_etc_file(root_fd, "resolv.conf", "# this VM has no network\n", err,
				  err_size);
	return r;
}

static int loopback_up(void)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq request = { .ifr_name = "lo" };

	if (fd < 0)
		return negative_errno();
	if (ioctl(fd, SIOCGIFFLAGS, &request) < 0)
		return negative_errno();
	request.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &request) < 0)
		return negative_errno();
	return 0;
}

int view_setup(int root_fd, const char *hostname, char *err, size_t err_size)
{
	const unsigned long nosuid_nodev_noexec = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int r;

	r = mount_at(root_fd, "/proc", "proc", nosuid_nodev_noexec, NULL, err, err_size);
	if (r == 0)
		r = mount_at(root_fd, "/sys", "sysfs", nosuid_nodev_noexec | MS_RDONLY, NULL, err,
			     err_size);
	if (r == 0)
		r = mount_at(root_fd, "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k",
			     err, err_size);
	if (r == 0)
		r = populate_dev(root_fd, err, err_size);
	if (r == 0)
		r = mount_at(root_fd, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			     "newinstance,ptmxmode=0666,mode=0620,gid=5", err, err_size);
	if (r == 0)
		r = mount_at(root_fd, "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err,
			     err_size);
	if (r < 0)
		return r;

	if (sethostname(hostname, strlen(hostname)) < 0) {
		r = negative_errno();
		snprintf(err, err_size, "set host name '%s': %s", hostname, strerror(-r));
		return r;
	}
	r = write_etc(root_fd, hostname, err, err_size);
	if (r < 0)
		return r;

	r = loopback_up();
	if (r < 0)
		snprintf(err, err_size, "bring up interface 'lo': %s", strerror(-r));
	return r;
}
