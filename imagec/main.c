// SPDX-License-Identifier: MIT
/*
 * imagec: the host's image tool. It imports images into a local store shared by several
 * hosts, lists and inspects them, and turns them into the disks tether boots.
 */
#include <errno.h>
#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cleanup.h"
#include "../common/fileio.h"
#include "catalog.h"
#include "commit.h"
#include "disk.h"
#include "error.h"
#include "gc.h"
#include "image.h"
#include "import.h"
#include "pull.h"
#include "ref.h"
#include "store.h"

struct options {
	char *store;
	char *host;
	char *tag;
	bool json;
	bool flatten;
	bool insecure_http;
	char *creds;
	char *creds_file;
	char *from;
	char *parent;
	char *author;
	char *message;
	bool dry_run;
	struct platform platform;
	char **args;
	int arg_count;
};

static void usage(FILE *out)
{
	fputs("usage: imagec [--store DIR] [--host NAME] COMMAND [ARG...]\n"
	      "  pull [--platform OS/ARCH[/VARIANT]] [--creds USER:PASS | --creds-file FILE]\n"
	      "       [--insecure-http] [--json] REF\n"
	      "  import [--tag NAME:TAG] [--platform OS/ARCH[/VARIANT]] SOURCE\n"
	      "         SOURCE: oci:DIR[:TAG] oci-archive:FILE[:TAG]\n"
	      "                 docker-archive:FILE[:NAME:TAG]\n"
	      "  list [--json]            images, their IDs and tags\n"
	      "  inspect REF              an image's metadata as JSON\n"
	      "  tag SRC NAME:TAG         tag an image (for --host only, when given)\n"
	      "  untag NAME:TAG           remove a tag\n"
	      "  rm REF                   remove an image and its tags\n"
	      "  disk [--flatten] REF     make the image's squashfs disks, print them bottom up\n"
	      "  commit --from LAYER.tar --parent REF [--author A] [--message M] NAME:TAG\n"
	      "                           a new image: REF plus a layer tether committed\n"
	      "  commit --dry-run --parent REF NAME:TAG\n"
	      "                           check the name and the parent; write nothing\n"
	      "  gc                       delete blobs and disks no image uses\n"
	      "  verify                   re-hash every blob and layer; non-zero on corruption\n"
	      "REF: NAME:TAG, NAME@sha256:HEX, sha256:HEX, or a prefix of an image ID (4+ hex\n"
	      "digits).\n"
	      "The store is --store, else $TETHER_STORE, else $XDG_DATA_HOME/tether/store\n"
	      "(~/.local/share/tether/store).\n",
	      out);
}

static int parse_options(int argc, char **argv, struct options *options)
{
	enum {
		OPT_STORE = 256,
		OPT_HOST,
		OPT_TAG,
		OPT_JSON,
		OPT_PLATFORM,
		OPT_VERSION,
		OPT_FLATTEN,
		OPT_CREDS,
		OPT_CREDS_FILE,
		OPT_INSECURE_HTTP,
		OPT_FROM,
		OPT_PARENT,
		OPT_AUTHOR,
		OPT_MESSAGE,
		OPT_DRY_RUN,
	};
	static const struct option long_options[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "flatten", no_argument, NULL, OPT_FLATTEN },
		{ "creds", required_argument, NULL, OPT_CREDS },
		{ "creds-file", required_argument, NULL, OPT_CREDS_FILE },
		{ "insecure-http", no_argument, NULL, OPT_INSECURE_HTTP },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ "author", required_argument, NULL, OPT_AUTHOR },
		{ "message", required_argument, NULL, OPT_MESSAGE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int option, r;

	ref_host_platform(&options->platform);
	while ((option = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (option) {
		case OPT_STORE:
			options->store = optarg;
			break;
		case OPT_HOST:
			r = catalog_check_host(optarg);
			if (r < 0)
				return error_report(r, "--host");
			options->host = optarg;
			break;
		case OPT_TAG:
			options->tag = optarg;
			break;
		case OPT_JSON:
			options->json = true;
			break;
		case OPT_FLATTEN:
			options->flatten = true;
			break;
		case OPT_CREDS:
			options->creds = optarg;
			break;
		case OPT_CREDS_FILE:
			options->creds_file = optarg;
			break;
		case OPT_INSECURE_HTTP:
			options->insecure_http = true;
			break;
		case OPT_FROM:
			options->from = optarg;
			break;
		case OPT_PARENT:
			options->parent = optarg;
			break;
		case OPT_AUTHOR:
			options->author = optarg;
			break;
		case OPT_MESSAGE:
			options->message = optarg;
			break;
		case OPT_DRY_RUN:
			options->dry_run = true;
			break;
		case OPT_PLATFORM:
			r = ref_parse_platform(optarg, &options->platform);
			if (r < 0)
				return error_report(r, "--platform");
			break;
		case OPT_VERSION:
			printf("imagec %s\n", TETHER_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	options->args = argv + optind;
	options->arg_count = argc - optind;
	if (options->arg_count == 0) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static int print_json(json_t *json)
{
	int r = json_dumpf(json, stdout, JSON_INDENT(2));

	putchar('\n');
	return r < 0 ? -EIO : 0;
}

static int command_import(struct store *store, const struct options *options)
{
	char digest[DIGEST_STRING_LEN + 1];
	int r = import_source(store, options->args[1], options->tag, options->host,
			      &options->platform, digest);

	if (r < 0)
		return error_report(r, "import '%s'", options->args[1]);
	printf("%s\n", digest_hex(digest));
	return 0;
}

/* USER:PASS from --creds or the first line of --creds-file. */
static int pull_credentials(const struct options *options, char **ret)
{
	char *text = NULL;
	size_t size;
	int r;

	*ret = NULL;
	if (options->creds && options->creds_file)
		return error_set(-EINVAL, "--creds and --creds-file exclude each other");
	if (options->creds) {
		text = strdup(options->creds);
		if (!text)
			return -ENOMEM;
	} else if (options->creds_file) {
		r = fileio_read(options->creds_file, 4096, &text, &size);
		if (r < 0)
			return error_set(r, "--creds-file '%s': %s", options->creds_file,
					 strerror(-r));
		text[strcspn(text, "\r\n")] = '\0';
	} else {
		return 0;
	}
	if (!strchr(text, ':')) {
		free(text);
		return error_set(-EINVAL, "credentials must be USER:PASS");
	}
	*ret = text;
	return 0;
}

static int command_pull(struct store *store, const struct options *options)
{
	_cleanup_free_ char *creds = NULL;
	char digest[DIGEST_STRING_LEN + 1];
	struct pull_options pull = { .insecure_http = options->insecure_http,
				     .json = options->json,
				     .platform = &options->platform,
				     .host = options->host };
	int r = pull_credentials(options, &creds);

	if (r < 0)
		return error_report(r, "pull '%s'", options->args[1]);
	if (creds) {
		char *colon = strchr(creds, ':');

		*colon = '\0';
		pull.user = creds;
		pull.password = colon + 1;
	}
	r = pull_image(store, options->args[1], &pull, digest);
	if (r < 0)
		return error_report(r, "pull '%s'", options->args[1]);
	if (options->json)
		printf("{\"event\":\"pulled\",\"id\":\"%s\"}\n", digest_hex(digest));
	else
		printf("%s\n", digest_hex(digest));
	return 0;
}

static int command_list(struct store *store, const struct options *options)
{
	json_t *images = NULL;
	json_t *image;
	size_t i;
	int r = catalog_list(store, options->host, options->json && !options->host, &images);

	if (r < 0)
		return error_report(r, "list '%s'", store->root);
	if (options->json) {
		r = print_json(images);
		json_decref(images);
		return r;
	}
	printf("%-12s  %s\n", "ID", "TAGS");
	json_array_foreach(images, i, image)
	{
		const char *separator = "  ";
		const char *host;
		json_t *host_tags;
		json_t *tag;
		size_t j;

		printf("%.12s", json_string_value(json_object_get(image, "id")));
		json_array_foreach(json_object_get(image, "tags"), j, tag)
		{
			printf("%s%s", separator, json_string_value(tag));
			separator = " ";
		}
		/* A host's own tags say whose they are: only that host resolves them. */
		json_object_foreach(json_object_get(image, "hostTags"), host, host_tags)
		{
			if (!options->host || strcmp(host, options->host) != 0)
				continue;
			json_array_foreach(host_tags, j, tag)
			{
				printf("%s%s (host %s)", separator, json_string_value(tag), host);
				separator = " ";
			}
		}
		printf("\n");
	}
	json_decref(images);
	return 0;
}

static int command_inspect(struct store *store, const struct options *options)
{
	char digest[DIGEST_STRING_LEN + 1];
	struct image image = { 0 };
	json_t *images = NULL;
	json_t *description;
	int r = catalog_resolve(store, options->host, options->args[1], digest);

	if (r >= 0)
		r = image_load(store, digest, &image);
	if (r >= 0)
		r = catalog_list(store, options->host, false, &images);
	if (r < 0) {
		image_free(&image);
		return error_report(r, "inspect '%s'", options->args[1]);
	}
	description =
		image_describe(&image, catalog_tags_of(images, digest, options->host != NULL));
	r = description ? print_json(description) : -ENOMEM;
	json_decref(description);
	json_decref(images);
	image_free(&image);
	return r;
}

static int command_tag(struct store *store, const struct options *options)
{
	_cleanup_free_ char *name = NULL;
	char digest[DIGEST_STRING_LEN + 1];
	struct image image = { 0 };
	int r = catalog_resolve(store, options->host, options->args[1], digest);

	if (r >= 0)
		r = catalog_tag_name(options->args[2], &name);
	if (r >= 0)
		r = image_load(store, digest, &image);
	if (r >= 0)
		r = catalog_add(store, digest, image.manifest_size, image.manifest_media_type, name,
				options->host);
	image_free(&image);
	if (r < 0)
		return error_report(r, "tag '%s' as '%s'", options->args[1], options->args[2]);
	return 0;
}

static int command_untag(struct store *store, const struct options *options)
{
	int r = catalog_untag(store, options->host, options->args[1]);

	if (r < 0)
		return error_report(r, "untag '%s'", options->args[1]);
	return 0;
}

static int command_rm(struct store *store, const struct options *options)
{
	char digest[DIGEST_STRING_LEN + 1];
	int r = catalog_resolve(store, options->host, options->args[1], digest);

	if (r >= 0)
		r = catalog_remove(store, digest);
	if (r < 0)
		return error_report(r, "rm '%s'", options->args[1]);
	printf("%s\n", digest_hex(digest));
	return 0;
}

static int command_commit(struct store *store, const struct options *options)
{
	struct commit_options commit = {
		.layer_path = options->from,
		.parent = options->parent,
		.author = options->author,
		.message = options->message,
		.host = options->host,
		.dry_run = options->dry_run,
		.name = options->args[1],
	};
	char digest[DIGEST_STRING_LEN + 1];
	int r = commit_image(store, &commit, digest);

	if (r < 0 && options->dry_run)
		return error_report(r, "commit on '%s' as '%s'", options->parent, options->args[1]);
	if (r < 0)
		return error_report(r, "commit '%s' on '%s' as '%s'", options->from,
				    options->parent, options->args[1]);
	if (!options->dry_run)
		printf("%s\n", digest_hex(digest));
	return 0;
}

static int command_disk(struct store *store, const struct options *options)
{
	char digest[DIGEST_STRING_LEN + 1];
	struct image image = { 0 };
	char **paths = NULL;
	size_t count = 0;
	int r = catalog_resolve(store, options->host, options->args[1], digest);

	if (r >= 0)
		r = image_load(store, digest, &image);
	if (r >= 0)
		r = disk_make(store, &image, options->flatten, &paths, &count);
	image_free(&image);
	if (r < 0)
		return error_report(r, "disk '%s'", options->args[1]);
	for (size_t i = 0; i < count; i++) {
		printf("%s\n", paths[i]);
		free(paths[i]);
	}
	free(paths);
	return 0;
}

static int command_gc(struct store *store, const struct options *options __attribute__((unused)))
{
	int r = gc_collect(store);

	if (r < 0)
		return error_report(r, "gc '%s'", store->root);
	return 0;
}

static int command_verify(struct store *store,
			  const struct options *options __attribute__((unused)))
{
	int r = gc_verify(store);

	if (r < 0)
		return error_report(r, "verify '%s'", store->root);
	return 0;
}

/* commit needs --parent, and --from unless it is a dry run. */
static bool commit_options_given(const struct options *options)
{
	return options->parent && (options->from || options->dry_run);
}

/*
 * Each command with the number of arguments it takes and its usage line: a call that does
 * not fit is told so, with exit status 2, before the store is opened (or made).
 */
static const struct command {
	const char *name;
	int (*run)(struct store *store, const struct options *options);
	bool exclusive;
	int args;
	const char *usage;
	bool (*options_given)(const struct options *options);
} commands[] = {
	{ "pull", command_pull, false, 1, "pull [OPTIONS] REF", NULL },
	{ "import", command_import, false, 1, "import [--tag NAME:TAG] SOURCE", NULL },
	{ "list", command_list, false, 0, "list [--json]", NULL },
	{ "inspect", command_inspect, false, 1, "inspect REF", NULL },
	{ "tag", command_tag, false, 2, "tag SRC NAME:TAG", NULL },
	{ "untag", command_untag, false, 1, "untag NAME:TAG", NULL },
	{ "rm", command_rm, false, 1, "rm REF", NULL },
	{ "disk", command_disk, false, 1, "disk [--flatten] REF", NULL },
	{ "gc", command_gc, true, 0, "gc", NULL },
	{ "verify", command_verify, false, 0, "verify", NULL },
	{ "commit", command_commit, false, 1,
	  "commit --from LAYER.tar --parent REF [--author A] [--message M] [--dry-run] NAME:TAG",
	  commit_options_given },
};

int main(int argc, char **argv)
{
	struct options options = { 0 };
	_cleanup_free_ char *path = NULL;
	const struct command *command = NULL;
	struct store store;
	int r;

	/* A child that exits early (tar2sqfs) must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = parse_options(argc, argv, &options);
	if (r < 0)
		return 2;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, options.args[0]) == 0)
			command = &commands[i];
	}
	if (!command) {
		fprintf(stderr, "imagec: unknown command '%s'\n", options.args[0]);
		usage(stderr);
		return 2;
	}
	if (options.arg_count - 1 != command->args ||
	    (command->options_given && !command->options_given(&options))) {
		fprintf(stderr, "imagec: usage: imagec %s\n", command->usage);
		return 2;
	}
	path = store_path(options.store);
	if (!path)
		return 1;
	r = store_open(path, command->exclusive, &store);
	if (r < 0) {
		error_report(r, "open the store");
		return 1;
	}
	r = command->run(&store, &options);
	store_close(&store);
	return r < 0 ? 1 : 0;
}
