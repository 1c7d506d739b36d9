/* SPDX-License-Identifier: MIT */
/*
 * The QEMU command line of a container VM, and QEMU's start. The VM has no network and no
 * display: a serial console to a file, virtio-blk disks named by serial, and a virtio-serial
 * device whose ports (docs/protocol.md) are Unix sockets QEMU connects to.
 */
#ifndef CVM_QEMU_H
#define CVM_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define QEMU_DRIVES_MAX 32
/*
 * Without tether.timeout tether waits 10 s for a disk: long under TCG on a busy host. A
 * console the user keeps (--console) gets the kernel's and tether's messages: no quiet.
 */
#define QEMU_APPEND "console=ttyS0 panic=-1 tether.timeout=30"
#define QEMU_APPEND_QUIET QEMU_APPEND " quiet"

/* The QEMU run when $QEMU does not name another. */
#define QEMU_DEFAULT "qemu-system-x86_64"

struct qemu_drive {
	const char *path;
	const char *serial;
	bool read_only;
};

/* A virtio-serial port backed by a Unix socket that cvm listens on. */
struct qemu_port {
	const char *name; /* org.tether.control, ... */
	const char *socket;
};

struct qemu_vm {
	const char *binary; /* default: QEMU_DEFAULT */
	const char *accel;  /* default: tcg */
	const char *iso;    /* or kernel and initrd */
	const char *kernel;
	const char *initrd;
	unsigned int memory_mib;
	unsigned int cpus;
	const char *console; /* file the serial console goes to */
	bool console_kept;   /* the user reads it: the kernel is not quiet */
	struct qemu_drive drives[QEMU_DRIVES_MAX];
	size_t drive_count;
	struct qemu_port ports[4];
	size_t port_count;
};

/*
 * The argument vector (NULL-terminated, heap strings) that starts vm. Returns 0 or -ENOMEM;
 * release with qemu_argv_free().
 */
int qemu_argv(const struct qemu_vm *vm, char ***ret_argv);
void qemu_argv_free(char **argv);

/* Start QEMU in a session of its own; its messages go to log_path. Returns the PID or -errno. */
pid_t qemu_start(const struct qemu_vm *vm, const char *log_path);

#endif
