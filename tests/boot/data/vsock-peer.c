// SPDX-License-Identifier: MIT
/*
 * vsock-peer PORT: a stand-in host for tether's vsock transport, run inside the guest and
 * reached through vsock loopback. It accepts one connection on PORT, prints every line it
 * gets as "vsock-got: LINE", asks for SIGUSR1 once the workload has started, acknowledges
 * the exit event, and ends when the connection does.
 */
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void send_line(int fd, const char *line)
{
	if (write(fd, line, strlen(line)) < 0)
		perror("vsock-peer: write");
}

int main(int argc, char **argv)
{
	struct sockaddr_vm address = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY };
	char buffer[65536], reply[128];
	size_t used = 0;
	int listener, fd;
	ssize_t n;

	if (argc != 2)
		return 2;
	address.svm_port = (unsigned int)atoi(argv[1]);
	listener = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    listen(listener, 1) < 0) {
		perror("vsock-peer: listen");
		return 1;
	}
	printf("vsock-peer: listening\n");
	fflush(stdout);
	fd = accept(listener, NULL, NULL);
	if (fd < 0) {
		perror("vsock-peer: accept");
		return 1;
	}
	while ((n = read(fd, buffer + used, sizeof(buffer) - used - 1)) > 0) {
		char *line = buffer, *newline;

		used += (size_t)n;
		buffer[used] = '\0';
		while ((newline = strchr(line, '\n'))) {
			*newline = '\0';
			printf("vsock-got: %s\n", line);
			fflush(stdout);
			if (strstr(line, "\"type\":\"started\""))
				send_line(fd, "{\"type\":\"signal\",\"seq\":1,\"ts_us\":0,"
					      "\"signal\":\"USR1\"}\n");
			if (strstr(line, "\"type\":\"exit\"")) {
				const char *seq = strstr(line, "\"seq\":");

				snprintf(reply, sizeof(reply),
					 "{\"type\":\"ack\",\"seq\":2,\"ts_us\":0,\"ack\":%ld}\n",
					 seq ? atol(seq + 6) : 0L);
				send_line(fd, reply);
			}
			line = newline + 1;
		}
		used -= (size_t)(line - buffer);
		memmove(buffer, line, used);
	}
	return 0;
}
