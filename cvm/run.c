// SPDX-License-Identifier: MIT
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/clock.h"
#include "../common/signals.h"
#include "disks.h"
#include "isodisk.h"
#include "spawn.h"
#include "vmconfig.h"

/* After the exit event: how long tether may take to shut down (on top of the stop grace). */
#define SHUTDOWN_WAIT_MS 15000
/* After a stop request: what tether may take beyond the grace to report the exit. */
#define STOP_SLACK_MS 10000
/* After QEMU ended: how long the last bytes in its sockets may take to be read. */
#define DRAIN_WAIT_MS 2000
#define CONSOLE_TAIL_LINES 15
#define PROGRESS_REDRAW_MS 500

/* run->paths: files in the temporary directory, and the built kernel and initramfs. */
enum {
	PATH_CONFIG_ISO,
	PATH_SCRATCH,
	PATH_CONSOLE,
	PATH_QEMU_LOG,
	PATH_KERNEL,
	PATH_INITRD,
	PATH_COMMIT,
	PATH_SOCKET, /* HOSTCHAN_PORTS of them */
};

static const char *const port_names[HOSTCHAN_PORTS] = {
	[HOSTCHAN_CONTROL] = PROTOCOL_CONTROL_PORT,
	[HOSTCHAN_STDIN] = PROTOCOL_STDIN_PORT,
	[HOSTCHAN_STDOUT] = PROTOCOL_STDOUT_PORT,
	[HOSTCHAN_STDERR] = PROTOCOL_STDERR_PORT,
};

/*
 * text on stderr with its control characters as \xNN: messages carry names from the image
 * and the guest (an entry point, a path, tether's error events), and an escape sequence in
 * one must not reach the terminal.
 */
static void put_escaped(const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			fprintf(stderr, "\\x%02x", *c);
		else
			fputc(*c, stderr);
	}
}

__attribute__((format(printf, 1, 2))) static void log_error(const char *format, ...)
{
	char message[4096];
	va_list args;

	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	fputs("cvm: ", stderr);
	put_escaped(message);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fputs("usage: cvm run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	      "       cvm run --rootfs FILE [OPTIONS] COMMAND [ARG...]\n"
	      "options:\n"
	      "  -v NAME:/path[:ro|rw]    named volume (made in the store on first use, kept)\n"
	      "  -v /abs/disk.img:/path[:ro|rw]  a disk image as a volume\n"
	      "  -e K=V, -w DIR, -u USER[:GROUP], --entrypoint CMD, --hostname NAME\n"
	      "  -m SIZE (256M), --cpus N (1), -i (attach stdin)\n"
	      "  --stop-signal SIG, --stop-timeout SECONDS (10), --timeout SECONDS\n"
	      "  --events FILE, --console FILE, --store DIR, --flatten\n"
	      "  --commit NAME:TAG [--author A] [--message M]  its writes become an image\n"
	      "  --iso FILE | --kernel FILE --initrd FILE, --rootfs FILE\n"
	      "see docs/cvm.md\n",
	      out);
}

void run_init(struct run *run)
{
	*run = (struct run){ .signal_fd = -1, .temp_lock = -1 };
	for (size_t i = 0; i < ARRAY_SIZE(run->volume_locks); i++)
		run->volume_locks[i] = -1;
	hostchan_init(&run->chan);
}

/* FILE next to the cvm binary, as built (build/cvm beside build/imagec). */
static char *beside_program(const struct run *run, const char *file)
{
	char *path;

	if (asprintf(&path, "%s/%s", run->program_dir, file) < 0)
		return NULL;
	return path;
}

/* The store's place as imagec documents it; cvm keeps named volumes in it. */
static char *default_store(void)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *path;

	if (getenv("TETHER_STORE") && getenv("TETHER_STORE")[0])
		return strdup(getenv("TETHER_STORE"));
	if (xdg && xdg[0] == '/')
		return asprintf(&path, "%s/tether/store", xdg) < 0 ? NULL : path;
	if (!home || !home[0])
		return NULL;
	return asprintf(&path, "%s/.local/share/tether/store", home) < 0 ? NULL : path;
}

/* SIGINT and SIGTERM ask for a stop; SIGCHLD says QEMU ended. All read from a signalfd. */
static int block_signals(struct run *run)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return negative_errno();
	run->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (run->signal_fd < 0)
		return negative_errno();
	/* A reader of our stdout that goes away is an error to write(), not our death. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int find_tools(struct run *run)
{
	static char program[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", program, sizeof(program) - 1);

	if (n < 0) {
		int r = negative_errno();

		log_error("cannot find where cvm is: %s", strerror(-r));
		return r;
	}
	program[n] = '\0';
	run->program_dir = dirname(program);
	run->imagec = getenv("IMAGEC") ? strdup(getenv("IMAGEC")) : beside_program(run, "imagec");
	run->store = run->options.store ? strdup(run->options.store) : default_store();
	if (!run->imagec || !run->store) {
		log_error("no store: give --store DIR, or set TETHER_STORE or HOME");
		return -ENOENT;
	}
	return 0;
}

int run_setup(struct run *run, int argc, char **argv)
{
	char err[512];
	int r;

	run->start_ms = clock_ms();
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("cvm %s\n", TETHER_VERSION);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "run") != 0) {
		if (argc >= 2)
			log_error("unknown command '%s'", argv[1]);
		usage(stderr);
		return RUN_FAILED;
	}
	r = options_parse(argc - 1, argv + 1, &run->options, err, sizeof(err));
	if (r < 0) {
		log_error("%s", r == -ENOMEM ? "out of memory" : err);
		fputs("cvm: see 'cvm --help'\n", stderr);
		return RUN_FAILED;
	}
	if (run->options.help) {
		usage(stdout);
		return 0;
	}
	protocol_seed_json();
	run->progress = isatty(STDERR_FILENO);
	if (block_signals(run) < 0 || find_tools(run) < 0)
		return RUN_FAILED;
	return RUN_CONTINUE;
}

/* A file in the temporary directory, remembered for removal. */
static const char *temp_path(struct run *run, int which, const char *name)
{
	if (!run->paths[which] && asprintf(&run->paths[which], "%s/%s", run->temp_dir, name) < 0)
		return NULL;
	return run->paths[which];
}

/* The temporary directory holds files only. */
static void remove_temp_dir(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;

	if (!dir)
		return;
	while ((entry = readdir(dir))) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			unlinkat(dirfd(dir), entry->d_name, 0);
	}
	closedir(dir);
	rmdir(path);
}

/*
 * A cvm killed by SIGKILL leaves its temporary directory behind, scratch disk and all. Every
 * cvm holds a flock() on TEMP_LOCK in its own directory while it runs: a directory whose lock
 * can be taken belongs to no running cvm, and is removed.
 */
static void remove_stale_temp_dirs(const char *base)
{
	DIR *dir = opendir(base);
	struct dirent *entry;

	if (!dir)
		return;
	while ((entry = readdir(dir))) {
		_cleanup_free_ char *path = NULL, *lock_path = NULL;
		_cleanup_close_ int lock = -1;
		struct stat st;

		if (strncmp(entry->d_name, "cvm-", 4) != 0 || strlen(entry->d_name) != 10)
			continue;
		if (asprintf(&path, "%s/%s", base, entry->d_name) < 0 ||
		    asprintf(&lock_path, "%s/" TEMP_LOCK, path) < 0)
			break;
		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		/* No lock file: not a cvm's, or one still being made. */
		lock = open(lock_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
			remove_temp_dir(path);
	}
	closedir(dir);
}

/*
 * The lock is taken under another name and then renamed into place, so that no other cvm
 * ever finds this directory's lock file unlocked.
 */
static int lock_temp_dir(struct run *run)
{
	_cleanup_free_ char *taking = NULL, *lock = NULL;

	if (asprintf(&taking, "%s/" TEMP_LOCK ".new", run->temp_dir) < 0 ||
	    asprintf(&lock, "%s/" TEMP_LOCK, run->temp_dir) < 0)
		return -ENOMEM;
	run->temp_lock = open(taking, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (run->temp_lock < 0 || flock(run->temp_lock, LOCK_EX) < 0 || rename(taking, lock) < 0)
		return negative_errno();
	return 0;
}

static int make_temp_dir(struct run *run)
{
	const char *base = getenv("TMPDIR") && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/var/tmp";
	int r;

	remove_stale_temp_dirs(base);
	/* Not /tmp by default: it is often a tmpfs, and the scratch disk's writes would be RAM. */
	if (asprintf(&run->temp_dir, "%s/cvm-XXXXXX", base) < 0)
		return -ENOMEM;
	if (!mkdtemp(run->temp_dir)) {
		log_error("create a temporary directory in '%s': %s", base, strerror(errno));
		free(run->temp_dir);
		run->temp_dir = NULL;
		return -EIO;
	}
	r = lock_temp_dir(run);
	if (r < 0)
		log_error("lock the temporary directory '%s': %s", run->temp_dir, strerror(-r));
	return r;
}

/* A disk image the user names: a file or a block device that cvm may open as asked. */
static int check_disk_image(const char *what, const char *path, bool writable, struct stat *ret)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, writable ? R_OK | W_OK : R_OK) < 0) {
		int r = negative_errno();

		log_error("%s '%s': %s", what, path, strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		log_error("%s '%s': not a disk image (a file or a block device)", what, path);
		return -EINVAL;
	}
	*ret = st;
	return 0;
}

/* The disk images the command line names, before anything is made. */
static int check_disk_images(const struct run *run)
{
	struct stat disks[OPTIONS_VOLUMES_MAX + 1];
	const char *paths[OPTIONS_VOLUMES_MAX + 1];
	size_t count = 0;
	int r = 0;

	if (run->options.rootfs) {
		paths[count] = run->options.rootfs;
		r = check_disk_image("root disk", run->options.rootfs, true, &disks[count++]);
	}
	for (size_t i = 0; r == 0 && i < run->options.volume_count; i++) {
		const struct options_volume *volume = &run->options.volumes[i];

		if (!volume->path)
			continue;
		paths[count] = volume->path;
		r = check_disk_image("volume", volume->path, !volume->read_only, &disks[count++]);
	}
	/* One file attached twice would be two writers of one filesystem (QEMU refuses it). */
	for (size_t i = 0; r == 0 && i < count; i++) {
		for (size_t j = i + 1; j < count; j++) {
			bool same_node = disks[i].st_dev == disks[j].st_dev &&
					 disks[i].st_ino == disks[j].st_ino;
			bool same_device = S_ISBLK(disks[i].st_mode) && S_ISBLK(disks[j].st_mode) &&
					   disks[i].st_rdev == disks[j].st_rdev;

			if (same_node || same_device) {
				log_error("'%s' and '%s' are the same disk, given twice", paths[i],
					  paths[j]);
				return -EINVAL;
			}
		}
	}
	return r;
}

static int open_image(struct run *run)
{
	char err[512] = "";
	int r;

	if (run->options.rootfs)
		return 0;
	r = image_open(run->imagec, run->store, run->options.image, run->options.flatten,
		       &run->image, err, sizeof(err));
	if (r == -ENOENT)
		log_error("image '%s': imagec failed (see above)", run->options.image);
	else if (r == -EINVAL)
		log_error("image '%s': %s", run->options.image, err);
	else if (r < 0)
		log_error("image '%s': run '%s': %s", run->options.image, run->imagec,
			  strerror(-r));
	return r;
}

/* A name that cannot be committed is said before the VM runs, not after its writes are made. */
static int check_commit(struct run *run)
{
	int r;

	if (!run->options.commit)
		return 0;
	r = image_check_commit(run->imagec, run->store, run->options.image, run->options.commit);
	if (r == -ENOENT)
		log_error("--commit '%s': imagec refused it (see above)", run->options.commit);
	else if (r < 0)
		log_error("--commit '%s': run '%s': %s", run->options.commit, run->imagec,
			  strerror(-r));
	return r;
}

/*
 * A volume is written by one VM at a time: a cvm holds an exclusive flock() on each volume it
 * attaches read-write (a shared one for read-only) until it ends, so a second cvm says which
 * volume is busy instead of QEMU's image-locking error. flock() and QEMU's own fcntl() locks
 * do not interact.
 */
static int lock_volume(struct run *run, size_t i)
{
	const struct options_volume *volume = &run->options.volumes[i];
	const char *what = volume->name ? volume->name : volume->path;
	int fd = open(run->volume_paths[i], O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int r = negative_errno();

		log_error("volume '%s': %s", what, strerror(-r));
		return r;
	}
	/* A named volume given by its disk's path too: our own lock would say "another VM". */
	for (size_t j = 0; j < i; j++) {
		const struct options_volume *other = &run->options.volumes[j];
		struct stat a, b;

		if (fstat(fd, &a) == 0 && fstat(run->volume_locks[j], &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			log_error("'%s' and '%s' are the same disk, given twice",
				  other->name ? other->name : other->path, what);
			close(fd);
			return -EINVAL;
		}
	}
	if (flock(fd, (volume->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		int r = negative_errno();

		if (r == -EWOULDBLOCK)
			log_error("volume '%s' is in use by another VM%s", what,
				  volume->read_only ? " that writes it" : "");
		else
			log_error("volume '%s': lock: %s", what, strerror(-r));
		close(fd);
		return r;
	}
	run->volume_locks[i] = fd;
	return 0;
}

static int open_volumes(struct run *run)
{
	for (size_t i = 0; i < run->options.volume_count; i++) {
		const struct options_volume *volume = &run->options.volumes[i];
		int r;

		if (volume->path) {
			run->volume_paths[i] = strdup(volume->path);
			if (!run->volume_paths[i])
				return -ENOMEM;
		} else {
			r = disks_named_volume(run->store, volume->name, &run->volume_paths[i]);
			if (r < 0) {
				log_error("volume '%s': make its disk in '%s/volumes': %s",
					  volume->name, run->store, strerror(-r));
				return r;
			}
		}
		r = lock_volume(run, i);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_config_disk(struct run *run)
{
	_cleanup_free_ char *text = NULL;
	const char *path = temp_path(run, PATH_CONFIG_ISO, "config.iso");
	json_t *config;
	char err[512];
	int r;

	r = vmconfig_build(&run->options, run->image.inspect, run->image.disk_count, &config, err,
			   sizeof(err));
	if (r < 0) {
		log_error("%s: %s", run->options.image ? run->options.image : run->options.rootfs,
			  r == -ENOMEM ? "out of memory" : err);
		return r;
	}
	text = json_dumps(config, JSON_INDENT(2));
	json_decref(config);
	if (!text || !path)
		return -ENOMEM;
	if (strlen(text) > VMCONFIG_SIZE_MAX) {
		log_error("config.json would be %zu bytes, more than the %u tether reads (a large "
			  "environment or command line?)",
			  strlen(text), VMCONFIG_SIZE_MAX);
		return -E2BIG;
	}
	r = isodisk_write(path, "config.json", text, strlen(text), err, sizeof(err));
	if (r < 0)
		log_error("config disk '%s': %s", path, err);
	return r;
}

static int make_scratch(struct run *run)
{
	const char *path;
	int r;

	if (run->options.rootfs)
		return 0;
	path = temp_path(run, PATH_SCRATCH, "scratch.ext4");
	if (!path)
		return -ENOMEM;
	r = disks_make_ext4(path, DISKS_SCRATCH_SIZE, "scratch");
	if (r < 0)
		log_error("scratch disk '%s': %s", path,
			  r == -EIO ? "mke2fs failed" : strerror(-r));
	return r;
}

static int check_file(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int r = negative_errno();

		log_error("%s '%s': %s", what, path, strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s '%s': not a file", what, path);
		return -EINVAL;
	}
	return 0;
}

static int check_boot_files(struct run *run)
{
	if (run->options.iso)
		return check_file("ISO", run->options.iso);
	int r;

	if (run->options.kernel) {
		r = check_file("kernel", run->options.kernel);
		return r < 0 ? r : check_file("initramfs", run->options.initrd);
	}
	/* The built ones, beside cvm. */
	run->paths[PATH_KERNEL] = beside_program(run, "vmlinuz");
	run->paths[PATH_INITRD] = beside_program(run, "initramfs.cpio.gz");
	if (!run->paths[PATH_KERNEL] || !run->paths[PATH_INITRD])
		return -ENOMEM;
	r = check_file("kernel", run->paths[PATH_KERNEL]);
	return r < 0 ? r : check_file("initramfs", run->paths[PATH_INITRD]);
}

static int open_events(struct run *run)
{
	if (!run->options.events)
		return 0;
	run->events = fopen(run->options.events, "we");
	if (!run->events) {
		int r = negative_errno();

		log_error("events file '%s': %s", run->options.events, strerror(-r));
		return r;
	}
	return 0;
}

/* The raw disk tether writes the layer tar onto: as large as the scratch disk, sparse. */
static int make_commit_disk(struct run *run)
{
	const char *path;
	int fd, r = 0;

	if (!run->options.commit)
		return 0;
	path = temp_path(run, PATH_COMMIT, "commit.img");
	if (!path)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, DISKS_SCRATCH_SIZE) < 0)
		r = negative_errno();
	if (fd >= 0)
		close(fd);
	if (r < 0)
		log_error("commit disk '%s': %s", path, strerror(-r));
	return r;
}

int run_prepare(struct run *run)
{
	if (check_boot_files(run) < 0 || check_disk_images(run) < 0 || open_events(run) < 0 ||
	    make_temp_dir(run) < 0 || open_image(run) < 0 || check_commit(run) < 0 ||
	    open_volumes(run) < 0 || write_config_disk(run) < 0 || make_scratch(run) < 0 ||
	    make_commit_disk(run) < 0)
		return RUN_FAILED;
	return RUN_CONTINUE;
}

static void add_drive(struct qemu_vm *vm, const char *path, const char *serial, bool read_only)
{
	vm->drives[vm->drive_count++] =
		(struct qemu_drive){ .path = path, .serial = serial, .read_only = read_only };
}

/* The serials of the layer and volume disks, for as long as the VM runs. */
static char serials[QEMU_DRIVES_MAX][VMCONFIG_SERIAL_SIZE];

static void describe_vm(struct run *run)
{
	struct qemu_vm *vm = &run->vm;
	size_t n = 0;

	vm->accel = getenv("QEMU_ACCEL") && getenv("QEMU_ACCEL")[0] ? getenv("QEMU_ACCEL") : NULL;
	vm->binary = getenv("QEMU") && getenv("QEMU")[0] ? getenv("QEMU") : NULL;
	vm->memory_mib = run->options.memory_mib;
	vm->cpus = run->options.cpus;
	vm->console = run->options.console ? run->options.console : run->paths[PATH_CONSOLE];
	vm->console_kept = run->options.console != NULL;
	vm->iso = run->options.iso;
	vm->kernel = run->options.kernel ? run->options.kernel : run->paths[PATH_KERNEL];
	vm->initrd = run->options.initrd ? run->options.initrd : run->paths[PATH_INITRD];

	add_drive(vm, run->paths[PATH_CONFIG_ISO], VMCONFIG_SERIAL_CONFIG, true);
	if (run->options.rootfs)
		add_drive(vm, run->options.rootfs, VMCONFIG_SERIAL_ROOT, false);
	for (size_t i = 0; i < run->image.disk_count; i++, n++) {
		vmconfig_serial(serials[n], VMCONFIG_SERIAL_LAYER, i);
		add_drive(vm, run->image.disks[i], serials[n], true);
	}
	if (run->paths[PATH_SCRATCH])
		add_drive(vm, run->paths[PATH_SCRATCH], VMCONFIG_SERIAL_SCRATCH, false);
	for (size_t i = 0; i < run->options.volume_count; i++, n++) {
		vmconfig_serial(serials[n], VMCONFIG_SERIAL_VOLUME, i);
		add_drive(vm, run->volume_paths[i], serials[n], run->options.volumes[i].read_only);
	}
	if (run->paths[PATH_COMMIT])
		add_drive(vm, run->paths[PATH_COMMIT], VMCONFIG_SERIAL_COMMIT, false);
}

static void on_event(struct hostchan *chan, const struct protocol_message *event, void *data);

static int listen_ports(struct run *run)
{
	static const char *const files[HOSTCHAN_PORTS] = { "control.sock", "stdin.sock",
							   "stdout.sock", "stderr.sock" };
	const char *paths[HOSTCHAN_PORTS];
	int r;

	for (int p = 0; p < HOSTCHAN_PORTS; p++) {
		paths[p] = temp_path(run, PATH_SOCKET + p, files[p]);
		if (!paths[p])
			return -ENOMEM;
		run->vm.ports[run->vm.port_count++] =
			(struct qemu_port){ .name = port_names[p], .socket = paths[p] };
	}
	run->chan.input_fd = run->options.interactive ? STDIN_FILENO : -1;
	run->chan.output_fd[HOSTCHAN_STDOUT] = STDOUT_FILENO;
	run->chan.output_fd[HOSTCHAN_STDERR] = STDERR_FILENO;
	run->chan.events = run->events;
	run->chan.on_event = on_event;
	run->chan.event_data = run;
	r = hostchan_listen(&run->chan, paths);
	if (r < 0)
		log_error("channel sockets in '%s': %s", run->temp_dir, strerror(-r));
	return r;
}

int run_boot(struct run *run)
{
	if (!temp_path(run, PATH_CONSOLE, "console.log") ||
	    !temp_path(run, PATH_QEMU_LOG, "qemu.log") || listen_ports(run) < 0)
		return RUN_FAILED;
	describe_vm(run);
	run->qemu_pid = qemu_start(&run->vm, run->paths[PATH_QEMU_LOG]);
	if (run->qemu_pid < 0) {
		log_error("start QEMU '%s': %s", run->vm.binary ? run->vm.binary : QEMU_DEFAULT,
			  strerror(-run->qemu_pid));
		run->qemu_pid = 0;
		return RUN_FAILED;
	}
	return RUN_CONTINUE;
}

/* The one-line progress report on a terminal, cleared before the workload's output. */
static void progress(struct run *run, const char *phase)
{
	if (!run->progress)
		return;
	if (!phase) {
		if (run->progress_phase)
			fputs("\r\033[K", stderr);
		run->progress_phase = NULL;
		return;
	}
	fprintf(stderr, "\r\033[Kcvm: %s: %s (%.1f s)",
		run->options.image ? run->options.image : run->options.rootfs, phase,
		(double)(clock_ms() - run->start_ms) / 1000.0);
	run->progress_phase = phase;
	run->progress_drawn_ms = clock_ms();
}

static void on_event(struct hostchan *chan, const struct protocol_message *event, void *data)
{
	struct run *run = data;

	(void)chan;
	switch (event->type) {
	case PROTOCOL_HELLO:
		progress(run, "kernel up, tether running");
		break;
	case PROTOCOL_CONFIG:
		progress(run, "config read");
		break;
	case PROTOCOL_IMAGE:
		progress(run, "disks found");
		break;
	case PROTOCOL_MOUNTS:
		progress(run, "root and volumes mounted");
		break;
	case PROTOCOL_STARTED:
	case PROTOCOL_ERROR:
	case PROTOCOL_EXIT:
		progress(run, NULL);
		break;
	case PROTOCOL_COMMIT: {
		json_t *size = json_object_get(event->json, "size_bytes");
		const char *diff_id = json_string_value(json_object_get(event->json, "diff_id"));

		if (json_is_integer(size) && diff_id &&
		    strlen(diff_id) < sizeof(run->commit_diff_id)) {
			run->committed = true;
			run->commit_size = json_integer_value(size);
			snprintf(run->commit_diff_id, sizeof(run->commit_diff_id), "%s", diff_id);
		}
		break;
	}
	default:
		break;
	}
}

static void kill_qemu(struct run *run)
{
	if (run->qemu_pid > 0 && !run->qemu_killed) {
		kill(run->qemu_pid, SIGKILL);
		run->qemu_killed = true;
	}
}

static void reap_qemu(struct run *run)
{
	int wait_status;

	if (run->qemu_pid > 0 && waitpid(run->qemu_pid, &wait_status, WNOHANG) == run->qemu_pid) {
		run->qemu_status = spawn_exit_status(wait_status);
		run->qemu_pid = 0;
	}
}

/*
 * A stop: through the channel once the workload runs (tether gives it the stop signal, then
 * SIGKILL after the grace); before that, or the second time, QEMU is killed. Once the
 * workload has exited, tether is writing back and unmounting the volumes: the first stop lets
 * it finish (the shutdown deadline still holds), only a second one kills QEMU.
 */
static void stop(struct run *run, int signal, int64_t *kill_at)
{
	unsigned int grace_ms = run->options.stop_timeout_s * 1000;

	if (!run->stop_signal && signal)
		run->stop_signal = signal;
	if (run->chan.exited && !run->chan.shutdown && !run->stop_after_exit) {
		run->stop_after_exit = true;
		log_error("the workload has exited; waiting for the VM to write back its volumes "
			  "(once more to kill it now)");
		return;
	}
	if (*kill_at >= 0 || !run->chan.started || run->chan.exited ||
	    hostchan_stop(&run->chan, grace_ms) < 0) {
		kill_qemu(run);
		return;
	}
	*kill_at = clock_ms() + grace_ms + STOP_SLACK_MS;
}

static void read_signals(struct run *run, int64_t *kill_at)
{
	struct signalfd_siginfo info;

	while (read(run->signal_fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo == SIGCHLD)
			reap_qemu(run);
		else
			stop(run, (int)info.ssi_signo, kill_at);
	}
}

static bool channel_open(const struct run *run)
{
	for (int p = 0; p < HOSTCHAN_PORTS; p++) {
		if (run->chan.fd[p] >= 0)
			return true;
	}
	return false;
}

static int64_t earliest(int64_t a, int64_t b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* A deadline still to come, or -1: one that has passed was acted on and wakes no one. */
static int64_t ahead(int64_t deadline, int64_t now)
{
	return deadline > now ? deadline : -1;
}

/* The poll loop: the channel, signals, and four deadlines. */
static void relay(struct run *run)
{
	int64_t timeout_at =
		run->options.timeout_s ? run->start_ms + run->options.timeout_s * 1000ll : -1;
	int64_t kill_at = -1, done_by = -1, drained_by = -1;

	for (;;) {
		struct pollfd fds[HOSTCHAN_POLL_FDS + 1];
		int64_t now = clock_ms(), next;
		int wait_ms;

		/* Output still waiting for a slow reader is written, unless a stop came. */
		if (run->qemu_pid == 0 && (!channel_open(run) || now >= drained_by) &&
		    (!hostchan_output_pending(&run->chan) || run->stop_signal || run->timed_out))
			break;
		wait_ms = hostchan_poll(&run->chan, fds);
		fds[HOSTCHAN_POLL_FDS] = (struct pollfd){ .fd = run->signal_fd, .events = POLLIN };
		next = earliest(earliest(ahead(timeout_at, now), ahead(kill_at, now)),
				earliest(ahead(done_by, now), ahead(drained_by, now)));
		if (run->progress_phase)
			next = earliest(next, run->progress_drawn_ms + PROGRESS_REDRAW_MS);
		if (next >= 0 && (wait_ms < 0 || clock_ms_until(next) < wait_ms))
			wait_ms = clock_ms_until(next);
		if (poll(fds, HOSTCHAN_POLL_FDS + 1, wait_ms) < 0 && errno != EINTR)
			break;

		if (fds[HOSTCHAN_POLL_FDS].revents)
			read_signals(run, &kill_at);
		if (hostchan_handle(&run->chan, fds) < 0)
			kill_qemu(run);
		now = clock_ms();
		if (run->progress_phase && now >= run->progress_drawn_ms + PROGRESS_REDRAW_MS)
			progress(run, run->progress_phase);
		/* A commit is written after the exit, for as long as it takes: the wait starts
		 * after. */
		if (done_by < 0 && hostchan_done(&run->chan) &&
		    (!run->paths[PATH_COMMIT] || run->committed || run->chan.error_message))
			done_by = now + run->options.stop_timeout_s * 1000ll + SHUTDOWN_WAIT_MS;
		if (drained_by < 0 && run->qemu_pid == 0)
			drained_by = now + DRAIN_WAIT_MS;
		if (timeout_at >= 0 && now >= timeout_at) {
			timeout_at = -1;
			run->timed_out = true;
			if (run->chan.started)
				log_error("timeout: the VM ran %u s, stopping it",
					  run->options.timeout_s);
			else
				log_error("timeout: the workload had not started after %u s, "
					  "stopping the VM",
					  run->options.timeout_s);
			stop(run, 0, &kill_at);
		}
		if (kill_at >= 0 && now >= kill_at)
			kill_qemu(run);
		if (done_by >= 0 && now >= done_by && run->qemu_pid > 0 && !run->qemu_killed) {
			log_error("the VM did not power off within %u s of the workload's exit; "
				  "killing it",
				  (unsigned)((run->options.stop_timeout_s * 1000ll +
					      SHUTDOWN_WAIT_MS) /
					     1000));
			kill_qemu(run);
		}
	}
}

/* The last lines of a file on stderr, indented: what the console said before things went wrong. */
static void show_tail(const char *what, const char *path)
{
	_cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
	char lines[CONSOLE_TAIL_LINES][256];
	size_t count = 0;

	if (!f)
		return;
	while (fgets(lines[count % CONSOLE_TAIL_LINES], sizeof(lines[0]), f))
		count++;
	if (count == 0)
		return;
	fprintf(stderr, "cvm: the last lines of %s:\n", what);
	for (size_t i = count > CONSOLE_TAIL_LINES ? count - CONSOLE_TAIL_LINES : 0; i < count;
	     i++) {
		char *line = lines[i % CONSOLE_TAIL_LINES];

		line[strcspn(line, "\r\n")] = '\0';
		fputs("    ", stderr);
		put_escaped(line);
		fputc('\n', stderr);
	}
}

/* tether names a volume by its disk's serial: which -v that is, for the user. */
static void explain_serials(const struct run *run, const char *message)
{
	for (size_t i = 0; i < run->options.volume_count; i++) {
		const struct options_volume *volume = &run->options.volumes[i];
		char serial[VMCONFIG_SERIAL_SIZE + 2];
		char quoted[VMCONFIG_SERIAL_SIZE + 4];

		vmconfig_serial(serial, VMCONFIG_SERIAL_VOLUME, i);
		snprintf(quoted, sizeof(quoted), "'%s'", serial);
		if (strstr(message, quoted))
			log_error("(disk %s is -v %s:%s: %s)", quoted,
				  volume->name ? volume->name : volume->path, volume->target,
				  volume->name ? run->volume_paths[i] : "a disk image");
	}
}

/* Whether the VM has disks whose writes are the user's: a read-write root or volume. */
static bool writes_disks(const struct run *run)
{
	for (size_t i = 0; i < run->options.volume_count; i++) {
		if (!run->options.volumes[i].read_only)
			return true;
	}
	return run->options.rootfs != NULL;
}

static int exit_status(struct run *run)
{
	struct hostchan *chan = &run->chan;

	progress(run, NULL);
	for (int p = HOSTCHAN_STDOUT; p <= HOSTCHAN_STDERR; p++) {
		if (chan->output_errno[p])
			log_error("writing the workload's %s: %s (the rest was dropped)",
				  p == HOSTCHAN_STDOUT ? "stdout" : "stderr",
				  strerror(chan->output_errno[p]));
	}
	if (chan->error_message) {
		log_error("%s", chan->error_message);
		explain_serials(run, chan->error_message);
	}
	if (chan->bad_lines)
		log_error("%u lines from tether did not decode", chan->bad_lines);
	/* Killed before tether's shutdown event, the VM may not have written its volumes back. */
	if (chan->exited && run->qemu_killed && !chan->shutdown && writes_disks(run)) {
		log_error("the VM was killed before it shut down: what the workload wrote to its "
			  "volumes may be lost (its exit status was %d)",
			  chan->exit_status);
		return RUN_FAILED;
	}
	if (chan->exited)
		return chan->exit_status;
	if (chan->error_message)
		return RUN_FAILED;
	if (run->stop_signal && !chan->started) {
		log_error("stopped by %s before the workload started",
			  signals_name(run->stop_signal));
		return 128 + run->stop_signal;
	}
	if (run->timed_out && !chan->started)
		return RUN_FAILED;
	if (run->qemu_killed && chan->started) {
		log_error("the VM was killed before the workload's exit was reported");
		return 128 + SIGKILL;
	}
	log_error("the VM ended before the workload's exit was reported (QEMU exit status %d)",
		  run->qemu_status);
	show_tail("QEMU's messages", run->paths[PATH_QEMU_LOG]);
	show_tail("the console", run->vm.console);
	return RUN_FAILED;
}

/*
 * The layer tether wrote goes into the store on top of the image: the commit disk cut to the
 * tar's size, handed to `imagec commit`, whose diffID must be the one tether reported.
 */
static int commit_image(struct run *run)
{
	const char *path = run->paths[PATH_COMMIT];
	char *argv[16];
	_cleanup_free_ char *id = NULL, *inspect = NULL;
	json_t *description, *diff_ids;
	const char *last;
	size_t n = 0;
	int r;

	if (!run->committed) {
		log_error("commit '%s': tether reported no committed layer", run->options.commit);
		return RUN_FAILED;
	}
	if (truncate(path, run->commit_size) < 0) {
		log_error("commit disk '%s': %s", path, strerror(errno));
		return RUN_FAILED;
	}
	argv[n++] = run->imagec;
	argv[n++] = (char *)"--store";
	argv[n++] = run->store;
	argv[n++] = (char *)"commit";
	argv[n++] = (char *)"--from";
	argv[n++] = (char *)path;
	/* The image this VM ran, by its ID: its tag may have moved since. */
	argv[n++] = (char *)"--parent";
	argv[n++] = (char *)run->image.id;
	if (run->options.author) {
		argv[n++] = (char *)"--author";
		argv[n++] = (char *)run->options.author;
	}
	if (run->options.message) {
		argv[n++] = (char *)"--message";
		argv[n++] = (char *)run->options.message;
	}
	argv[n++] = (char *)run->options.commit;
	argv[n] = NULL;
	r = spawn_run(argv, &id);
	if (r != 0) {
		log_error("commit '%s': imagec commit failed", run->options.commit);
		return RUN_FAILED;
	}
	id[strcspn(id, "\n")] = '\0';

	/* The layer in the store is the one tether wrote. */
	argv[3] = (char *)"inspect";
	argv[4] = (char *)run->options.commit;
	argv[5] = NULL;
	r = spawn_run(argv, &inspect);
	description = r == 0 ? json_loads(inspect, 0, NULL) : NULL;
	diff_ids = json_object_get(description, "diffIDs");
	last = json_string_value(json_array_get(diff_ids, json_array_size(diff_ids) - 1));
	r = last && strcmp(last, run->commit_diff_id) == 0 ? 0 : -EBADMSG;
	json_decref(description);
	if (r < 0) {
		log_error("commit '%s': the stored layer's diffID is not tether's '%s'",
			  run->options.commit, run->commit_diff_id);
		return RUN_FAILED;
	}
	fprintf(stderr, "cvm: committed %s (%lld bytes of layer, diffID %s) as %s\n",
		run->options.commit, run->commit_size, run->commit_diff_id, id);
	return 0;
}

int run_wait(struct run *run)
{
	int status;

	progress(run, "booting");
	relay(run);
	status = exit_status(run);
	/* The events file is what a CI job reads afterwards: a short one is said, and fails. */
	if (run->events && (run->chan.events_errno || fflush(run->events) != 0)) {
		log_error("events file '%s': %s: events were lost", run->options.events,
			  strerror(run->chan.events_errno ? run->chan.events_errno : errno));
		status = RUN_FAILED;
	}
	if (run->options.commit && (run->chan.exited || run->committed) && commit_image(run) != 0)
		return RUN_FAILED;
	return status;
}

void run_finish(struct run *run)
{
	if (run->qemu_pid > 0) {
		kill_qemu(run);
		waitpid(run->qemu_pid, NULL, 0);
	}
	hostchan_close(&run->chan);
	if (run->events)
		fclose(run->events);
	if (run->temp_dir)
		remove_temp_dir(run->temp_dir);
	if (run->temp_lock >= 0)
		close(run->temp_lock);
	free(run->temp_dir);
	for (size_t i = 0; i < ARRAY_SIZE(run->paths); i++)
		free(run->paths[i]);
	for (size_t i = 0; i < ARRAY_SIZE(run->volume_paths); i++) {
		free(run->volume_paths[i]);
		if (run->volume_locks[i] >= 0)
			close(run->volume_locks[i]);
	}
	image_close(&run->image);
	options_free(&run->options);
	free(run->store);
	free(run->imagec);
	if (run->signal_fd >= 0)
		close(run->signal_fd);
}
