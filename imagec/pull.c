// SPDX-License-Identifier: MIT
#include "pull.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "auth.h"
#include "catalog.h"
#include "error.h"
#include "image.h"
#include "layer.h"
#include "progress.h"

#define PULL_ATTEMPTS 5
#define PULL_REDIRECTS 5
#define PULL_PARALLEL 4

static const char *const manifest_accept =
	"Accept: " MEDIA_OCI_MANIFEST ", " MEDIA_OCI_INDEX ", " MEDIA_DOCKER_MANIFEST
	", " MEDIA_DOCKER_LIST ", application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.1";

/* One registry and repository, shared by every request of a pull. */
struct session {
	const struct ref *ref;
	const struct pull_options *options;
	char *base; /* "https://host" */
	pthread_mutex_t lock;
	char *authorization; /* "Authorization: ..." once known, under lock */
	struct progress *progress;
};

/* What one HTTP exchange returned. */
struct response {
	long status;
	char *content_type;
	char *docker_digest;
	char *authenticate;
	char *location;
	char *content_range;
	char *body; /* small bodies: manifests, tokens, errors */
	size_t body_size;
	size_t body_max;
	bool body_cut;	  /* an error body was longer than body_max: its start is kept */
	const char *what; /* what the body is, for a reason: "manifest 't' of 'x'" */
	struct store_blob_writer *writer; /* blob bodies go here when set */
	long long blob_size;	     /* the descriptor's size of a blob body; negative: unknown */
	long long range_start;	     /* the Range asked for starts here (0: none) */
	struct layer_stream *stream; /* and a layer's also here, to check its diffID */
	struct progress *progress;
	int progress_entry;
	int write_error;
};

static void response_reset(struct response *response)
{
	free(response->content_type);
	free(response->docker_digest);
	free(response->authenticate);
	free(response->location);
	free(response->content_range);
	free(response->body);
	*response = (struct response){ .body_max = response->body_max,
				       .what = response->what,
				       .writer = response->writer,
				       .blob_size = response->blob_size,
				       .range_start = response->range_start,
				       .stream = response->stream,
				       .progress = response->progress,
				       .progress_entry = response->progress_entry };
}

/* A control byte other than tab: in a header value, CR or LF would end it and start another. */
static bool pull_has_control(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

static size_t pull_header(char *buffer, size_t size, size_t count, void *userdata)
{
	struct response *response = userdata;
	size_t length = size * count;
	char **slot = NULL;
	char *colon = memchr(buffer, ':', length);
	const char *value;
	size_t value_length;

	if (length >= 5 && strncmp(buffer, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue): forget the previous one's headers. */
		response_reset(response);
		return length;
	}
	if (!colon)
		return length;
	if ((size_t)(colon - buffer) == 12 && strncasecmp(buffer, "content-type", 12) == 0)
		slot = &response->content_type;
	else if ((size_t)(colon - buffer) == 21 &&
		 strncasecmp(buffer, "docker-content-digest", 21) == 0)
		slot = &response->docker_digest;
	else if ((size_t)(colon - buffer) == 16 && strncasecmp(buffer, "www-authenticate", 16) == 0)
		slot = &response->authenticate;
	else if ((size_t)(colon - buffer) == 8 && strncasecmp(buffer, "location", 8) == 0)
		slot = &response->location;
	else if ((size_t)(colon - buffer) == 13 && strncasecmp(buffer, "content-range", 13) == 0)
		slot = &response->content_range;
	if (!slot || *slot)
		return length;
	value = colon + 1;
	while (value < buffer + length && (*value == ' ' || *value == '\t'))
		value++;
	value_length = (size_t)(buffer + length - value);
	while (value_length > 0 &&
	       (value[value_length - 1] == '\r' || value[value_length - 1] == '\n' ||
		value[value_length - 1] == ' '))
		value_length--;
	/* What a header holds goes into messages and requests: it must be a header's bytes. */
	if (pull_has_control(value, value_length)) {
		response->write_error =
			error_set(-EPROTO, "%s: the '%.*s' header holds a control character",
				  response->what, (int)(colon - buffer), buffer);
		return 0;
	}
	*slot = strndup(value, value_length);
	return length;
}

/* Where the bytes of a 206 start: "bytes START-END/SIZE". -1 when that is not what it says. */
static long long pull_range_start(const struct response *response)
{
	const char *text = response->content_range;
	char *end;
	long long start;

	if (!text || strncmp(text, "bytes ", 6) != 0 || !isdigit((unsigned char)text[6]))
		return -1;
	errno = 0;
	start = strtoll(text + 6, &end, 10);
	if (errno != 0 || *end != '-')
		return -1;
	return start;
}

/*
 * A blob body goes to the store's temporary file, never past the descriptor's size: a registry
 * that sends more (or without end) is stopped at the first byte too many.
 */
static size_t pull_body_blob(struct response *response, const char *buffer, size_t length)
{
	unsigned long long have = response->writer->hasher.size;

	/* Not the rest of the blob that was asked for: pull_fetch starts over, this is not kept. */
	if (response->status == 200 && response->range_start > 0) {
		response->write_error = error_set(-EAGAIN, "it sent the whole blob");
		return 0;
	}
	if (response->status == 206 && pull_range_start(response) != response->range_start) {
		response->write_error = error_set(-EAGAIN, "it sent '%s'",
						  response->content_range ? response->content_range
									  : "no Content-Range");
		return 0;
	}
	if (response->blob_size >= 0 && have + length > (unsigned long long)response->blob_size) {
		response->write_error =
			error_set(-EFBIG, "%s is larger than the %lld bytes its descriptor says",
				  response->what, response->blob_size);
		return 0;
	}
	response->write_error = store_blob_write(response->writer, buffer, length);
	if (response->write_error < 0)
		return 0;
	if (response->stream)
		layer_stream_write(response->stream, buffer, length);
	progress_bytes(response->progress, response->progress_entry,
		       (long long)response->writer->hasher.size);
	return length;
}

static size_t pull_body(char *buffer, size_t size, size_t count, void *userdata)
{
	struct response *response = userdata;
	size_t length = size * count;
	bool success = response->status == 200 || response->status == 206;
	char *bigger;

	/* Only a successful blob response streams to the store; error bodies stay in memory. */
	if (response->writer && success)
		return pull_body_blob(response, buffer, length);
	if (response->body_size + length > response->body_max) {
		/* Of an error, the start is enough: the status says what happened. */
		if (!success) {
			response->body_cut = true;
			return 0;
		}
		response->write_error =
			error_set(-EFBIG, "%s is larger than the limit of %zu bytes",
				  response->what, response->body_max);
		return 0;
	}
	bigger = realloc(response->body, response->body_size + length + 1);
	if (!bigger) {
		response->write_error = -ENOMEM;
		return 0;
	}
	response->body = bigger;
	memcpy(response->body + response->body_size, buffer, length);
	response->body_size += length;
	response->body[response->body_size] = '\0';
	return length;
}

/* Called by libcurl before the body: learn the status so pull_body knows where bytes go. */
static size_t pull_header_status(char *buffer, size_t size, size_t count, void *userdata)
{
	struct response *response = userdata;

	if (size * count >= 12 && strncmp(buffer, "HTTP/", 5) == 0) {
		const char *space = memchr(buffer, ' ', size * count);
		size_t length = pull_header(buffer, size, count, userdata);

		if (space)
			response->status = strtol(space + 1, NULL, 10);
		return length;
	}
	return pull_header(buffer, size, count, userdata);
}

/* The registry's error message from a JSON error body, for a failure's reason. */
static const char *pull_error_detail(const struct response *response, char *buf, size_t size)
{
	json_t *body = response->body ? json_loads(response->body, 0, NULL) : NULL;
	json_t *error = json_array_get(json_object_get(body, "errors"), 0);
	const char *code = json_string_value(json_object_get(error, "code"));
	const char *message = json_string_value(json_object_get(error, "message"));

	snprintf(buf, size, "%s%s%s", code ? code : "", code && message ? ": " : "",
		 message ? message : "");
	json_decref(body);
	return buf;
}

/* Errors that trying again cannot mend: TLS with a server that has none or a bad one, names. */
static bool pull_curl_error_is_final(CURLcode code)
{
	switch (code) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		return true;
	default:
		return false;
	}
}

/*
 * One GET of url with headers (and the session's authorization for the registry itself),
 * following redirects by hand so that credentials never go to another URL. Transport errors
 * are -EIO with a reason (-EPROTO when a retry cannot help); the HTTP status is the caller's to
 * judge.
 */
static int pull_get(struct session *session, const char *url, const char *accept,
		    long long range_start, struct response *response)
{
	_cleanup_free_ char *current = strdup(url);
	bool to_registry = true;
	int r = 0;

	for (int hop = 0; r >= 0 && current && hop <= PULL_REDIRECTS; hop++) {
		CURL *curl = curl_easy_init();
		struct curl_slist *headers = NULL;
		char range[64];
		CURLcode code;

		if (!curl)
			return -ENOMEM;
		if (accept)
			headers = curl_slist_append(headers, accept);
		pthread_mutex_lock(&session->lock);
		if (to_registry && session->authorization)
			headers = curl_slist_append(headers, session->authorization);
		pthread_mutex_unlock(&session->lock);
		response_reset(response);
		response->range_start = range_start;
		curl_easy_setopt(curl, CURLOPT_URL, current);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, pull_header_status);
		curl_easy_setopt(curl, CURLOPT_HEADERDATA, response);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, pull_body);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "imagec/" TETHER_VERSION);
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
		/* A stalled transfer (under 1 KiB/s for 60 s) is an error to retry, not a hang. */
		curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		if (range_start > 0) {
			snprintf(range, sizeof(range), "%lld-", range_start);
			curl_easy_setopt(curl, CURLOPT_RANGE, range);
		}
		code = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
		curl_slist_free_all(headers);
		curl_easy_cleanup(curl);
		/* A body refused by pull_body has its reason; a cut error body is no failure. */
		if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR &&
					  (response->write_error < 0 || response->body_cut)))
			return error_set(pull_curl_error_is_final(code) ? -EPROTO : -EIO,
					 "GET '%s': %s%s", current, curl_easy_strerror(code),
					 code == CURLE_SSL_CONNECT_ERROR && to_registry &&
							 strncmp(current, "https:", 6) == 0
						 ? " (a registry that speaks plain HTTP needs "
						   "--insecure-http)"
						 : "");
		if (response->write_error < 0)
			return response->write_error;
		if (response->status < 300 || response->status >= 400 || !response->location)
			return 0;
		/* A redirect (blob storage): the next hop gets no credentials. */
		{
			CURLU *u = curl_url();
			char *next = NULL;

			if (u && curl_url_set(u, CURLUPART_URL, current, 0) == CURLUE_OK &&
			    curl_url_set(u, CURLUPART_URL, response->location, 0) == CURLUE_OK &&
			    curl_url_get(u, CURLUPART_URL, &next, 0) == CURLUE_OK) {
				free(current);
				current = strdup(next);
			} else {
				r = error_set(-EIO, "bad redirect '%s'", response->location);
			}
			curl_free(next);
			curl_url_cleanup(u);
		}
		to_registry = false;
	}
	if (r >= 0 && !current)
		return -ENOMEM;
	return r >= 0 ? error_set(-ELOOP, "too many redirects from '%s'", url) : r;
}

/*
 * Make "Authorization: SCHEME CREDENTIALS" the session's. credentials come from elsewhere (a
 * token server): only visible ASCII may go into a header, where CR LF would add headers of
 * the sender's choosing. source names where they came from, for the reason.
 */
static int pull_authorize(struct session *session, const char *scheme, const char *credentials,
			  const char *source)
{
	char *authorization = NULL;

	for (const char *p = credentials; *p; p++) {
		if (*p < 0x21 || *p > 0x7e)
			return error_set(-EPROTO,
					 "%s gave %s credentials with a byte an HTTP header cannot "
					 "carry (0x%02x: only visible ASCII may)",
					 source, scheme, (unsigned char)*p);
	}
	if (asprintf(&authorization, "Authorization: %s %s", scheme, credentials) < 0)
		return -ENOMEM;
	pthread_mutex_lock(&session->lock);
	free(session->authorization);
	session->authorization = authorization;
	pthread_mutex_unlock(&session->lock);
	return 0;
}

/*
 * "USER:PASS" of the options in base64, for basic authentication (RFC 7617, which allows no
 * control characters in either). Caller frees.
 */
static int pull_basic_credentials(const struct pull_options *options, char **ret)
{
	_cleanup_free_ char *pair = NULL;
	_cleanup_free_ char *encoded = NULL;
	size_t length;

	if (pull_has_control(options->user, strlen(options->user)) ||
	    pull_has_control(options->password, strlen(options->password)))
		return error_set(-EINVAL, "the credentials hold a control character");
	if (asprintf(&pair, "%s:%s", options->user, options->password) < 0)
		return -ENOMEM;
	length = strlen(pair);
	if (length > 64 * 1024)
		return error_set(-E2BIG, "the credentials are longer than 64 KiB");
	encoded = malloc((length + 2) / 3 * 4 + 1);
	if (!encoded)
		return -ENOMEM;
	EVP_EncodeBlock((unsigned char *)encoded, (unsigned char *)pair, (int)length);
	*ret = take_ptr(encoded);
	return 0;
}

/* Ask the realm of a bearer challenge for a token; it becomes the session's authorization. */
static int pull_token(struct session *session, const struct auth_challenge *challenge)
{
	const char *realm = auth_param(challenge, "realm");
	const char *service = auth_param(challenge, "service");
	const char *scope = auth_param(challenge, "scope");
	const struct pull_options *options = session->options;
	struct response response = { .body_max = 1024 * 1024 };
	_cleanup_free_ char *default_scope = NULL;
	_cleanup_free_ char *what = NULL;
	_cleanup_free_ char *url = NULL;
	CURLU *u = curl_url();
	char *built = NULL;
	json_t *body = NULL;
	const char *token;
	int r = 0;

	if (!realm)
		return error_set(-EPROTO, "bearer challenge without a realm");
	if (asprintf(&what, "answer of token server '%s'", realm) < 0)
		return -ENOMEM;
	response.what = what;
	if (!scope && asprintf(&default_scope, "repository:%s:pull", session->ref->repository) >= 0)
		scope = default_scope;
	if (!u || curl_url_set(u, CURLUPART_URL, realm, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return error_set(-EPROTO, "bad token realm '%s'", realm);
	}
	if (service) {
		char *query = NULL;

		if (asprintf(&query, "service=%s", service) >= 0)
			curl_url_set(u, CURLUPART_QUERY, query,
				     CURLU_APPENDQUERY | CURLU_URLENCODE);
		free(query);
	}
	if (scope) {
		char *query = NULL;

		if (asprintf(&query, "scope=%s", scope) >= 0)
			curl_url_set(u, CURLUPART_QUERY, query,
				     CURLU_APPENDQUERY | CURLU_URLENCODE);
		free(query);
	}
	curl_url_get(u, CURLUPART_URL, &built, 0);
	url = built ? strdup(built) : NULL;
	curl_free(built);
	curl_url_cleanup(u);
	if (!url)
		return -ENOMEM;

	/* The token request carries the user's credentials (basic), the registry's never. */
	{
		struct session token_session = { .ref = session->ref, .options = options };
		_cleanup_free_ char *basic = NULL;

		if (options->user) {
			r = pull_basic_credentials(options, &basic);
			if (r < 0)
				return r;
		}
		pthread_mutex_init(&token_session.lock, NULL);
		if (basic)
			r = pull_authorize(&token_session, "Basic", basic, "--creds");
		if (r >= 0)
			r = pull_get(&token_session, url, NULL, 0, &response);
		free(token_session.authorization);
		pthread_mutex_destroy(&token_session.lock);
	}
	if (r >= 0 && response.status != 200)
		r = error_set(-EACCES, "token server '%s' answered %ld%s", realm, response.status,
			      response.status == 401 ? ": wrong credentials" : "");
	if (r >= 0)
		body = response.body ? json_loads(response.body, JSON_REJECT_DUPLICATES, NULL)
				     : NULL;
	token = json_string_value(json_object_get(body, "token"));
	if (!token)
		token = json_string_value(json_object_get(body, "access_token"));
	if (r >= 0 && !token)
		r = error_set(-EPROTO, "token server '%s' gave no token", realm);
	if (r >= 0) {
		_cleanup_free_ char *source = NULL;

		if (asprintf(&source, "token server '%s'", realm) < 0)
			r = -ENOMEM;
		else
			r = pull_authorize(session, "Bearer", token, source);
	}
	json_decref(body);
	response_reset(&response);
	return r;
}

/* Answer a 401: a bearer token, or basic credentials when the registry asks for them. */
static int pull_authenticate(struct session *session, const struct response *response)
{
	struct auth_challenge challenges[AUTH_CHALLENGES_MAX];
	const struct pull_options *options = session->options;
	int count, r = -EACCES;

	if (!response->authenticate)
		return error_set(-EACCES, "registry '%s' answered 401 without a challenge",
				 session->ref->registry);
	count = auth_parse(response->authenticate, challenges, AUTH_CHALLENGES_MAX);
	if (count < 0)
		return count;
	for (int i = 0; i < count; i++) {
		if (strcmp(challenges[i].scheme, "bearer") == 0) {
			r = pull_token(session, &challenges[i]);
			break;
		}
	}
	for (int i = 0; i < count && r == -EACCES && !error_message(); i++) {
		_cleanup_free_ char *basic = NULL;

		if (strcmp(challenges[i].scheme, "basic") != 0)
			continue;
		if (!options->user) {
			r = error_set(-EACCES, "registry '%s' wants credentials (--creds)",
				      session->ref->registry);
			break;
		}
		r = pull_basic_credentials(options, &basic);
		if (r >= 0)
			r = pull_authorize(session, "Basic", basic, "--creds");
		break;
	}
	auth_challenges_free(challenges, (size_t)count);
	if (r == -EACCES && !error_message())
		r = error_set(r, "registry '%s': no supported authentication scheme in '%s'",
			      session->ref->registry, response->authenticate);
	return r;
}

static void pull_backoff(int attempt)
{
	struct timespec delay = { .tv_sec = 0, .tv_nsec = 250000000L };

	for (int i = 0; i < attempt; i++) {
		delay.tv_sec *= 2;
		delay.tv_nsec *= 2;
		delay.tv_sec += delay.tv_nsec / 1000000000L;
		delay.tv_nsec %= 1000000000L;
	}
	nanosleep(&delay, NULL);
}

/*
 * GET a registry path with authentication (once more after a 401) and retries for transport
 * errors, 429 and 5xx. For blobs (writer set), a retry resumes with Range where the bytes
 * stopped, or starts over when the server ignores the range.
 */
static int pull_fetch(struct session *session, const char *path, const char *accept,
		      struct response *response)
{
	_cleanup_free_ char *url = NULL;
	bool authenticated = false;
	char failure[512] = ""; /* why the last attempt failed, for when the next cannot resume */
	int r = 0;

	if (asprintf(&url, "%s/v2/%s/%s", session->base, session->ref->repository, path) < 0)
		return -ENOMEM;
	for (int attempt = 0; attempt < PULL_ATTEMPTS; attempt++) {
		long long have = response->writer ? (long long)response->writer->hasher.size : 0;

		error_clear();
		r = pull_get(session, url, accept, have, response);
		if (r >= 0 && response->status == 401 && !authenticated) {
			authenticated = true;
			r = pull_authenticate(session, response);
			if (r < 0)
				return r;
			attempt--;
			continue;
		}
		/* Not the part asked for (pull_body stops it): pull_blob starts over. */
		if (have > 0 && (r == -EAGAIN || (r >= 0 && response->status == 200)))
			return error_set(-EAGAIN,
					 "%s broke off at %lld bytes (%s) and the registry did not "
					 "resume it: asked for the rest, %s",
					 response->what, have, failure,
					 r == -EAGAIN ? error_message() : "it sent the whole blob");
		if (r == -EAGAIN)
			return error_set(r, "%s: asked for the whole blob, %s", response->what,
					 error_message());
		if (r == -EIO || (r >= 0 && (response->status == 429 || response->status >= 500))) {
			if (r == -EIO)
				snprintf(failure, sizeof(failure), "%s", error_message());
			else
				snprintf(failure, sizeof(failure), "answered %ld",
					 response->status);
			pull_backoff(attempt);
			continue;
		}
		return r;
	}
	if (r >= 0)
		return error_set(-EIO, "%s: GET '%s' answered %ld, %d times", response->what, url,
				 response->status, PULL_ATTEMPTS);
	return r;
}

static int pull_check_status(struct session *session, const struct response *response,
			     const char *what)
{
	char detail[512];

	if (response->status == 200 || response->status == 206)
		return 0;
	pull_error_detail(response, detail, sizeof(detail));
	if (response->status == 401 || response->status == 403)
		return error_set(-EACCES, "registry '%s' refused %s (%ld%s%s)",
				 session->ref->registry, what, response->status, *detail ? " " : "",
				 detail);
	if (response->status == 404)
		return error_set(-ENOENT, "registry '%s' has no %s (404%s%s)",
				 session->ref->registry, what, *detail ? " " : "", detail);
	return error_set(-EIO, "registry '%s' answered %ld for %s%s%s", session->ref->registry,
			 response->status, what, *detail ? ": " : "", detail);
}

/*
 * The manifest for reference (a tag or digest), its digest computed over the bytes received
 * and checked against the reference and Docker-Content-Digest.
 */
static int pull_manifest(struct session *session, const char *reference, char **ret_bytes,
			 size_t *ret_size, char **ret_type, char *ret_digest)
{
	struct response response = { .body_max = STORE_JSON_MAX };
	_cleanup_free_ char *path = NULL;
	char what[512];
	int r;

	snprintf(what, sizeof(what), "manifest '%s' of '%s'", reference, session->ref->repository);
	response.what = what;
	if (asprintf(&path, "manifests/%s", reference) < 0)
		return -ENOMEM;
	r = pull_fetch(session, path, manifest_accept, &response);
	if (r >= 0)
		r = pull_check_status(session, &response, what);
	if (r >= 0 && !response.body)
		r = error_set(-EBADMSG, "%s is empty", what);
	if (r >= 0)
		r = digest_of_buffer(response.body, response.body_size, ret_digest);
	if (r >= 0 && strncmp(reference, "sha256:", 7) == 0 && strcmp(reference, ret_digest) != 0)
		r = error_set(-EBADMSG, "%s hashes to '%s'", what, ret_digest);
	if (r >= 0 && response.docker_digest &&
	    strncmp(response.docker_digest, "sha256:", 7) == 0 &&
	    strcmp(response.docker_digest, ret_digest) != 0)
		r = error_set(-EBADMSG, "%s hashes to '%s', the registry says '%s'", what,
			      ret_digest, response.docker_digest);
	if (r >= 0) {
		*ret_bytes = take_ptr(response.body);
		*ret_size = response.body_size;
		*ret_type = response.content_type ? strdup(response.content_type) : NULL;
	}
	response_reset(&response);
	return r;
}

/* A layer's diffID, computed as it arrived (stream) or from the store, against the config's. */
static int pull_check_diff_id(const char *digest, const char *diff_id, const char *media_type,
			      struct layer_stream *stream, const char *path)
{
	char found[DIGEST_STRING_LEN + 1];
	int r = stream ? layer_stream_end(stream, found) : layer_diff_id(path, media_type, found);

	if (r < 0)
		return error_set(r, "layer '%s': %s", digest, error_message());
	if (strcmp(found, diff_id) != 0)
		return error_set(-EBADMSG,
				 "layer '%s' unpacks to diffID '%s', the config says '%s'", digest,
				 found, diff_id);
	return 0;
}

/*
 * Check a blob the store has (under its lock) as a download is checked: its digest and size,
 * and a layer's diffID. Returns 0 when it is good, 1 when it is damaged (a rotted disk, a file
 * changed by hand) and must be fetched anew, or -errno with a reason (a diffID that the
 * intact blob does not unpack to: the config is wrong, fetching again cannot mend it).
 */
static int pull_blob_present(struct store *store, struct session *session, const char *digest,
			     long long size, const char *diff_id, const char *media_type,
			     const char *path, int entry)
{
	int r;

	progress_state(session->progress, entry, "verifying");
	r = store_blob_check(store, digest, size);
	if (r == -EBADMSG) {
		error_clear();
		return 1;
	}
	if (r >= 0 && diff_id)
		r = pull_check_diff_id(digest, diff_id, media_type, NULL, path);
	progress_state(session->progress, entry, r >= 0 ? "present" : "failed");
	return r;
}

/*
 * Fetch one blob into the store unless it is there; another imagec fetching it is waited for.
 * A layer (diff_id set) is checked against its diffID too, decompressed as media_type says:
 * while it downloads, or from the store when it was there already. entry is its line in the
 * progress display.
 */
static int pull_blob(struct store *store, struct session *session, const char *digest,
		     long long size, const char *diff_id, const char *media_type, int entry)
{
	_cleanup_close_ int lock = -1;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *request = NULL;
	struct store_blob_writer writer;
	struct layer_stream stream = { .read_fd = -1, .write_fd = -1 };
	char what[128];
	struct response response = { .body_max = 64 * 1024,
				     .what = what,
				     .writer = &writer,
				     .blob_size = size,
				     .stream = diff_id ? &stream : NULL,
				     .progress = session->progress,
				     .progress_entry = entry };
	int r = store_blob_path(store, digest, &path);

	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "blob '%s'", digest);
	lock = store_lock_key(store, digest_hex(digest));
	if (lock < 0)
		return lock;
	if (access(path, F_OK) == 0) {
		r = pull_blob_present(store, session, digest, size, diff_id, media_type, path,
				      entry);
		if (r <= 0)
			return r;
	}
	if (asprintf(&request, "blobs/%s", digest) < 0)
		return -ENOMEM;
	for (int start = 0; start < 2; start++) {
		r = store_blob_begin(store, &writer);
		if (r < 0)
			break;
		if (diff_id && (r = layer_stream_begin(&stream, media_type)) < 0) {
			store_blob_abort(&writer);
			break;
		}
		progress_state(session->progress, entry, "downloading");
		r = pull_fetch(session, request, NULL, &response);
		if (r >= 0)
			r = pull_check_status(session, &response, what);
		if (r >= 0)
			r = store_blob_commit(&writer, digest, size, NULL);
		else
			store_blob_abort(&writer);
		if (diff_id && r >= 0)
			r = pull_check_diff_id(digest, diff_id, media_type, &stream, NULL);
		else if (diff_id)
			layer_stream_abort(&stream);
		response_reset(&response);
		if (r != -EAGAIN)
			break;
	}
	if (r == -EAGAIN)
		r = error_set(r, "%s, twice", error_message());
	progress_state(session->progress, entry, r >= 0 ? "done" : "failed");
	return r;
}

/* The layers, PULL_PARALLEL at a time. */
struct pull_workers {
	struct store *store;
	struct session *session;
	const struct image *image;
	const int *entries; /* each layer's line in the progress display */
	size_t next;
	int error;
	char message[1024];
};

static void *pull_worker(void *userdata)
{
	struct pull_workers *workers = userdata;

	for (;;) {
		size_t i;
		int r;

		pthread_mutex_lock(&workers->session->lock);
		i = workers->next++;
		if (workers->error < 0)
			i = workers->image->layer_count;
		pthread_mutex_unlock(&workers->session->lock);
		if (i >= workers->image->layer_count)
			return NULL;
		r = pull_blob(workers->store, workers->session, workers->image->layers[i].digest,
			      workers->image->layers[i].size, workers->image->layers[i].diff_id,
			      workers->image->layers[i].media_type, workers->entries[i]);
		if (r < 0) {
			pthread_mutex_lock(&workers->session->lock);
			if (workers->error >= 0) {
				workers->error = r;
				snprintf(workers->message, sizeof(workers->message), "%s",
					 error_message() ? error_message() : strerror(-r));
			}
			pthread_mutex_unlock(&workers->session->lock);
		}
	}
}

static int pull_layers(struct store *store, struct session *session, const struct image *image)
{
	_cleanup_free_ int *entries = calloc(image->layer_count + 1, sizeof(*entries));
	struct pull_workers workers = { .store = store, .session = session, .image = image };
	pthread_t threads[PULL_PARALLEL];
	size_t count = image->layer_count < PULL_PARALLEL ? image->layer_count : PULL_PARALLEL;
	size_t started = 0;

	if (!entries)
		return -ENOMEM;
	for (size_t i = 0; i < image->layer_count; i++)
		entries[i] = progress_add(session->progress, image->layers[i].digest,
					  image->layers[i].size);
	workers.entries = entries;
	for (; started < count; started++) {
		if (pthread_create(&threads[started], NULL, pull_worker, &workers) != 0)
			break;
	}
	if (started == 0 && count > 0)
		pull_worker(&workers);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (workers.error < 0)
		return error_set(workers.error, "%s", workers.message);
	return 0;
}

/* The image manifest for the platform: the reference's manifest, or one of its index. */
static int pull_resolve(struct session *session, struct image *image, char **ret_bytes,
			size_t *ret_size)
{
	const struct ref *ref = session->ref;
	const char *reference = ref->digest ? ref->digest : ref->tag;
	char digest[DIGEST_STRING_LEN + 1];
	_cleanup_free_ char *next = NULL;
	int r;

	for (int depth = 0; depth < 3; depth++) {
		_cleanup_free_ char *content_type = NULL;
		_cleanup_free_ char *bytes = NULL;
		const char *media_type;
		json_t *document = NULL;
		json_t *descriptor;
		size_t size;

		r = pull_manifest(session, next ? next : reference, &bytes, &size, &content_type,
				  digest);
		if (r >= 0)
			r = image_json_parse(bytes, size, "manifest", &document);
		if (r >= 0)
			r = image_manifest_type(document, content_type, &media_type);
		if (r >= 0 && image_is_manifest_type(media_type)) {
			/* media_type belongs to document: it goes after the manifest is parsed. */
			r = image_parse_manifest(bytes, size, digest, media_type, image);
			json_decref(document);
			if (r >= 0) {
				*ret_bytes = take_ptr(bytes);
				*ret_size = size;
			}
			return r;
		}
		if (r >= 0)
			r = image_index_choose(document, session->options->platform, &descriptor);
		if (r >= 0) {
			const char *chosen =
				json_string_value(json_object_get(descriptor, "digest"));

			if (!digest_is_valid(chosen))
				r = error_set(-EBADMSG, "index entry digest '%s' is not sha256",
					      chosen ? chosen : "");
			free(next);
			next = r >= 0 ? strdup(chosen) : NULL;
			if (r >= 0 && !next)
				r = error_set(-ENOMEM, "index entry digest");
		}
		json_decref(document);
		if (r < 0)
			return r;
	}
	return error_set(-ELOOP, "indexes nested too deep");
}

static enum progress_mode pull_progress_mode(const struct pull_options *options)
{
	if (options->json)
		return PROGRESS_JSON;
	return isatty(STDERR_FILENO) ? PROGRESS_TERMINAL : PROGRESS_NONE;
}

int pull_image(struct store *store, const char *text, const struct pull_options *options,
	       char *ret_digest)
{
	struct session session = { .options = options };
	_cleanup_free_ char *manifest = NULL;
	_cleanup_free_ char *config = NULL;
	_cleanup_free_ char *name = NULL;
	char stored[DIGEST_STRING_LEN + 1];
	struct image image = { 0 };
	size_t manifest_size = 0, config_size = 0;
	struct ref ref;
	int r = ref_parse(text, &ref);

	if (r < 0)
		return r;
	session.ref = &ref;
	session.progress =
		progress_new(pull_progress_mode(options), options->json ? stdout : stderr);
	pthread_mutex_init(&session.lock, NULL);
	if (asprintf(&session.base, "%s://%s", options->insecure_http ? "http" : "https",
		     ref_api_host(&ref)) < 0)
		r = -ENOMEM;
	if (r >= 0)
		r = pull_resolve(&session, &image, &manifest, &manifest_size);
	/* The config is read into memory: one larger than that can hold is not fetched at all. */
	if (r >= 0 && image.config_size > STORE_JSON_MAX)
		r = error_set(-EFBIG,
			      "config '%s' is %lld bytes, larger than the limit of %d bytes",
			      image.config_digest, image.config_size, STORE_JSON_MAX);
	if (r >= 0)
		r = pull_blob(store, &session, image.config_digest, image.config_size, NULL, NULL,
			      -1);
	if (r >= 0)
		r = store_blob_read(store, image.config_digest, STORE_JSON_MAX, &config,
				    &config_size);
	if (r >= 0)
		r = image_parse_config(config, config_size, &image);
	if (r >= 0)
		r = pull_layers(store, &session, &image);
	if (r >= 0)
		r = store_blob_put(store, manifest, manifest_size, stored);
	if (r >= 0 && ref.tag && !(name = ref_tag_name(&ref)))
		r = -ENOMEM;
	/* Every layer was checked against its diffID as it came: the image can be listed. */
	if (r >= 0)
		r = catalog_add(store, image.manifest_digest, image.manifest_size,
				image.manifest_media_type, name, options->host);
	if (r >= 0)
		memcpy(ret_digest, image.manifest_digest, DIGEST_STRING_LEN + 1);
	image_free(&image);
	progress_free(session.progress);
	free(session.base);
	free(session.authorization);
	pthread_mutex_destroy(&session.lock);
	ref_free(&ref);
	return r;
}
