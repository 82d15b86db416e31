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

/* A connection past HELLO (protocol version 1, the token given), or -1. A connection refused for room
 * (ERROR limit: a burst over the pre-HELLO limit) is tried again a little later, as a client would. */
static inline int link_hello(const char *token)
{
	static _Thread_local uint8_t buf[4096];
	for (int attempt = 0; attempt < 200; attempt++) {
		int fd = dial();
		if (fd < 0)
			return -1;
		struct jd_wbuf b = {0};
		size_t f = jd_wr_begin(&b, JD_MSG_HELLO, 1);
		jd_wr_u16(&b, 1);
		jd_wr_u16(&b, 1);
		jd_wr_str(&b, token, strlen(token));
		jd_wr_end(&b, f);
		send_all(fd, b.p, b.len);
		jd_wr_free(&b);
		struct jd_link_hdr h;
		int t = recv_frame_into(fd, &h, buf, sizeof(buf));
		if (t == JD_MSG_HELLO_OK)
			return fd;
		close(fd);
		struct jd_rcur r = {buf, t < 0 ? 0 : h.size, 0, 0};
		if (t != JD_MSG_ERROR || jd_rd_u16(&r) != JD_LINK_E_LIMIT)
			return -1;
		usleep(10000);
	}
	return -1;
}
#endif
