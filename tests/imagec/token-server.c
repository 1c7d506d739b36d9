// SPDX-License-Identifier: MIT
/*
 * A token server for docker-registry's token authentication, for the tests only: it listens on
 * 127.0.0.1 (a free port, printed on stdout), checks basic credentials, and answers
 * GET /token?service=S&scope=repository:NAME:ACTIONS with an RS256 JWT signed by KEY, whose
 * certificate CERT travels in the x5c header (the registry trusts it as its rootcertbundle).
 *
 *   token-server KEY.pem CERT.pem ISSUER USER:PASS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static EVP_PKEY *key;
static char *cert_der_base64;
static const char *issuer;
static const char *credentials;

/* base64url without padding, as JWTs use it. */
static char *base64url(const unsigned char *data, size_t size)
{
	char *out = malloc(size * 4 / 3 + 8);
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)size);

	for (int i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	return out;
}

static char *sign_token(const char *service, const char *scope)
{
	char header[8192], claims[2048], name[512] = "", actions[256] = "";
	unsigned char signature[1024];
	size_t signature_size = sizeof(signature);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *header64, *claims64, *signature64, *signing_input, *token;
	long now = (long)time(NULL);
	char access[1024] = "[]";

	/* scope "repository:NAME:pull,push" grants those actions on NAME. */
	if (scope && sscanf(scope, "repository:%511[^:]:%255s", name, actions) == 2) {
		char list[512] = "";
		char *saveptr = NULL;

		for (char *a = strtok_r(actions, ",", &saveptr); a;
		     a = strtok_r(NULL, ",", &saveptr))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
				 *list ? "," : "", a);
		snprintf(access, sizeof(access),
			 "[{\"type\":\"repository\",\"name\":\"%s\",\"actions\":[%s]}]", name,
			 list);
	}
	snprintf(header, sizeof(header), "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"%s\"]}",
		 cert_der_base64);
	snprintf(claims, sizeof(claims),
		 "{\"iss\":\"%s\",\"sub\":\"test\",\"aud\":\"%s\",\"exp\":%ld,\"nbf\":%ld,"
		 "\"iat\":%ld,\"jti\":\"%ld-%d\",\"access\":%s}",
		 issuer, service ? service : "", now + 300, now - 10, now, now, rand(), access);
	header64 = base64url((unsigned char *)header, strlen(header));
	claims64 = base64url((unsigned char *)claims, strlen(claims));
	if (asprintf(&signing_input, "%s.%s", header64, claims64) < 0)
		exit(1);
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, signature, &signature_size, (unsigned char *)signing_input,
			   strlen(signing_input)) != 1)
		exit(1);
	signature64 = base64url(signature, signature_size);
	if (asprintf(&token, "%s.%s", signing_input, signature64) < 0)
		exit(1);
	free(header64);
	free(claims64);
	free(signature64);
	free(signing_input);
	EVP_MD_CTX_free(ctx);
	return token;
}

/* The decoded value of query parameter name, or NULL. */
static char *query_param(const char *query, const char *name)
{
	size_t length = strlen(name);

	for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, name, length) == 0 && p[length] == '=') {
			const char *start = p + length + 1;
			size_t n = strcspn(start, "& ");
			char *value = calloc(1, n + 1);
			size_t out = 0;

			for (size_t i = 0; i < n; i++) {
				unsigned int c;

				if (start[i] == '%' && i + 2 < n + 1 &&
				    sscanf(start + i + 1, "%2x", &c) == 1) {
					value[out++] = (char)c;
					i += 2;
				} else {
					value[out++] = start[i] == '+' ? ' ' : start[i];
				}
			}
			return value;
		}
	}
	return NULL;
}

static int authorized(const char *request)
{
	const char *header = strcasestr(request, "\r\nAuthorization: Basic ");
	unsigned char decoded[512];
	char encoded[512];
	int n;

	if (!header || sscanf(header + 23, "%511s", encoded) != 1)
		return 0;
	n = EVP_DecodeBlock(decoded, (unsigned char *)encoded, (int)strlen(encoded));
	if (n < 0)
		return 0;
	decoded[n] = '\0';
	return strncmp((char *)decoded, credentials, strlen(credentials)) == 0 &&
	       (decoded[strlen(credentials)] == '\0');
}

static void serve(int client)
{
	char request[8192] = "";
	size_t used = 0;
	char response[16384];
	char *query, *service, *scope, *token;
	ssize_t n;

	while (used < sizeof(request) - 1 && !strstr(request, "\r\n\r\n")) {
		n = read(client, request + used, sizeof(request) - 1 - used);
		if (n <= 0)
			return;
		used += (size_t)n;
		request[used] = '\0';
	}
	if (!authorized(request)) {
		const char *denied = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n"
				     "Connection: close\r\n\r\n";

		if (write(client, denied, strlen(denied)) < 0)
			return;
		return;
	}
	query = strchr(request, '?');
	service = query_param(query ? query + 1 : "", "service");
	scope = query_param(query ? query + 1 : "", "scope");
	token = sign_token(service, scope);
	snprintf(response, sizeof(response),
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
		 "Content-Length: %zu\r\n\r\n{\"token\":\"%s\"}",
		 strlen(token) + 12, token);
	if (write(client, response, strlen(response)) < 0)
		perror("token-server: write");
	free(service);
	free(scope);
	free(token);
}

int main(int argc, char **argv)
{
	struct sockaddr_in address = { .sin_family = AF_INET };
	socklen_t length = sizeof(address);
	unsigned char *der = NULL;
	FILE *file;
	X509 *cert;
	int listener, der_size;

	if (argc != 5) {
		fprintf(stderr, "usage: token-server KEY.pem CERT.pem ISSUER USER:PASS\n");
		return 2;
	}
	file = fopen(argv[1], "r");
	key = file ? PEM_read_PrivateKey(file, NULL, NULL, NULL) : NULL;
	if (file)
		fclose(file);
	file = fopen(argv[2], "r");
	cert = file ? PEM_read_X509(file, NULL, NULL, NULL) : NULL;
	if (file)
		fclose(file);
	if (!key || !cert) {
		fprintf(stderr, "token-server: cannot read the key or the certificate\n");
		return 1;
	}
	der_size = i2d_X509(cert, &der);
	cert_der_base64 = malloc((size_t)der_size * 4 / 3 + 8);
	EVP_EncodeBlock((unsigned char *)cert_der_base64, der, der_size);
	issuer = argv[3];
	credentials = argv[4];

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    listen(listener, 16) < 0 ||
	    getsockname(listener, (struct sockaddr *)&address, &length) < 0) {
		perror("token-server: listen");
		return 1;
	}
	printf("%d\n", ntohs(address.sin_port));
	fflush(stdout);
	for (;;) {
		int client = accept(listener, NULL, NULL);

		if (client < 0) {
			if (errno == EINTR)
				continue;
			perror("token-server: accept");
			return 1;
		}
		serve(client);
		close(client);
	}
}
