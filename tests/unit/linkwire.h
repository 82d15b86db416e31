/* linkwire.h — raw debug-link frames over loopback for the link tests and benchmarks: connect to the
 * address the hooks published, send whole buffers, read one frame with a 2 s bound. */
#ifndef JD_LINKWIRE_H
#define JD_LINKWIRE_H
#include "protocol.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern char jitdebug_link_address[128];

static inline int dial(void)
{
	const char *colon = strrchr(jitdebug_link_address, ':');
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline void send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

/* Reads one frame (2 s max) into payload (room bytes). Returns its type, -1 on EOF/timeout. */
static inline int recv_frame_into(int fd, struct jd_link_hdr *h, uint8_t *payload, size_t room)
{
	uint8_t hdr[JD_LINK_HDR_SIZE];
	size_t got = 0;
	while (got < sizeof(hdr)) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 2000) <= 0)
			return -1;
		ssize_t r = recv(fd, hdr + got, sizeof(hdr) - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	const char *why;
	if (jd_link_parse(hdr, sizeof(hdr), JD_LINK_MAX_FRAME + 64, h, &why) < 0 || h->size > room)
		return -1;
	for (got = 0; got < h->size;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 2000) <= 0)
			return -1;
		ssize_t r = recv(fd, payload + got, h->size - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return h->type;
}

#endif
