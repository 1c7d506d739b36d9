// SPDX-License-Identifier: MIT
#include "qemu.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "spawn.h"

struct args {
	char **v;
	size_t count;
	size_t capacity;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static void add(struct args *args, const char *format, ...)
{
	va_list list;
	char *arg;

	if (args->failed)
		return;
	if (args->count + 2 > args->capacity) {
		size_t capacity = args->capacity ? args->capacity * 2 : 64;
		char **bigger = realloc(args->v, capacity * sizeof(char *));

		if (!bigger) {
			args->failed = true;
			return;
		}
		args->v = bigger;
		args->capacity = capacity;
	}
	va_start(list, format);
	if (vasprintf(&arg, format, list) < 0) {
		args->failed = true;
	} else {
		args->v[args->count++] = arg;
		args->v[args->count] = NULL;
	}
	va_end(list);
}

/* QEMU's option values end at a comma; a comma in a path is written twice. */
static char *escape_commas(const char *path)
{
	size_t commas = 0, length = strlen(path);
	char *escaped, *out;

	for (const char *p = path; *p; p++)
		commas += *p == ',';
	escaped = malloc(length + commas + 1);
	if (!escaped)
		return NULL;
	out = escaped;
	for (const char *p = path; *p; p++) {
		*out++ = *p;
		if (*p == ',')
			*out++ = ',';
	}
	*out = '\0';
	return escaped;
}

static void add_boot(struct args *args, const struct qemu_vm *vm)
{
	if (vm->iso) {
		_cleanup_free_ char *iso = escape_commas(vm->iso);

		args->failed |= !iso;
		add(args, "-drive");
		add(args, "file=%s,media=cdrom,readonly=on,if=ide", iso);
		add(args, "-boot");
		add(args, "d");
		return;
	}
	add(args, "-kernel");
	add(args, "%s", vm->kernel);
	add(args, "-initrd");
	add(args, "%s", vm->initrd);
	add(args, "-append");
	add(args, "%s", vm->console_kept ? QEMU_APPEND : QEMU_APPEND_QUIET);
}

static void add_drives(struct args *args, const struct qemu_vm *vm)
{
	for (size_t i = 0; i < vm->drive_count; i++) {
		const struct qemu_drive *drive = &vm->drives[i];
		_cleanup_free_ char *path = escape_commas(drive->path);

		args->failed |= !path;
		/*
		 * An error of the host's file (its filesystem full) goes to the guest as an I/O
		 * error: QEMU's default stops the VM, and with no monitor nothing resumes it.
		 */
		add(args, "-drive");
		add(args, "file=%s,if=none,format=raw,id=disk%zu,werror=report,rerror=report%s",
		    path, i, drive->read_only ? ",readonly=on" : "");
		add(args, "-device");
		add(args, "virtio-blk-pci,drive=disk%zu,serial=%s", i, drive->serial);
	}
}

static void add_ports(struct args *args, const struct qemu_vm *vm)
{
	if (vm->port_count == 0)
		return;
	add(args, "-device");
	add(args, "virtio-serial-pci,id=vser");
	for (size_t i = 0; i < vm->port_count; i++) {
		_cleanup_free_ char *path = escape_commas(vm->ports[i].socket);

		args->failed |= !path;
		add(args, "-chardev");
		add(args, "socket,id=port%zu,path=%s", i, path);
		add(args, "-device");
		add(args, "virtserialport,bus=vser.0,chardev=port%zu,name=%s", i,
		    vm->ports[i].name);
	}
}

int qemu_argv(const struct qemu_vm *vm, char ***ret_argv)
{
	struct args args = { 0 };

	add(&args, "%s", vm->binary ? vm->binary : QEMU_DEFAULT);
	add(&args, "-accel");
	add(&args, "%s", vm->accel ? vm->accel : "tcg");
	add(&args, "-m");
	add(&args, "%uM", vm->memory_mib);
	add(&args, "-smp");
	add(&args, "%u", vm->cpus);
	add(&args, "-nodefaults");
	add(&args, "-no-user-config");
	add(&args, "-no-reboot");
	add(&args, "-display");
	add(&args, "none");
	add(&args, "-monitor");
	add(&args, "none");
	add(&args, "-serial");
	add(&args, "file:%s", vm->console);
	add_boot(&args, vm);
	add_drives(&args, vm);
	add_ports(&args, vm);
	if (args.failed) {
		qemu_argv_free(args.v);
		return -ENOMEM;
	}
	*ret_argv = args.v;
	return 0;
}

void qemu_argv_free(char **argv)
{
	for (char **arg = argv; arg && *arg; arg++)
		free(*arg);
	free(argv);
}

pid_t qemu_start(const struct qemu_vm *vm, const char *log_path)
{
	char **argv;
	pid_t pid;
	int r;

	r = qemu_argv(vm, &argv);
	if (r < 0)
		return r;
	pid = spawn_background(argv, log_path);
	qemu_argv_free(argv);
	return pid;
}
