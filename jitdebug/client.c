/* client.c — the debug link client (docs/protocol.md).
 *
 * Requests are synchronous: send one frame, read frames until the reply with the same seq; events
 * that arrive meanwhile are queued (at most EVQ of them; older ones are dropped and counted).
 * Everything read from the server goes through the bounded cursor of protocol.c, and a reply's size
 * is checked against the frame limit before anything is allocated. */
#include "jitdebug.h"
#include "opts.h"
#include "protocol.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { EVQ = 4096 };

struct jd_client {
	int fd;
	int timeout_ms;
	uint32_t seq;
	struct jd_link_info info;
	char err[256];
	struct jd_link_event *evq;
	size_t ev_head, ev_count;
	uint64_t ev_dropped;
	uint8_t *frame; /* the last frame read: header + payload */
	size_t frame_cap;
};

static int fail(struct jd_client *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct jd_client *c, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return err;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads exactly n bytes before the deadline (ms since boot; 0: none). */
static int read_full(struct jd_client *c, uint8_t *p, size_t n, uint64_t deadline)
{
	while (n > 0) {
		int wait = -1;
		if (deadline) {
			uint64_t t = now_ms();
			if (t >= deadline)
				return -ETIMEDOUT;
			wait = (int)(deadline - t);
		}
		struct pollfd pfd = {c->fd, POLLIN, 0};
		int pr = poll(&pfd, 1, wait);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			return -ETIMEDOUT;
		ssize_t r = recv(c->fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ECONNRESET;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int send_frame(struct jd_client *c, const struct jd_wbuf *b)
{
	if (b->oom)
		return fail(c, -ENOMEM, "out of memory");
	size_t off = 0;
	while (off < b->len) {
		ssize_t w = send(c->fd, b->p + off, b->len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail(c, -ECONNRESET, "connection lost while sending");
		off += (size_t)w;
	}
	return 0;
}

static void queue_event(struct jd_client *c, const struct jd_link_hdr *h, struct jd_rcur *r)
{
	struct jd_link_event ev = {0};
	uint16_t n = 0;
	const char *s;
	switch (h->type) {
	case JD_EV_REGISTERED:
		ev.type = JD_LINK_EV_REGISTERED;
		ev.id = jd_rd_u64(r);
		ev.lo = jd_rd_u64(r);
		ev.hi = jd_rd_u64(r);
		ev.size = jd_rd_u64(r);
		s = jd_rd_str(r, &n);
		if (s)
			snprintf(ev.first_symbol, sizeof(ev.first_symbol), "%.*s", (int)n, s);
		break;
	case JD_EV_UNREGISTERED:
		ev.type = JD_LINK_EV_UNREGISTERED;
		ev.id = jd_rd_u64(r);
		break;
	case JD_EV_WATCH_MATCH:
		ev.type = JD_LINK_EV_WATCH_MATCH;
		ev.watch_id = jd_rd_u32(r);
		ev.id = jd_rd_u64(r);
		break;
	default:
		return;
	}
	if (r->bad)
		return;
	if (c->ev_count == EVQ) { /* drop the oldest */
		c->ev_head = (c->ev_head + 1) % EVQ;
		c->ev_count--;
		c->ev_dropped++;
	}
	c->evq[(c->ev_head + c->ev_count) % EVQ] = ev;
	c->ev_count++;
}

/* Reads one frame into c->frame. */
static int read_frame(struct jd_client *c, struct jd_link_hdr *h, uint64_t deadline)
{
	uint8_t hdr[JD_LINK_HDR_SIZE];
	int err = read_full(c, hdr, sizeof(hdr), deadline);
	if (err)
		return fail(c, err, err == -ETIMEDOUT ? "no answer from the server in time" : "the server closed the connection");
	const char *why = "";
	if (jd_link_parse(hdr, sizeof(hdr), JD_LINK_MAX_FRAME + 64, h, &why) < 0)
		return fail(c, -EPROTO, "malformed frame from the server: %s", why);
	size_t need = JD_LINK_HDR_SIZE + h->size;
	if (c->frame_cap < need) {
		uint8_t *np = realloc(c->frame, need);
		if (!np)
			return fail(c, -ENOMEM, "out of memory");
		c->frame = np;
		c->frame_cap = need;
	}
	memcpy(c->frame, hdr, sizeof(hdr));
	err = read_full(c, c->frame + JD_LINK_HDR_SIZE, h->size, deadline);
	if (err)
		return fail(c, err, "connection lost mid-frame");
	return 0;
}

static int map_error(struct jd_client *c, struct jd_rcur *r)
{
	uint16_t code = jd_rd_u16(r), n = 0;
	const char *msg = jd_rd_str(r, &n);
	snprintf(c->err, sizeof(c->err), "%.*s", msg ? (int)n : 0, msg ? msg : "");
	switch (code) {
	case JD_LINK_E_VERSION:
		return -EPROTONOSUPPORT;
	case JD_LINK_E_TOKEN:
		return -EACCES;
	case JD_LINK_E_NO_OBJECT:
		return -ENOENT;
	case JD_LINK_E_RANGE:
		return -ERANGE;
	case JD_LINK_E_LIMIT:
		return -ENOSPC;
	default:
		return -EPROTO;
	}
}

/* Sends the request in b (built with jd_wr_begin(type, seq)) and waits for its reply of `want` type;
 * on success *r reads the reply's payload (valid until the next call). */
static int call(struct jd_client *c, struct jd_wbuf *b, uint32_t seq, uint16_t want, struct jd_rcur *r)
{
	int err = send_frame(c, b);
	jd_wr_free(b);
	if (err)
		return err;
	uint64_t deadline = now_ms() + (uint64_t)c->timeout_ms;
	for (;;) {
		struct jd_link_hdr h;
		if ((err = read_frame(c, &h, deadline)))
			return err;
		*r = (struct jd_rcur){c->frame + JD_LINK_HDR_SIZE, h.size, 0, 0};
		if (h.type >= JD_EV_REGISTERED) {
			queue_event(c, &h, r);
			continue;
		}
		if (h.type == JD_MSG_ERROR && (h.seq == seq || h.seq == 0))
			return map_error(c, r); /* seq 0: the server's own notice (refused, timed out) before it closes */
		if (h.seq != seq)
			return fail(c, -EPROTO, "reply for request %u while waiting for %u", h.seq, seq);
		if (h.type != want)
			return fail(c, -EPROTO, "unexpected reply type 0x%x", h.type);
		return 0;
	}
}

struct jd_client *jd_client_connect(const char *hostport, const struct jd_client_opts *opts, char *errbuf, size_t errlen)
{
	struct jd_client *c = calloc(1, sizeof(*c));
	char host[256];
	int err = 0;
	if (!c || !(c->evq = calloc(EVQ, sizeof(*c->evq)))) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = -1;
	if (!JD_OPTS_VALID(opts, sizeof(size_t))) {
		err = fail(c, -EINVAL, "options struct with fields this library does not know");
		goto out;
	}
	c->timeout_ms = JD_OPTS_GET(opts, timeout_ms, 0) > 0 ? opts->timeout_ms : 10000;
	uint16_t port = 0;
	char why[192] = "", service[8];
	if (jd_parse_hostport(hostport, host, sizeof(host), &port, why, sizeof(why)) != 0 || port == 0) {
		err = fail(c, -EINVAL, "%s", why[0] ? why : "port 0 names no server");
		goto out;
	}
	snprintf(service, sizeof(service), "%u", port);
	int attempt = 0;
retry:;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
	int gai = getaddrinfo(host[0] ? host : "127.0.0.1", service, &hints, &res);
	if (gai) {
		err = fail(c, -EINVAL, "cannot resolve %s: %s", hostport, gai_strerror(gai));
		goto out;
	}
	int last = ECONNREFUSED;
	for (struct addrinfo *a = res; a && c->fd < 0; a = a->ai_next) {
		c->fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd >= 0 && connect(c->fd, a->ai_addr, a->ai_addrlen) != 0) {
			last = errno;
			close(c->fd);
			c->fd = -1;
		}
	}
	freeaddrinfo(res);
	if (c->fd < 0) {
		err = fail(c, -last, "cannot connect to %s: %s", hostport, strerror(last));
		goto out;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	const char *tok = JD_OPTS_GET(opts, token, NULL) ? opts->token : "";
	struct jd_wbuf b = {0};
	uint32_t seq = ++c->seq;
	size_t f = jd_wr_begin(&b, JD_MSG_HELLO, seq);
	jd_wr_u16(&b, JD_LINK_VERSION_MIN);
	jd_wr_u16(&b, JD_LINK_VERSION);
	jd_wr_str(&b, tok, strlen(tok));
	jd_wr_end(&b, f);
	struct jd_rcur r;
	if ((err = call(c, &b, seq, JD_MSG_HELLO_OK, &r)) == -ENOSPC && attempt < 4) {
		/* Refused for room (too many connections before HELLO, or no slot): try again shortly. */
		close(c->fd);
		c->fd = -1;
		struct timespec ts = {0, (long)(25000000L << attempt++)};
		nanosleep(&ts, NULL);
		goto retry;
	}
	if (err)
		goto out;
	c->info.version = jd_rd_u16(&r);
	c->info.gdb_mode = jd_rd_u16(&r);
	c->info.pid = jd_rd_u32(&r);
	c->info.machine = jd_rd_u16(&r);
	jd_rd_u16(&r);
	c->info.generation = jd_rd_u64(&r);
	jd_rd_u32(&r);
	uint16_t n;
	const char *triple = jd_rd_str(&r, &n);
	if (r.bad || c->info.version < JD_LINK_VERSION_MIN || c->info.version > JD_LINK_VERSION) {
		err = fail(c, -EPROTO, "malformed HELLO reply (or version %u, not 1 or 2)", (unsigned)c->info.version);
		goto out;
	}
	snprintf(c->info.triple, sizeof(c->info.triple), "%.*s", (int)n, triple);
	if (JD_OPTS_GET(opts, expect_pid, 0) && c->info.pid != opts->expect_pid)
		err = fail(c, -ESRCH,
			   "the link at %s is served by process %" PRIu32 ", not %" PRIu32
			   " (a forked child inherited its parent's address, or the address is stale)",
			   hostport, c->info.pid, opts->expect_pid);
out:
	if (err) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "%s", c->err);
		jd_client_close(c);
		errno = -err;
		return NULL;
	}
	return c;
}

void jd_client_close(struct jd_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->evq);
	free(c->frame);
	free(c);
}

const struct jd_link_info *jd_client_info(const struct jd_client *c) { return &c->info; }

static int client_list(struct jd_client *c, uint64_t after_id, jd_link_object_fn fn, void *ctx)
{
	for (;;) {
		struct jd_wbuf b = {0};
		uint32_t seq = ++c->seq;
		size_t f = jd_wr_begin(&b, JD_MSG_LIST, seq);
		jd_wr_u64(&b, after_id);
		jd_wr_u32(&b, 0);
		jd_wr_end(&b, f);
		struct jd_rcur r;
		int err = call(c, &b, seq, JD_MSG_LIST_OK, &r);
		if (err)
			return err;
		c->info.generation = jd_rd_u64(&r);
		uint32_t count = jd_rd_u32(&r);
		uint8_t more = jd_rd_u8(&r);
		for (uint32_t i = 0; i < count && !r.bad; i++) {
			struct jd_link_object o = {0};
			uint16_t n;
			o.id = jd_rd_u64(&r);
			o.lo = jd_rd_u64(&r);
			o.hi = jd_rd_u64(&r);
			o.size = jd_rd_u64(&r);
			o.flags = jd_rd_u32(&r);
			const char *s = jd_rd_str(&r, &n);
			if (r.bad)
				break;
			snprintf(o.first_symbol, sizeof(o.first_symbol), "%.*s", (int)n, s);
			if (c->info.version >= 2) {
				uint8_t len = jd_rd_u8(&r);
				const uint8_t *id = len <= JD_BUILD_ID_MAX ? jd_rd_bytes(&r, len) : NULL;
				if (r.bad || !id)
					return fail(c, -EPROTO, "malformed LIST reply: build-id of %u bytes", (unsigned)len);
				o.build_id_size = len;
				memcpy(o.build_id, id, len);
			}
			if (o.id <= after_id) /* ids only grow: a server that repeats one would page forever */
				return fail(c, -EPROTO, "malformed LIST reply: object id %llu after %llu",
					    (unsigned long long)o.id, (unsigned long long)after_id);
			after_id = o.id;
			if (fn(&o, ctx))
				return 0;
		}
		if (r.bad)
			return fail(c, -EPROTO, "malformed LIST reply");
		if (!more || count == 0)
			return 0;
	}
}

static int client_fetch(struct jd_client *c, uint64_t id, uint8_t **data, size_t *size)
{
	uint8_t *buf = NULL;
	uint64_t total = 0, off = 0;
	do {
		struct jd_wbuf b = {0};
		uint32_t seq = ++c->seq;
		size_t f = jd_wr_begin(&b, JD_MSG_FETCH, seq);
		jd_wr_u64(&b, id);
		jd_wr_u64(&b, off);
		jd_wr_u32(&b, JD_LINK_MAX_CHUNK);
		jd_wr_end(&b, f);
		struct jd_rcur r;
		int err = call(c, &b, seq, JD_MSG_FETCH_OK, &r);
		if (err) {
			free(buf);
			return err;
		}
		uint64_t rid = jd_rd_u64(&r), osize = jd_rd_u64(&r), roff = jd_rd_u64(&r);
		uint32_t len = jd_rd_u32(&r);
		const uint8_t *bytes = jd_rd_bytes(&r, len);
		if (r.bad || rid != id || roff != off || (buf && osize != total) || osize > JD_MAX_OBJECT_SIZE ||
		    len > osize - off || (len == 0 && off < osize)) { /* no object is larger: a bigger size is a lie */
			free(buf);
			return fail(c, -EPROTO, "malformed FETCH reply");
		}
		if (osize == 0) /* no object is empty (registration refuses one): nothing to hand out as one */
			return fail(c, -EPROTO, "malformed FETCH reply: the server sizes object %llu as 0 bytes",
				    (unsigned long long)id);
		if (!buf) {
			total = osize;
			if (!(buf = malloc(total ? total : 1)))
				return fail(c, -ENOMEM, "out of memory for %llu bytes", (unsigned long long)total);
		}
		memcpy(buf + off, bytes, len);
		off += len;
	} while (off < total);
	*data = buf;
	*size = total;
	return 0;
}

static int lookup(struct jd_client *c, struct jd_wbuf *b, uint32_t seq, uint64_t *ids, uint64_t *lo, uint64_t *hi,
		  size_t max, size_t *n)
{
	struct jd_rcur r;
	int err = call(c, b, seq, JD_MSG_LOOKUP_OK, &r);
	if (err)
		return err;
	uint32_t count = jd_rd_u32(&r);
	*n = 0;
	for (uint32_t i = 0; i < count && !r.bad; i++) {
		uint64_t id = jd_rd_u64(&r), l = jd_rd_u64(&r), h = jd_rd_u64(&r);
		if (!r.bad && *n < max) {
			ids[*n] = id;
			if (lo)
				lo[*n] = l, hi[*n] = h;
			(*n)++;
		}
	}
	return r.bad ? fail(c, -EPROTO, "malformed LOOKUP reply") : 0;
}

static int client_lookup_addr(struct jd_client *c, uint64_t addr, struct jd_link_object *out)
{
	struct jd_wbuf b = {0};
	uint32_t seq = ++c->seq;
	size_t f = jd_wr_begin(&b, JD_MSG_LOOKUP_ADDR, seq);
	jd_wr_u64(&b, addr);
	jd_wr_end(&b, f);
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	int err = lookup(c, &b, seq, &out->id, &out->lo, &out->hi, 1, &n);
	if (err)
		return err;
	return n ? 0 : fail(c, -ENOENT, "no JIT object covers 0x%llx", (unsigned long long)addr);
}

static int client_lookup_symbol(struct jd_client *c, const char *name, uint64_t *ids, size_t max, size_t *n)
{
	struct jd_wbuf b = {0};
	uint32_t seq = ++c->seq;
	size_t f = jd_wr_begin(&b, JD_MSG_LOOKUP_SYMBOL, seq);
	jd_wr_str(&b, name, strlen(name));
	jd_wr_end(&b, f);
	return lookup(c, &b, seq, ids, NULL, NULL, max, n);
}

static int simple(struct jd_client *c, struct jd_wbuf *b, uint32_t seq, uint32_t *value)
{
	struct jd_rcur r;
	int err = call(c, b, seq, JD_MSG_OK, &r);
	if (err)
		return err;
	uint32_t v = jd_rd_u32(&r);
	if (r.bad)
		return fail(c, -EPROTO, "malformed OK reply");
	if (value)
		*value = v;
	return 0;
}

static int client_subscribe(struct jd_client *c, int on)
{
	struct jd_wbuf b = {0};
	uint32_t seq = ++c->seq;
	size_t f = jd_wr_begin(&b, JD_MSG_SUBSCRIBE, seq);
	jd_wr_u32(&b, on ? 1 : 0);
	jd_wr_end(&b, f);
	return simple(c, &b, seq, NULL);
}

static int client_watch(struct jd_client *c, int kind, const char *pattern, uint32_t *watch_id)
{
	if ((kind != JD_WATCH_SYMBOL && kind != JD_WATCH_FILE) || !pattern || !*pattern)
		return fail(c, -EINVAL, "a watch needs a kind (JD_WATCH_SYMBOL or JD_WATCH_FILE) and a pattern");
	struct jd_wbuf b = {0};
	uint32_t seq = ++c->seq;
	size_t f = jd_wr_begin(&b, JD_MSG_WATCH, seq);
	jd_wr_u8(&b, (uint8_t)kind);
	jd_wr_str(&b, pattern, strlen(pattern));
	jd_wr_end(&b, f);
	return simple(c, &b, seq, watch_id);
}

static int client_next_event(struct jd_client *c, int timeout_ms, struct jd_link_event *ev)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : now_ms() + (uint64_t)timeout_ms;
	while (c->ev_count == 0) {
		struct jd_link_hdr h;
		int err = read_frame(c, &h, deadline);
		if (err)
			return err;
		struct jd_rcur r = {c->frame + JD_LINK_HDR_SIZE, h.size, 0, 0};
		if (h.type >= JD_EV_REGISTERED)
			queue_event(c, &h, &r);
		else if (h.type == JD_MSG_ERROR)
			return map_error(c, &r);
	}
	*ev = c->evq[c->ev_head];
	c->ev_head = (c->ev_head + 1) % EVQ;
	c->ev_count--;
	return 0;
}

/* ---- the public calls: each reports a failure's message through err/errlen ---------------------- */

static int report(const struct jd_client *c, int rc, char *err, size_t errlen)
{
	if (rc < 0 && err && errlen)
		snprintf(err, errlen, "%s", c->err);
	return rc;
}

int jd_client_list(struct jd_client *c, uint64_t after_id, jd_link_object_fn fn, void *ctx, char *err, size_t errlen)
{
	return report(c, client_list(c, after_id, fn, ctx), err, errlen);
}

int jd_client_fetch(struct jd_client *c, uint64_t id, uint8_t **data, size_t *size, char *err, size_t errlen)
{
	return report(c, client_fetch(c, id, data, size), err, errlen);
}

int jd_client_lookup_addr(struct jd_client *c, uint64_t addr, struct jd_link_object *out, char *err, size_t errlen)
{
	return report(c, client_lookup_addr(c, addr, out), err, errlen);
}

int jd_client_lookup_symbol(struct jd_client *c, const char *name, uint64_t *ids, size_t max, size_t *n, char *err, size_t errlen)
{
	return report(c, client_lookup_symbol(c, name, ids, max, n), err, errlen);
}

int jd_client_subscribe(struct jd_client *c, int on, char *err, size_t errlen)
{
	return report(c, client_subscribe(c, on), err, errlen);
}

int jd_client_watch(struct jd_client *c, int kind, const char *pattern, uint32_t *watch_id, char *err, size_t errlen)
{
	return report(c, client_watch(c, kind, pattern, watch_id), err, errlen);
}

int jd_client_next_event(struct jd_client *c, int timeout_ms, struct jd_link_event *ev, char *err, size_t errlen)
{
	return report(c, client_next_event(c, timeout_ms, ev), err, errlen);
}
