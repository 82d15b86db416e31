/* bench_link_flood.c — registration latency while clients attack the debug link, each figure beside
 * the same registrations with the link quiet, on the same run:
 *  - a pipelined LOOKUP_SYMBOL flood (4 clients, 64 requests in flight each) over LIVE live objects;
 *  - watches at the limits (16 clients x 16 of 247 bytes): symbol watches only, one file watch, and
 *    half of each.
 * Prints median, p99 and worst registration time (register + unregister of a clang object).
 *
 * usage: JITDEBUG_LISTEN=127.0.0.1:0 bench_link_flood OBJECT [LIVE] [COUNT] */
#include <arpa/inet.h>
#include <elf.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jitdebug-hooks.h"
#include "linkwire.h"
#include "objfile.h"
#include "protocol.h"
#include "timing.h"

static uint8_t *obj;
static size_t obj_size;
static volatile int stop;
static _Atomic unsigned long lookups;

static void send_frame(int fd, struct jd_wbuf *b)
{
	send_all(fd, b->p, b->len);
}

static int read_frame(int fd, uint8_t *buf, size_t room)
{
	struct jd_link_hdr h;
	return recv_frame_into(fd, &h, buf, room);
}

static int hello(void)
{
	return link_hello("");
}

static void *flooder(void *arg)
{
	(void)arg;
	int fd = hello();
	uint8_t *buf = malloc(JD_LINK_MAX_FRAME);
	struct jd_wbuf req = {0};
	size_t f = jd_wr_begin(&req, JD_MSG_LOOKUP_SYMBOL, 7);
	jd_wr_str(&req, "main", 4);
	jd_wr_end(&req, f);
	for (int k = 0; k < 64; k++)
		send_frame(fd, &req);
	while (!stop && fd >= 0 && read_frame(fd, buf, JD_LINK_MAX_FRAME) == JD_MSG_LOOKUP_OK) {
		lookups++;
		send_frame(fd, &req); /* keep 64 in flight */
	}
	jd_wr_free(&req);
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void measure(const char *what, uint64_t *t, size_t count, uint64_t base_median)
{
	for (size_t i = 0; i < count; i++) {
		uint64_t id, t0 = now_ns();
		jd_register_object(obj, obj_size, NULL, &id);
		jd_unregister_object(id);
		t[i] = now_ns() - t0;
	}
	uint64_t med = median(t, count);
	printf("   %-56s median %6.1f us  p99 %7.1f us  worst %8.1f us", what, med / 1e3, t[count * 99 / 100] / 1e3,
	       t[count - 1] / 1e3);
	if (base_median)
		printf("  (median %.2fx quiet)", (double)med / (double)base_median);
	printf("\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || !jitdebug_link_address[0]) {
		fprintf(stderr, "usage: JITDEBUG_LISTEN=127.0.0.1:0 %s OBJECT [LIVE] [COUNT]\n", argv[0]);
		return 2;
	}
	size_t live = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000, count = argc > 3 ? strtoul(argv[3], NULL, 10) : 5000;
	if (!(obj = read_object(argv[1], &obj_size)))
		return 1;
	patch_load_addresses(obj, obj_size);
	struct jd_hooks_opts o = {.sz = sizeof(o), .gdb_mode = JD_GDB_OFF, .perfmap = -1, .jitdump = ""};
	jd_hooks_init(&o);
	uint64_t *ids = malloc(live * sizeof(*ids)), *t = malloc(count * sizeof(*t));
	for (size_t i = 0; i < live; i++)
		jd_register_object(obj, obj_size, NULL, &ids[i]);

	printf("== Registration under debug-link attacks (%zu live objects, %zu registrations each)\n", live, count);
	measure("link quiet", t, count, 0);
	uint64_t quiet = median(t, count);

	pthread_t th[4];
	stop = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, flooder, NULL);
	while (lookups < 8)
		usleep(1000);
	unsigned long l0 = lookups;
	uint64_t t0 = now_ns();
	measure("LOOKUP_SYMBOL flood (4 clients x 64 pipelined)", t, count, quiet);
	double secs = (now_ns() - t0) / 1e9;
	stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	printf("   (the flood was served meanwhile: %.0f lookups/s over %zu objects)\n", (lookups - l0) / secs, live);

	/* Watches: what costs is reading the line table once per registration as soon as one file watch
	 * exists; the number and length of the watches add little (symbols: a hash and a binary search). */
	static const struct { const char *what; int clients, per_client, file_every; } sets[] = {
		{"256 symbol watches of 247 bytes", 16, 16, 0},
		{"1 file watch", 1, 1, 1},
		{"256 watches of 247 bytes, half of them files", 16, 16, 2},
	};
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		int fds[16], set = 0;
		for (int c = 0; c < sets[s].clients; c++) {
			fds[c] = hello();
			for (int k = 0; fds[c] >= 0 && k < sets[s].per_client; k++) {
				char pat[248];
				memset(pat, 'w', 247);
				pat[247] = '\0';
				memcpy(pat, "w", 1);
				pat[1] = (char)('a' + c);
				pat[2] = (char)('a' + k); /* distinct, 247 bytes */
				int file = sets[s].file_every && k % sets[s].file_every == 0;
				struct jd_wbuf b = {0};
				size_t f = jd_wr_begin(&b, JD_MSG_WATCH, 9);
				jd_wr_u8(&b, (uint8_t)(file ? JD_WATCH_FILE : JD_WATCH_SYMBOL));
				jd_wr_str(&b, pat, 247);
				jd_wr_end(&b, f);
				send_frame(fds[c], &b);
				jd_wr_free(&b);
				uint8_t buf[256];
				set += read_frame(fds[c], buf, sizeof(buf)) == JD_MSG_OK;
			}
		}
		char what[80];
		snprintf(what, sizeof(what), "%s (%d set)", sets[s].what, set);
		measure(what, t, count, quiet);
		for (int c = 0; c < sets[s].clients; c++)
			if (fds[c] >= 0)
				close(fds[c]);
		usleep(200000); /* the server drops them */
	}
	for (size_t i = 0; i < live; i++)
		jd_unregister_object(ids[i]);
	free(ids);
	free(t);
	free(obj);
	return 0;
}
