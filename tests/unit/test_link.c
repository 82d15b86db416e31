/* test_link.c — the debug link server, in-process (ctest sets JITDEBUG_LISTEN=127.0.0.1:0, and for
 * the token run JITDEBUG_TOKEN), spoken to with raw frames: every message, every rejection rule,
 * and hostile clients (silent, garbage, 4 GiB length, never reading) while threads register. */
#include "check.h"
#include "elfbuild.h"
#include "jitdebug-hooks.h"
#include "linkwire.h"
#include "protocol.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct eb proto;

/* Under ASan, freed blocks wait in a quarantine (256 MiB by default), which the RSS checks would
 * count as the server's memory: keep it small. Unused in the normal build. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=4:thread_local_quarantine_size_kb=64"; }
static const char *token = "";

static uint8_t payload[(1 << 20) + 64];
static volatile int stop_threads;

/* recv_frame_into for a 1 MiB buffer. */
static int recv_frame(int fd, struct jd_link_hdr *h, uint8_t *buf)
{
	return recv_frame_into(fd, h, buf, (1 << 20) + 64);
}

static void send_frame(int fd, uint16_t type, uint32_t seq, void (*fill)(struct jd_wbuf *, void *), void *ctx)
{
	struct jd_wbuf b = {0};
	size_t f = jd_wr_begin(&b, type, seq);
	if (fill)
		fill(&b, ctx);
	jd_wr_end(&b, f);
	send_all(fd, b.p, b.len);
	jd_wr_free(&b);
}

/* Sends a frame built by fill(b) and returns the reply's type. */
static int request(int fd, uint16_t type, uint32_t seq, void (*fill)(struct jd_wbuf *, void *), void *ctx,
		   struct jd_link_hdr *h)
{
	send_frame(fd, type, seq, fill, ctx);
	int t;
	do
		t = recv_frame(fd, h, payload);
	while (t >= JD_EV_REGISTERED); /* skip events */
	return t;
}

static void fill_hello(struct jd_wbuf *b, void *ctx)
{
	const char *tok = ctx ? ctx : token;
	jd_wr_u16(b, 1);
	jd_wr_u16(b, 1);
	jd_wr_str(b, tok, strlen(tok));
}

static int hello(void)
{
	return link_hello(token);
}

static uint16_t error_code(const struct jd_link_hdr *h)
{
	struct jd_rcur r = {payload, h->size, 0, 0};
	return jd_rd_u16(&r);
}

/* The server closes the connection (anything it still sends first, e.g. an ERROR, is drained):
 * 1 on EOF within 3 s, 0 if it stays open. */
static int closed_by_server(int fd)
{
	uint8_t sink[4096];
	for (int waited = 0; waited < 3000;) {
		struct pollfd p = {fd, POLLIN, 0};
		int pr = poll(&p, 1, 100);
		if (pr == 0) {
			waited += 100;
			continue;
		}
		ssize_t r = recv(fd, sink, sizeof(sink), 0);
		if (r <= 0)
			return 1;
	}
	return 0;
}

static uint64_t reg(void)
{
	uint64_t id = 0;
	jd_register_object(proto.buf, proto.size, NULL, &id);
	return id;
}

/* ---- messages ---- */

static void hello_ok_reports_pid_and_version(void)
{
	int fd = dial();
	struct jd_link_hdr h;
	CHECK(request(fd, JD_MSG_HELLO, 7, fill_hello, NULL, &h) == JD_MSG_HELLO_OK && h.seq == 7, "HELLO_OK");
	struct jd_rcur r = {payload, h.size, 0, 0};
	uint16_t v = jd_rd_u16(&r);
	jd_rd_u16(&r);
	uint32_t pid = jd_rd_u32(&r);
	CHECK(v == 1 && pid == (uint32_t)getpid() && !r.bad, "version %u pid %u", v, pid);
	close(fd);
}

struct u64pair { uint64_t a, b; uint32_t c; };
static void fill_list(struct jd_wbuf *b, void *ctx) { struct u64pair *p = ctx; jd_wr_u64(b, p->a); jd_wr_u32(b, p->c); }
static void fill_fetch(struct jd_wbuf *b, void *ctx) { struct u64pair *p = ctx; jd_wr_u64(b, p->a); jd_wr_u64(b, p->b); jd_wr_u32(b, p->c); }
static void fill_u64(struct jd_wbuf *b, void *ctx) { jd_wr_u64(b, *(uint64_t *)ctx); }
static void fill_u32(struct jd_wbuf *b, void *ctx) { jd_wr_u32(b, *(uint32_t *)ctx); }
static void fill_name(struct jd_wbuf *b, void *ctx) { jd_wr_str(b, ctx, strlen(ctx)); }
static void fill_watch(struct jd_wbuf *b, void *ctx) { jd_wr_u8(b, 1); jd_wr_str(b, ctx, strlen(ctx)); }

static void list_pages_by_id(void)
{
	uint64_t a = reg(), b = reg();
	int fd = hello();
	struct jd_link_hdr h;
	struct u64pair q = {a - 1, 0, 1};
	CHECK(request(fd, JD_MSG_LIST, 2, fill_list, &q, &h) == JD_MSG_LIST_OK, "LIST");
	struct jd_rcur r = {payload, h.size, 0, 0};
	jd_rd_u64(&r);
	uint32_t count = jd_rd_u32(&r);
	uint8_t more = jd_rd_u8(&r);
	uint64_t first = jd_rd_u64(&r);
	CHECK(count == 1 && more == 1 && first == a, "one entry, more: count %u more %u id %llu", count, more,
	      (unsigned long long)first);
	q.a = b;
	CHECK(request(fd, JD_MSG_LIST, 3, fill_list, &q, &h) == JD_MSG_LIST_OK, "LIST after the last");
	r = (struct jd_rcur){payload, h.size, 0, 0};
	jd_rd_u64(&r);
	CHECK(jd_rd_u32(&r) == 0, "nothing after the newest id");
	jd_unregister_object(a);
	jd_unregister_object(b);
	close(fd);
}

static void fetch_whole_object_in_chunks(void)
{
	uint64_t id = reg();
	int fd = hello();
	struct jd_link_hdr h;
	uint8_t got[EB_CAP];
	size_t off = 0;
	for (int i = 0; i < 100 && off < proto.size; i++) {
		struct u64pair q = {id, off, 100};
		if (request(fd, JD_MSG_FETCH, 4, fill_fetch, &q, &h) != JD_MSG_FETCH_OK)
			break;
		struct jd_rcur r = {payload, h.size, 0, 0};
		jd_rd_u64(&r);
		uint64_t size = jd_rd_u64(&r);
		jd_rd_u64(&r);
		uint32_t len = jd_rd_u32(&r);
		const uint8_t *bytes = jd_rd_bytes(&r, len);
		if (!bytes || size != proto.size)
			break;
		memcpy(got + off, bytes, len);
		off += len;
	}
	/* The hooks copied and fixed up the object: compare with what they hold. */
	CHECK(off == proto.size, "fetched %zu of %zu", off, proto.size);
	CHECK(memcmp(got, proto.buf, 64) == 0, "ELF header identical");
	jd_unregister_object(id);
	close(fd);
}

static void fetch_past_end_and_unregistered_id(void)
{
	uint64_t id = reg();
	int fd = hello();
	struct jd_link_hdr h;
	struct u64pair q = {id, proto.size + 1, 10};
	CHECK(request(fd, JD_MSG_FETCH, 5, fill_fetch, &q, &h) == JD_MSG_ERROR && error_code(&h) == JD_LINK_E_RANGE, "past end");
	jd_unregister_object(id);
	q = (struct u64pair){id, 0, 10};
	CHECK(request(fd, JD_MSG_FETCH, 6, fill_fetch, &q, &h) == JD_MSG_ERROR && error_code(&h) == JD_LINK_E_NO_OBJECT,
	      "unregistered id");
	q.a = 999999999;
	CHECK(request(fd, JD_MSG_FETCH, 7, fill_fetch, &q, &h) == JD_MSG_ERROR && error_code(&h) == JD_LINK_E_NO_OBJECT,
	      "never registered id");
	uint32_t on = 1; /* semantic errors keep the connection */
	CHECK(request(fd, JD_MSG_SUBSCRIBE, 8, fill_u32, &on, &h) == JD_MSG_OK, "still connected");
	close(fd);
}

static void lookups_by_address_and_symbol(void)
{
	uint64_t id = reg();
	int fd = hello();
	struct jd_link_hdr h;
	uint64_t addr = 0x7f0000001004; /* inside .text of the built object */
	CHECK(request(fd, JD_MSG_LOOKUP_ADDR, 9, fill_u64, &addr, &h) == JD_MSG_LOOKUP_OK, "LOOKUP_ADDR");
	struct jd_rcur r = {payload, h.size, 0, 0};
	CHECK(jd_rd_u32(&r) >= 1 && jd_rd_u64(&r) > 0, "an object covers it");
	addr = 0x10;
	request(fd, JD_MSG_LOOKUP_ADDR, 10, fill_u64, &addr, &h);
	r = (struct jd_rcur){payload, h.size, 0, 0};
	CHECK(jd_rd_u32(&r) == 0, "nothing covers 0x10");
	CHECK(request(fd, JD_MSG_LOOKUP_SYMBOL, 11, fill_name, "jd_func", &h) == JD_MSG_LOOKUP_OK, "LOOKUP_SYMBOL");
	r = (struct jd_rcur){payload, h.size, 0, 0};
	CHECK(jd_rd_u32(&r) >= 1, "jd_func found");
	request(fd, JD_MSG_LOOKUP_SYMBOL, 12, fill_name, "no_such_symbol", &h);
	r = (struct jd_rcur){payload, h.size, 0, 0};
	CHECK(jd_rd_u32(&r) == 0, "unknown symbol");
	jd_unregister_object(id);
	close(fd);
}

static uint64_t reg_at(uint64_t text, uint64_t data)
{
	struct eb b;
	eb_build(&b, text);
	eb_shdr(&b, EB_BSS)->sh_size = 0;
	eb_shdr(&b, EB_DATA)->sh_addr = data;
	uint64_t id = 0;
	jd_register_object(b.buf, b.size, NULL, &id);
	return id;
}

/* The id LOOKUP_ADDR answers for addr, or 0. */
static uint64_t lookup_addr(int fd, uint64_t addr)
{
	struct jd_link_hdr h;
	if (request(fd, JD_MSG_LOOKUP_ADDR, 13, fill_u64, &addr, &h) != JD_MSG_LOOKUP_OK)
		return ~0ull;
	struct jd_rcur r = {payload, h.size, 0, 0};
	return jd_rd_u32(&r) ? jd_rd_u64(&r) : 0;
}

/* The address index: objects whose ranges overlap (the oldest holding the address wins, as in a walk),
 * an object whose sections lie 1 GiB apart (the "wide" list), a range that crosses a 1 MiB bucket,
 * and unregistration. */
static void lookup_addr_by_the_index(void)
{
	uint64_t x = 0x7e0000000000;
	uint64_t a = reg_at(x, x + 0x1000);                     /* [x, x+0x1004) */
	uint64_t c = reg_at(x + 0x800, x + 0x1800);             /* [x+0x800, x+0x1804): overlaps a */
	uint64_t w = reg_at(0x7d0000000000, 0x7d0040000000);    /* 1 GiB apart */
	uint64_t e = reg_at(x + 0xffff0, x + 0x100ff0);         /* crosses into the next MiB */
	int fd = hello();
	CHECK(lookup_addr(fd, x + 4) == a, "a's text");
	CHECK(lookup_addr(fd, x + 0x804) == a, "inside both: the older one");
	CHECK(lookup_addr(fd, x + 0x1700) == c, "only c");
	CHECK(lookup_addr(fd, 0x7d0000000004) == w && lookup_addr(fd, 0x7d0020000000) == w, "the wide one");
	CHECK(lookup_addr(fd, x + 0x100000) == e && lookup_addr(fd, x + 0xffff4) == e, "across a bucket edge");
	CHECK(lookup_addr(fd, x + 0x200000) == 0 && lookup_addr(fd, 0x10) == 0, "nothing there");
	jd_unregister_object(a);
	CHECK(lookup_addr(fd, x + 0x804) == c && lookup_addr(fd, x + 4) == 0, "after a leaves");
	jd_unregister_object(c);
	jd_unregister_object(w);
	jd_unregister_object(e);
	CHECK(lookup_addr(fd, x + 0x1700) == 0 && lookup_addr(fd, 0x7d0000000004) == 0, "after all leave");
	close(fd);
}

static void subscribe_and_watch_events(void)
{
	int fd = hello();
	struct jd_link_hdr h;
	uint32_t on = 1;
	CHECK(request(fd, JD_MSG_SUBSCRIBE, 13, fill_u32, &on, &h) == JD_MSG_OK, "SUBSCRIBE");
	CHECK(request(fd, JD_MSG_WATCH, 14, fill_watch, "jd_data", &h) == JD_MSG_OK, "WATCH");
	uint64_t id = reg();
	int got_reg = 0, got_match = 0, got_unreg = 0;
	jd_unregister_object(id);
	for (int i = 0; i < 3; i++) {
		int t = recv_frame(fd, &h, payload);
		struct jd_rcur r = {payload, h.size, 0, 0};
		if (t == JD_EV_REGISTERED)
			got_reg = jd_rd_u64(&r) == id;
		else if (t == JD_EV_WATCH_MATCH)
			got_match = (jd_rd_u32(&r), jd_rd_u64(&r) == id);
		else if (t == JD_EV_UNREGISTERED)
			got_unreg = jd_rd_u64(&r) == id;
	}
	CHECK(got_reg && got_match && got_unreg, "events: registered %d match %d unregistered %d", got_reg, got_match,
	      got_unreg);
	close(fd);
}

/* ---- rejections ---- */

static void reject_request_before_hello(void)
{
	int fd = dial();
	struct jd_link_hdr h;
	struct u64pair q = {0, 0, 1};
	CHECK(request(fd, JD_MSG_LIST, 1, fill_list, &q, &h) == JD_MSG_ERROR && error_code(&h) == JD_LINK_E_PROTOCOL, "error");
	CHECK(closed_by_server(fd), "closed");
	close(fd);
}

/* HELLO with versions vmin..vmax (no token); the fd, with the version agreed in *version. */
static int hello_versions(uint16_t vmin, uint16_t vmax, uint16_t *version)
{
	int fd = dial();
	struct jd_link_hdr h;
	struct jd_wbuf b = {0};
	size_t f = jd_wr_begin(&b, JD_MSG_HELLO, 1);
	jd_wr_u16(&b, vmin);
	jd_wr_u16(&b, vmax);
	jd_wr_str(&b, "", 0);
	jd_wr_end(&b, f);
	send_all(fd, b.p, b.len);
	jd_wr_free(&b);
	*version = 0;
	if (recv_frame(fd, &h, payload) == JD_MSG_HELLO_OK) {
		struct jd_rcur r = {payload, h.size, 0, 0};
		*version = jd_rd_u16(&r);
	}
	return fd;
}

/* Version 2 LIST entries end with the object's build-id (the one jd_object_build_id computes);
 * version 1 clients get version 1 entries, nothing after the first symbol. */
static void list_carries_build_ids_in_version_2(void)
{
	if (getenv("JITDEBUG_TOKEN"))
		return;
	uint64_t id = reg();
	uint8_t want[JD_BUILD_ID_MAX];
	uint32_t want_len = 0;
	CHECK(jd_object_build_id(proto.buf, proto.size, want, &want_len, NULL, 0) > 0, "build-id");
	for (uint16_t v = 1; v <= 2; v++) {
		uint16_t agreed;
		int fd = hello_versions(1, v, &agreed);
		CHECK(agreed == v, "asked 1..%u, agreed %u", v, agreed);
		struct jd_link_hdr h;
		struct u64pair q = {id - 1, 0, 1};
		CHECK(request(fd, JD_MSG_LIST, 2, fill_list, &q, &h) == JD_MSG_LIST_OK, "LIST");
		struct jd_rcur r = {payload, h.size, 0, 0};
		jd_rd_u64(&r);
		CHECK(jd_rd_u32(&r) == 1, "one entry");
		jd_rd_u8(&r);
		for (int k = 0; k < 4; k++)
			jd_rd_u64(&r);
		jd_rd_u32(&r);
		uint16_t n;
		jd_rd_str(&r, &n);
		if (v == 2) {
			uint8_t len = jd_rd_u8(&r);
			const uint8_t *got = jd_rd_bytes(&r, len);
			CHECK(!r.bad && len == want_len && got && memcmp(got, want, len) == 0, "version 2: build-id of %u bytes", len);
		}
		CHECK(!r.bad && r.off == r.len, "version %u: %zu bytes left after the entry", v, r.len - r.off);
		close(fd);
	}
	jd_unregister_object(id);
}

static void reject_bad_version(void)
{
	int fd = dial();
	struct jd_link_hdr h;
	struct jd_wbuf b = {0};
	size_t f = jd_wr_begin(&b, JD_MSG_HELLO, 1);
	jd_wr_u16(&b, JD_LINK_VERSION + 1);
	jd_wr_u16(&b, 9);
	jd_wr_str(&b, "", 0);
	jd_wr_end(&b, f);
	send_all(fd, b.p, b.len);
	jd_wr_free(&b);
	CHECK(recv_frame(fd, &h, payload) == JD_MSG_ERROR && error_code(&h) == JD_LINK_E_VERSION, "version error");
	CHECK(closed_by_server(fd), "closed");
	close(fd);
}

static void reject_unknown_request(void)
{
	int fd = hello();
	struct jd_link_hdr h;
	CHECK(request(fd, 0x33, 2, NULL, NULL, &h) == JD_MSG_ERROR && error_code(&h) == JD_LINK_E_UNKNOWN, "unknown");
	CHECK(closed_by_server(fd), "closed");
	close(fd);
}

static void reject_frame_over_limit(void)
{
	int fd = dial();
	uint8_t hdr[JD_LINK_HDR_SIZE];
	jd_link_put_hdr(hdr, JD_MSG_HELLO, 1, JD_LINK_MAX_FRAME_PREAUTH + 1); /* before HELLO: 4 KiB */
	send_all(fd, hdr, sizeof(hdr));
	struct jd_link_hdr h;
	CHECK(recv_frame(fd, &h, payload) == JD_MSG_ERROR && error_code(&h) == JD_LINK_E_PROTOCOL, "error");
	CHECK(closed_by_server(fd), "closed");
	close(fd);
	fd = hello();
	jd_link_put_hdr(hdr, JD_MSG_LIST, 2, 0xffffffffu); /* a 4 GiB length after HELLO */
	send_all(fd, hdr, sizeof(hdr));
	CHECK(recv_frame(fd, &h, payload) == JD_MSG_ERROR, "4 GiB length refused");
	CHECK(closed_by_server(fd), "closed");
	close(fd);
}

static void reject_nonzero_reserved_fields(void)
{
	int fd = hello();
	uint8_t hdr[JD_LINK_HDR_SIZE];
	jd_link_put_hdr(hdr, JD_MSG_LIST, 2, 0);
	hdr[6] = 1; /* flags */
	send_all(fd, hdr, sizeof(hdr));
	struct jd_link_hdr h;
	CHECK(recv_frame(fd, &h, payload) == JD_MSG_ERROR, "flags refused");
	close(fd);
}

static void short_frame_waits_for_the_rest(void)
{
	int fd = dial();
	struct jd_wbuf b = {0};
	size_t f = jd_wr_begin(&b, JD_MSG_HELLO, 1);
	fill_hello(&b, NULL);
	jd_wr_end(&b, f);
	send_all(fd, b.p, 10); /* part of the header */
	struct jd_link_hdr h;
	struct pollfd p = {fd, POLLIN, 0};
	CHECK(poll(&p, 1, 300) == 0, "no answer to a partial frame");
	send_all(fd, b.p + 10, b.len - 10);
	CHECK(recv_frame(fd, &h, payload) == JD_MSG_HELLO_OK, "completed frame answered");
	jd_wr_free(&b);
	close(fd);
}

static void reject_malformed_payload(void)
{
	int fd = hello();
	struct jd_link_hdr h;
	CHECK(request(fd, JD_MSG_FETCH, 3, fill_u32, &(uint32_t){1}, &h) == JD_MSG_ERROR, "short FETCH payload");
	CHECK(closed_by_server(fd), "closed");
	close(fd);
}

static void token_is_required_when_set(void)
{
	if (!*token)
		return;
	int fd = dial();
	struct jd_link_hdr h;
	CHECK(request(fd, JD_MSG_HELLO, 1, fill_hello, "wrong-token", &h) == JD_MSG_ERROR && error_code(&h) == JD_LINK_E_TOKEN,
	      "wrong token refused");
	CHECK(closed_by_server(fd), "closed");
	close(fd);
	fd = dial();
	CHECK(request(fd, JD_MSG_HELLO, 1, fill_hello, "", &h) == JD_MSG_ERROR, "missing token refused");
	close(fd);
	fd = hello();
	CHECK(fd >= 0, "right token accepted");
	close(fd);
}

/* ---- hostile clients ---- */

static int fetch_errors, fetches;

static void *registrar(void *arg)
{
	(void)arg;
	while (!stop_threads) {
		uint64_t id = reg();
		jd_unregister_object(id);
	}
	return NULL;
}

static void *fetcher(void *arg)
{
	(void)arg;
	int fd = hello();
	uint8_t *buf = malloc((1 << 20) + 64);
	for (int i = 0; fd >= 0 && i < 50; i++) {
		uint64_t id = reg();
		struct jd_wbuf b = {0};
		size_t f = jd_wr_begin(&b, JD_MSG_FETCH, 1);
		jd_wr_u64(&b, id);
		jd_wr_u64(&b, 0);
		jd_wr_u32(&b, 1 << 20);
		jd_wr_end(&b, f);
		send_all(fd, b.p, b.len);
		jd_wr_free(&b);
		struct jd_link_hdr h;
		int t = recv_frame(fd, &h, buf);
		__atomic_add_fetch(t == JD_MSG_FETCH_OK ? &fetches : &fetch_errors, 1, __ATOMIC_RELAXED);
		jd_unregister_object(id);
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void hostile_clients_do_not_stop_registration(void)
{
	long rss0 = rss_kb();
	struct jd_hooks_stats s0 = {.sz = sizeof(s0)}, s1 = {.sz = sizeof(s1)};
	jd_hooks_stats(&s0);
	/* silent, garbage, 4 GiB length, and a subscriber that never reads */
	int silent = dial(), garbage = dial(), huge = dial(), deaf = hello();
	send_all(garbage, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	uint8_t hdr[JD_LINK_HDR_SIZE];
	jd_link_put_hdr(hdr, JD_MSG_HELLO, 1, 0xffffffffu);
	send_all(huge, hdr, sizeof(hdr));
	struct jd_wbuf b = {0};
	size_t f = jd_wr_begin(&b, JD_MSG_SUBSCRIBE, 2);
	jd_wr_u32(&b, 1);
	jd_wr_end(&b, f);
	send_all(deaf, b.p, b.len);
	jd_wr_free(&b);
	int rcv = 4096;
	setsockopt(deaf, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));

	pthread_t reg_th[4], fetch_th[64];
	stop_threads = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&reg_th[i], NULL, registrar, NULL);
	for (int i = 0; i < 64; i++)
		pthread_create(&fetch_th[i], NULL, fetcher, NULL);
	for (int i = 0; i < 64; i++)
		pthread_join(fetch_th[i], NULL);
	stop_threads = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(reg_th[i], NULL);
	jd_hooks_stats(&s1);
	CHECK(fetches >= 60 * 50 && fetch_errors <= 4 * 50, "fetches %d, errors %d", fetches, fetch_errors);
	CHECK(s1.registered - s0.registered > 64 * 50, "registration went on: %llu",
	      (unsigned long long)(s1.registered - s0.registered));
	CHECK(closed_by_server(garbage) && closed_by_server(huge), "garbage and 4 GiB clients dropped");
	long rss1 = rss_kb();
	CHECK(rss1 - rss0 < 200 * 1024, "memory bounded: RSS grew %ld kB", rss1 - rss0);
	int fd = hello();
	CHECK(fd >= 0, "the server still answers");
	close(fd);
	close(silent);
	close(garbage);
	close(huge);
	close(deaf);
}


/* ---- attacks, one test per class (docs/protocol.md, "Limits"; ctest sets 1 s idle and frame
 * timeouts) ---- */


static struct jd_hooks_stats hooks_stats(void)
{
	struct jd_hooks_stats s = {.sz = sizeof(s)};
	jd_hooks_stats(&s);
	return s;
}

/* An ERROR frame with that code arrives (events skipped), within 3 s. */
static int gets_error(int fd, uint16_t code)
{
	static uint8_t buf[(1 << 20) + 64];
	struct jd_link_hdr h;
	for (int i = 0; i < 100; i++) {
		int t = recv_frame_into(fd, &h, buf, sizeof(buf));
		if (t < 0)
			return 0;
		if (t == JD_MSG_ERROR) {
			struct jd_rcur r = {buf, h.size, 0, 0};
			return jd_rd_u16(&r) == code;
		}
	}
	return 0;
}

/* A client that always leaves replies unread while reading steadily: before, the server kept every
 * byte it had sent until its queue drained once, which never happened, and grew without bound. The
 * client keeps more requests outstanding than the kernel's socket buffers hold, so some replies
 * always wait in the server. */
static void slow_reader_memory_is_bounded(void)
{
	enum { OBJECTS = 1500, DEPTH = 100, ROUNDS = 600 };
	static uint64_t ids[OBJECTS];
	static uint8_t buf[(1 << 20) + 64];
	for (int i = 0; i < OBJECTS; i++)
		ids[i] = reg();
	int fd = hello();
	long rss0 = rss_kb();
	struct u64pair q = {0, 0, 0};
	for (int k = 0; k < DEPTH; k++)
		send_frame(fd, JD_MSG_LIST, (uint32_t)k, fill_list, &q);
	int served = 0;
	for (int round = 0; round < ROUNDS + DEPTH; round++) {
		struct jd_link_hdr h;
		if (recv_frame_into(fd, &h, buf, sizeof(buf)) != JD_MSG_LIST_OK)
			break;
		served++;
		if (round < ROUNDS)
			send_frame(fd, JD_MSG_LIST, (uint32_t)(DEPTH + round), fill_list, &q);
	}
	long rss1 = rss_kb();
	CHECK(served == ROUNDS + DEPTH, "every reply arrived: %d of %d", served, ROUNDS + DEPTH);
	CHECK(rss1 - rss0 < 24 * 1024, "server memory bounded while it reads steadily: RSS grew %ld kB", rss1 - rss0);
	close(fd);
	for (int i = 0; i < OBJECTS; i++)
		jd_unregister_object(ids[i]);
}

/* 64 authenticated clients that do nothing: a 65th (a debugger) still gets in, the longest-idle one is
 * told why it is closed, and idle clients are closed after the idle timeout with an ERROR. */
static void idle_holders_cannot_lock_out_a_debugger(void)
{
	int fds[64], n = 0;
	struct jd_hooks_stats s0 = hooks_stats();
	for (int i = 0; i < 64; i++)
		if ((fds[n] = hello()) >= 0)
			n++;
	CHECK(n >= 60, "%d idle clients connected", n);
	int dbg = hello();
	CHECK(dbg >= 0, "a new client gets a slot while 64 idle ones hold them");
	struct u64pair q = {0, 0, 1};
	struct jd_link_hdr h;
	CHECK(dbg >= 0 && request(dbg, JD_MSG_LIST, 9, fill_list, &q, &h) == JD_MSG_LIST_OK, "and is served");
	CHECK(gets_error(fds[0], JD_LINK_E_LIMIT) && closed_by_server(fds[0]), "the longest-idle one got ERROR and was closed");
	int closed = 0;
	for (int i = 1; i < n; i++)
		closed += gets_error(fds[i], JD_LINK_E_LIMIT) && closed_by_server(fds[i]);
	CHECK(closed == n - 1, "idle clients are closed with ERROR after the idle timeout: %d of %d", closed, n - 1);
	struct jd_hooks_stats s1 = hooks_stats();
	CHECK(s1.link_evicted > s0.link_evicted && s1.link_timed_out >= s0.link_timed_out + (uint64_t)(n - 1),
	      "counted: evicted +%llu, timed out +%llu", (unsigned long long)(s1.link_evicted - s0.link_evicted),
	      (unsigned long long)(s1.link_timed_out - s0.link_timed_out));
	for (int i = 0; i < n; i++)
		close(fds[i]);
	if (dbg >= 0)
		close(dbg);
}

/* Connections that never say HELLO: past 16 at once they are refused at once, with an ERROR. */
static void preauth_flood_is_refused_with_an_error(void)
{
	int fds[24], refused = 0;
	struct jd_hooks_stats s0 = hooks_stats();
	for (int i = 0; i < 24; i++) {
		fds[i] = dial();
		usleep(2000);
	}
	for (int i = 16; i < 24; i++)
		refused += fds[i] >= 0 && gets_error(fds[i], JD_LINK_E_LIMIT);
	CHECK(refused == 8, "connections over the pre-HELLO limit get ERROR limit: %d of 8", refused);
	CHECK(hooks_stats().link_refused >= s0.link_refused + 8, "refusals are counted");
	for (int i = 0; i < 24; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	usleep(300000);
	int fd = hello();
	CHECK(fd >= 0, "a client gets in once they are gone");
	if (fd >= 0)
		close(fd);
}

/* Frames announced big and sent slowly: the server allocates only what arrived, and a frame not
 * completed within the frame timeout ends the connection with an ERROR. */
static void dripped_frames_time_out_and_cost_little(void)
{
	enum { N = 40 };
	int fds[N];
	long rss0 = rss_kb();
	for (int i = 0; i < N; i++) {
		fds[i] = hello();
		uint8_t hdr[JD_LINK_HDR_SIZE];
		jd_link_put_hdr(hdr, JD_MSG_LOOKUP_SYMBOL, 5, JD_LINK_MAX_FRAME);
		send_all(fds[i], hdr, sizeof(hdr));
		send_all(fds[i], "abcdefgh", 8);
	}
	usleep(200000);
	long rss1 = rss_kb();
	CHECK(rss1 - rss0 < 16 * 1024, "40 announced 1 MiB frames cost %ld kB, not 40 MiB", rss1 - rss0);
	for (int k = 0; k < 5; k++) { /* drip */
		for (int i = 0; i < N; i++)
			send_all(fds[i], "x", 1);
		usleep(100000);
	}
	int timed_out = 0;
	for (int i = 0; i < N; i++)
		timed_out += gets_error(fds[i], JD_LINK_E_LIMIT) && closed_by_server(fds[i]);
	CHECK(timed_out == N, "dripping clients get ERROR and are closed: %d of %d", timed_out, N);
	for (int i = 0; i < N; i++)
		close(fds[i]);
}

/* A watch belongs to the connection that set it: when that client leaves and another connection
 * takes its slot, a later match must not reach the newcomer (who has not even said HELLO). Threads
 * register matching objects all along, so matches race with the leaving and the arriving. */
static void *matching_registrar(void *arg)
{
	(void)arg;
	while (!stop_threads)
		jd_unregister_object(reg());
	return NULL;
}

static void watch_match_reaches_only_its_connection(void)
{
	int leaked = 0;
	pthread_t th[3];
	stop_threads = 0;
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, matching_registrar, NULL);
	for (int round = 0; round < 150; round++) {
		int a = hello();
		struct jd_link_hdr h;
		if (a < 0 || request(a, JD_MSG_WATCH, 1, fill_watch, "jd_func", &h) != JD_MSG_OK) {
			CHECK(0, "watch set in round %d", round);
			if (a >= 0)
				close(a);
			break;
		}
		close(a);
		int b = dial();
		struct pollfd p = {b, POLLIN, 0};
		if (poll(&p, 1, 30) > 0) {
			uint8_t x[64];
			leaked += recv(b, x, sizeof(x), MSG_DONTWAIT) > 0;
		}
		close(b);
	}
	stop_threads = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	CHECK(leaked == 0, "a match reached another connection in %d of 150 rounds", leaked);
}

static void fill_watch_raw(struct jd_wbuf *b, void *ctx)
{
	const char *const *p = ctx; /* {pattern, length as text} */
	size_t len = strtoul(p[1], NULL, 10);
	jd_wr_u8(b, 1);
	jd_wr_u16(b, (uint16_t)len);
	jd_wr_bytes(b, p[0], len);
}

static int watch_reply(int fd, const char *pattern, size_t len, uint16_t *code)
{
	char lens[16];
	snprintf(lens, sizeof(lens), "%zu", len);
	const char *ctx[2] = {pattern, lens};
	struct jd_link_hdr h;
	int t = request(fd, JD_MSG_WATCH, 3, fill_watch_raw, ctx, &h);
	if (t == JD_MSG_ERROR)
		*code = error_code(&h);
	return t;
}

/* Watches are capped per client and in all, patterns are capped in length, NUL is refused; each
 * refusal is an ERROR that leaves the connection open, and matching still works beside them. */
static void watches_are_bounded(void)
{
	static char big[300];
	memset(big, 'a', sizeof(big));
	int fd = hello();
	uint16_t code = 0;
	CHECK(watch_reply(fd, big, 248, &code) == JD_MSG_ERROR && code == JD_LINK_E_LIMIT, "248-byte pattern refused");
	CHECK(watch_reply(fd, "jd_\0func", 8, &code) == JD_MSG_ERROR && code == JD_LINK_E_PROTOCOL, "NUL refused");
	int ok = 0;
	for (int i = 0; i < 16; i++) {
		char pat[32];
		snprintf(pat, sizeof(pat), "f%d", i);
		ok += watch_reply(fd, pat, strlen(pat), &code) == JD_MSG_OK;
	}
	CHECK(ok == 16, "16 watches per client: %d", ok);
	CHECK(watch_reply(fd, "f16", 3, &code) == JD_MSG_ERROR && code == JD_LINK_E_LIMIT, "the 17th refused");
	/* 256 in all: 15 more clients with 16 each fill the table */
	int others[16], n = 0, filled = 0;
	for (int c = 0; c < 15; c++) {
		if ((others[n] = hello()) < 0)
			continue;
		for (int i = 0; i < 16; i++)
			filled += watch_reply(others[n], big, 247, &code) == JD_MSG_OK;
		n++;
	}
	CHECK(filled == 240, "240 long watches from 15 clients: %d", filled);
	others[n] = hello();
	CHECK(others[n] >= 0 && watch_reply(others[n], "jd_func", 7, &code) == JD_MSG_ERROR && code == JD_LINK_E_LIMIT,
	      "the 257th refused");
	n++;
	struct u64pair q = {0, 0, 1};
	struct jd_link_hdr h;
	CHECK(request(fd, JD_MSG_LIST, 4, fill_list, &q, &h) == JD_MSG_LIST_OK, "refusals leave the connection open");
	for (int i = 0; i < n; i++)
		close(others[i]);
	close(fd);
	usleep(300000); /* the server drops their watches */
	int w = hello();
	CHECK(w >= 0 && watch_reply(w, "jd_func", 7, &code) == JD_MSG_OK, "room again once they left");
	uint32_t on = 1;
	CHECK(request(w, JD_MSG_SUBSCRIBE, 5, fill_u32, &on, &h) == JD_MSG_OK, "subscribe");
	uint64_t id = reg();
	int matched = 0;
	for (int i = 0; i < 10 && !matched; i++)
		matched = recv_frame(w, &h, payload) == JD_EV_WATCH_MATCH;
	CHECK(matched, "a registration still matches");
	jd_unregister_object(id);
	close(w);
}

struct flood {
	int fd, replies, bad;
	uint32_t expect;
};

static void *lookup_flood(void *arg)
{
	struct flood *f = arg;
	static uint8_t buf[(1 << 20) + 64];
	for (int round = 0; round < 20; round++) {
		for (int k = 0; k < 10; k++)
			send_frame(f->fd, JD_MSG_LOOKUP_SYMBOL, (uint32_t)k, fill_name, "jd_func");
		for (int k = 0; k < 10; k++) {
			struct jd_link_hdr h;
			int t = recv_frame_into(f->fd, &h, buf, sizeof(buf));
			if (t != JD_MSG_LOOKUP_OK) {
				f->bad++;
				continue;
			}
			struct jd_rcur r = {buf, h.size, 0, 0};
			f->bad += jd_rd_u32(&r) < f->expect;
			f->replies++;
		}
	}
	return NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A pipelined LOOKUP_SYMBOL flood over 2,000 objects while objects register: every lookup is answered
 * correctly and every registration completes (the lookups parse held objects outside the registry
 * lock; bench/link_bench.sh measures the latency). */
static void lookup_flood_is_answered_while_objects_register(void)
{
	enum { LIVE = 2000 };
	static uint64_t ids[LIVE];
	for (int i = 0; i < LIVE; i++)
		ids[i] = reg();
	struct flood f = {.fd = hello(), .expect = LIVE};
	pthread_t th;
	pthread_create(&th, NULL, lookup_flood, &f);
	uint64_t worst = 0;
	int failed = 0;
	for (int i = 0; i < 2000; i++) {
		uint64_t t0 = mono_ns(), id;
		failed += jd_register_object(proto.buf, proto.size, NULL, &id) != 0;
		uint64_t dt = mono_ns() - t0;
		worst = dt > worst ? dt : worst;
		jd_unregister_object(id);
	}
	pthread_join(th, NULL);
	CHECK(failed == 0, "registrations failed: %d", failed);
	CHECK(f.replies == 200 && f.bad == 0, "lookups answered: %d, wrong %d", f.replies, f.bad);
	printf("  (registration under the lookup flood: worst %.3f ms)\n", (double)worst / 1e6);
	close(f.fd);
	for (int i = 0; i < LIVE; i++)
		jd_unregister_object(ids[i]);
}

/* Subscribers that never read, at the subscriber limit, while objects register fast: each would stay
 * under its own 4 MiB, but together they pass the 32 MiB bound on all unsent output, and the server
 * drops clients rather than grow. */
static void deaf_subscribers_are_bounded_in_all(void)
{
	int fds[32], n = 0;
	struct jd_link_hdr h;
	uint32_t on = 1;
	for (int i = 0; i < 32; i++) {
		int fd = hello();
		int rcv = 4096;
		if (fd < 0 || (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)), 0) ||
		    request(fd, JD_MSG_SUBSCRIBE, 2, fill_u32, &on, &h) != JD_MSG_OK) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		fds[n++] = fd;
	}
	CHECK(n == 32, "32 subscribers: %d", n);
	struct jd_hooks_stats s0 = hooks_stats();
	long rss0 = rss_kb();
	for (int i = 0; i < 150000; i++) /* two events each, to every subscriber: ~18 MB each, past what */
		jd_unregister_object(reg()); /* the kernel's socket buffers and a client's 4 MiB can take */
	long rss1 = rss_kb();
	struct jd_hooks_stats s1 = hooks_stats();
	uint64_t dropped = (s1.link_overflowed - s0.link_overflowed) + (s1.link_timed_out - s0.link_timed_out);
	CHECK(dropped > 0, "deaf subscribers were dropped (over the bound, or not reading for 1 s): %llu",
	      (unsigned long long)dropped);
	CHECK(rss1 - rss0 < 48 * 1024, "unsent output bounded in all: RSS grew %ld kB", rss1 - rss0);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	usleep(300000);
}

static void wbuf_refuses_overflowing_sizes(void)
{
	struct jd_wbuf b = {0};
	jd_wr_u64(&b, 1);
	CHECK(jd_wr_reserve(&b, SIZE_MAX - 4) == NULL && b.oom, "a size that wraps fails like an allocation");
	jd_wr_free(&b);
	CHECK(jd_wr_reserve(&b, JD_WBUF_MAX + 1) == NULL && b.oom, "a size past the limit fails");
	jd_wr_free(&b);
	CHECK(jd_wr_reserve(&b, 100) != NULL && !b.oom && b.len == 100, "an ordinary size works");
	jd_wr_free(&b);
}

int main(void)
{
	alarm(170); /* a hang is a failure with a name, not a CI time-out */
	const char *t = getenv("JITDEBUG_TOKEN");
	if (t)
		token = t;
	if (!jitdebug_link_address[0]) {
		printf("the link server did not start (JITDEBUG_LISTEN unset?)\n0 passed, 1 failed\n");
		return 1;
	}
	eb_build(&proto, 0x7f0000001000);
	eb_shdr(&proto, EB_BSS)->sh_size = 0;
	RUN(hello_ok_reports_pid_and_version);
	RUN(token_is_required_when_set);
	if (*token)
		return check_report(); /* the token run checks the handshake only */
	RUN(list_pages_by_id);
	RUN(fetch_whole_object_in_chunks);
	RUN(fetch_past_end_and_unregistered_id);
	RUN(lookups_by_address_and_symbol);
	RUN(lookup_addr_by_the_index);
	RUN(subscribe_and_watch_events);
	RUN(reject_request_before_hello);
	RUN(reject_bad_version);
	RUN(list_carries_build_ids_in_version_2);
	RUN(reject_unknown_request);
	RUN(reject_frame_over_limit);
	RUN(reject_nonzero_reserved_fields);
	RUN(short_frame_waits_for_the_rest);
	RUN(reject_malformed_payload);
	RUN(hostile_clients_do_not_stop_registration);
	RUN(wbuf_refuses_overflowing_sizes);
	RUN(slow_reader_memory_is_bounded);
	RUN(deaf_subscribers_are_bounded_in_all);
	RUN(preauth_flood_is_refused_with_an_error);
	RUN(dripped_frames_time_out_and_cost_little);
	RUN(watch_match_reaches_only_its_connection);
	RUN(watches_are_bounded);
	RUN(lookup_flood_is_answered_while_objects_register);
	RUN(idle_holders_cannot_lock_out_a_debugger);
	return check_report();
}
