/* link.c — the debug link server (docs/protocol.md): one thread, non-blocking sockets, poll().
 *
 * Started by JITDEBUG_LISTEN=HOST:PORT when the hooks load (port 0 picks a free port). The address
 * is printed once to stderr and published in `jitdebug_link_address`, so an attached debugger can
 * find it. Loopback only unless JITDEBUG_TOKEN is set; the token is compared in constant time.
 *
 * Contract with the JIT: registration never waits for the network. Registration threads only append
 * event frames to client queues under `mu` (memory only) and wake the server through an eventfd; the
 * server thread does all I/O, never holds `mu` while taking the registry lock (lock order: registry,
 * then mu), and drops a client whose queue exceeds its limit. Object bytes are copied under the
 * registry lock, so an object unregistered meanwhile is never read after it is freed. A vanished
 * client cannot raise SIGPIPE (MSG_NOSIGNAL).
 */
#include "internal.h"

#include "../jitdebug/jitdebug.h"
#include "../jitdebug/protocol.h"
#include "../perfmap/perf-outputs.h"

#include <arpa/inet.h>
#include <elf.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	MAX_CLIENTS = 64,
	MAX_QUEUED = 4u << 20,
	HELLO_TIMEOUT_MS = 5000,
	MAX_WATCHES = 256,
	MAX_LIST = 20000,
	WRITE_SLICE = 256u << 10,
	WALK_CHUNK = 128, /* objects handled per registry-lock hold while serving LIST or LOOKUP_SYMBOL */
};

struct client {
	int fd; /* -1: free slot */
	int hello_done, subscribed, closing;
	uint64_t accepted_ms;
	uint8_t *in;
	size_t in_len, in_cap;
	struct jd_wbuf out; /* guarded by mu */
	size_t out_off;     /* guarded by mu */
};

struct watch {
	uint32_t id;
	int client;
	uint8_t kind; /* 1 symbol, 2 source file */
	char *pattern;
};

JD_HOOKS_API char jitdebug_link_address[128];

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct client clients[MAX_CLIENTS];
static struct watch watches[MAX_WATCHES];
static uint32_t next_watch_id = 1;
static _Atomic int running, n_subscribed, n_watches;
static _Atomic int wake_pending; /* an eventfd write is on its way: later events need no syscall */
static int lfd = -1, wfd = -1;
static char token[256];
static size_t token_len;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void wake(void)
{
	uint64_t one = 1;
	if (wfd >= 0 && !atomic_exchange(&wake_pending, 1) && write(wfd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the server is awake anyway */
	}
}

/* ---- queues (mu held) ---------------------------------------------------------------------- */

static void queue_locked(int ci, const struct jd_wbuf *frame)
{
	struct client *c = &clients[ci];
	if (c->fd < 0 || c->closing)
		return;
	if (frame->oom || c->out.len - c->out_off + frame->len > MAX_QUEUED) {
		c->closing = 2; /* too slow or stalled: drop it */
		return;
	}
	jd_wr_bytes(&c->out, frame->p, frame->len);
	if (c->out.oom)
		c->closing = 2;
}

static void queue(int ci, const struct jd_wbuf *frame)
{
	pthread_mutex_lock(&mu);
	queue_locked(ci, frame);
	pthread_mutex_unlock(&mu);
}

static void send_error(int ci, uint32_t seq, uint16_t code, const char *msg, int close_after)
{
	struct jd_wbuf b = {0};
	size_t f = jd_wr_begin(&b, JD_MSG_ERROR, seq);
	jd_wr_u16(&b, code);
	jd_wr_str(&b, msg, strlen(msg));
	jd_wr_end(&b, f);
	pthread_mutex_lock(&mu);
	queue_locked(ci, &b);
	if (close_after && !clients[ci].closing)
		clients[ci].closing = 1; /* after the error is flushed */
	pthread_mutex_unlock(&mu);
	jd_wr_free(&b);
}

/* ---- events from registration threads -------------------------------------------------------- */

/* Queues the frame to every subscribed client, wakes the server, frees the frame. */
static void broadcast(struct jd_wbuf *b)
{
	pthread_mutex_lock(&mu);
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && clients[i].subscribed)
			queue_locked(i, b);
	pthread_mutex_unlock(&mu);
	jd_wr_free(b);
	wake();
}

void jd_link_registered_locked(const struct jd_obj_view *v)
{
	if (!atomic_load_explicit(&n_subscribed, memory_order_relaxed))
		return;
	struct jd_wbuf b = {0};
	size_t f = jd_wr_begin(&b, JD_EV_REGISTERED, 0);
	jd_wr_u64(&b, v->id);
	jd_wr_u64(&b, v->lo);
	jd_wr_u64(&b, v->hi);
	jd_wr_u64(&b, v->size);
	jd_wr_str(&b, v->first_sym, strlen(v->first_sym));
	jd_wr_end(&b, f);
	broadcast(&b);
}

void jd_link_unregistered_locked(uint64_t id)
{
	if (!atomic_load_explicit(&n_subscribed, memory_order_relaxed))
		return;
	struct jd_wbuf b = {0};
	size_t f = jd_wr_begin(&b, JD_EV_UNREGISTERED, 0);
	jd_wr_u64(&b, id);
	jd_wr_end(&b, f);
	broadcast(&b);
}

/* pattern equals path, or is a suffix of it starting after a '/'. */
static int path_matches(const char *path, const char *pattern)
{
	size_t lp = strlen(path), lq = strlen(pattern);
	if (lq > lp || lq == 0)
		return 0;
	return strcmp(path + lp - lq, pattern) == 0 && (lq == lp || path[lp - lq - 1] == '/' || pattern[0] == '/');
}

/* The debugger's table (jitdebug-hooks.h): written by a debugger while the process is stopped, so
 * it is read without a lock, each slot copied and bounded before use. */
JD_HOOKS_API volatile struct jd_watch_table jitdebug_watches = {
	.magic = JD_WATCH_TABLE_MAGIC,
	.version = 1,
	.header_size = offsetof(struct jd_watch_table, slots),
	.nslots = JD_WATCH_SLOTS,
	.slot_size = sizeof(struct jd_watch_slot),
};

/* Watches of the debugger's table as struct watch (client -1: no link client to tell). */
static size_t debugger_watches(struct watch *out, size_t room)
{
	uint32_t active = jitdebug_watches.active;
	size_t n = 0;
	for (uint32_t i = 0; i < active && i < JD_WATCH_SLOTS && n < room; i++) {
		char pattern[JD_WATCH_PATTERN];
		uint64_t kind = jitdebug_watches.slots[i].kind;
		for (size_t k = 0; k < sizeof(pattern); k++)
			pattern[k] = jitdebug_watches.slots[i].pattern[k];
		if ((kind != JD_WATCH_SYMBOL && kind != JD_WATCH_FILE) || !memchr(pattern, 0, sizeof(pattern)) || !*pattern)
			continue;
		char *copy = strdup(pattern);
		if (copy)
			out[n++] = (struct watch){0, -1, (uint8_t)kind, copy};
	}
	return n;
}

int jd_link_match_watches(const uint8_t *obj, size_t size, uint64_t id)
{
	if (!atomic_load_explicit(&n_watches, memory_order_relaxed) && !jitdebug_watches.active)
		return 0;
	/* Snapshot the watches, then match without holding mu (parsing can take a while). */
	struct watch snap[MAX_WATCHES + JD_WATCH_SLOTS];
	size_t n = 0;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < MAX_WATCHES; i++)
		if (watches[i].id && (snap[n] = watches[i], snap[n].pattern = strdup(watches[i].pattern)))
			n++;
	pthread_mutex_unlock(&mu);
	n += debugger_watches(snap + n, JD_WATCH_SLOTS);

	int matched_any = 0, want_files = 0;
	char matched[MAX_WATCHES + JD_WATCH_SLOTS] = {0};
	struct jd_elf *elf = jd_elf_open(obj, size, NULL, NULL);
	for (size_t w = 0; w < n; w++)
		want_files |= snap[w].kind == 2;
	for (size_t i = 0; elf && i < jd_elf_symbol_count(elf); i++) {
		struct jd_elf_symbol sym;
		if (jd_elf_symbol(elf, i, &sym) != 0 || !sym.defined || (sym.type != STT_FUNC && sym.type != STT_OBJECT))
			continue;
		for (size_t w = 0; w < n; w++)
			if (snap[w].kind == 1 && strcmp(sym.name, snap[w].pattern) == 0)
				matched[w] = 1;
	}
	jd_elf_close(elf);
	if (want_files) {
		struct jd_lines *lines = jd_lines_read(obj, size);
		size_t nrows = 0;
		const struct jd_line *rows = lines ? jd_lines_rows(lines, &nrows) : NULL;
		for (size_t r = 0; r < nrows; r++)
			for (size_t w = 0; w < n; w++)
				if (snap[w].kind == 2 && !matched[w] && (r == 0 || rows[r].file != rows[r - 1].file) &&
				    path_matches(rows[r].file, snap[w].pattern))
					matched[w] = 1;
		jd_lines_free(lines);
	}
	pthread_mutex_lock(&mu);
	for (size_t w = 0; w < n; w++) {
		if (!matched[w])
			continue;
		matched_any = 1;
		if (snap[w].client < 0)
			continue; /* the debugger's table: the debugger learns of it from GDB's JIT list */
		struct jd_wbuf b = {0};
		size_t f = jd_wr_begin(&b, JD_EV_WATCH_MATCH, 0);
		jd_wr_u32(&b, snap[w].id);
		jd_wr_u64(&b, id);
		jd_wr_end(&b, f);
		queue_locked(snap[w].client, &b);
		jd_wr_free(&b);
	}
	pthread_mutex_unlock(&mu);
	for (size_t w = 0; w < n; w++)
		free(snap[w].pattern);
	if (matched_any)
		wake();
	return matched_any;
}

/* ---- request handlers (server thread) --------------------------------------------------------- */

struct list_ctx {
	struct jd_wbuf entries;
	uint32_t count, max, in_chunk;
	uint64_t last_id;
	int more, chunk_full;
};

static int list_cb(const struct jd_obj_view *v, void *p)
{
	struct list_ctx *l = p;
	if (l->count == l->max || l->entries.len > JD_LINK_MAX_FRAME - 2 * JD_LINK_MAX_NAME - 128) {
		l->more = 1;
		return 1;
	}
	if (l->in_chunk == WALK_CHUNK) { /* let registrations in, then go on from last_id */
		l->chunk_full = 1;
		return 1;
	}
	l->in_chunk++;
	l->last_id = v->id;
	jd_wr_u64(&l->entries, v->id);
	jd_wr_u64(&l->entries, v->lo);
	jd_wr_u64(&l->entries, v->hi);
	jd_wr_u64(&l->entries, v->size);
	jd_wr_u32(&l->entries, v->flags);
	jd_wr_str(&l->entries, v->first_sym, strlen(v->first_sym));
	l->count++;
	return 0;
}

struct lookup_ctx {
	struct jd_wbuf entries;
	uint32_t count, in_chunk;
	uint64_t addr, last_id;
	const char *name;
	size_t name_len;
	int chunk_full;
};

static int lookup_addr_cb(const struct jd_obj_view *v, void *p)
{
	struct lookup_ctx *l = p;
	if (l->addr >= v->lo && l->addr < v->hi) {
		jd_wr_u64(&l->entries, v->id);
		jd_wr_u64(&l->entries, v->lo);
		jd_wr_u64(&l->entries, v->hi);
		l->count++;
		return 1;
	}
	return 0;
}

static int lookup_symbol_cb(const struct jd_obj_view *v, void *p)
{
	struct lookup_ctx *l = p;
	if (l->in_chunk == WALK_CHUNK) {
		l->chunk_full = 1;
		return 1;
	}
	l->in_chunk++;
	l->last_id = v->id;
	struct jd_elf *elf = jd_elf_open(v->data, v->size, NULL, NULL);
	for (size_t i = 0; elf && i < jd_elf_symbol_count(elf); i++) {
		struct jd_elf_symbol s;
		if (jd_elf_symbol(elf, i, &s) == 0 && s.defined && (s.type == STT_FUNC || s.type == STT_OBJECT) &&
		    strlen(s.name) == l->name_len && memcmp(s.name, l->name, l->name_len) == 0) {
			jd_wr_u64(&l->entries, v->id);
			jd_wr_u64(&l->entries, v->lo);
			jd_wr_u64(&l->entries, v->hi);
			l->count++;
			break;
		}
	}
	jd_elf_close(elf);
	return l->count >= 10000;
}

static int token_ok(const char *t, uint16_t len)
{
	/* Constant time in the token's length: every byte is compared, whatever differs first. */
	unsigned diff = (unsigned)(len ^ token_len);
	for (size_t i = 0; i < sizeof(token); i++) {
		unsigned char a = i < len ? (unsigned char)t[i] : 0, b = i < token_len ? (unsigned char)token[i] : 0;
		diff |= (unsigned)(a ^ b);
	}
	return len <= sizeof(token) && diff == 0;
}

static void handle(int ci, const struct jd_link_hdr *h, const uint8_t *payload)
{
	struct client *c = &clients[ci];
	struct jd_rcur r = {payload, h->size, 0, 0};
	struct jd_wbuf b = {0};
	size_t f;

	if (!c->hello_done && h->type != JD_MSG_HELLO) {
		send_error(ci, h->seq, JD_LINK_E_PROTOCOL, "HELLO must come first", 1);
		return;
	}
	switch (h->type) {
	case JD_MSG_HELLO: {
		uint16_t vmin = jd_rd_u16(&r), vmax = jd_rd_u16(&r), tlen;
		const char *t = jd_rd_str(&r, &tlen);
		if (r.bad || c->hello_done) {
			send_error(ci, h->seq, JD_LINK_E_PROTOCOL, "malformed or repeated HELLO", 1);
			return;
		}
		if (vmin > JD_LINK_VERSION || vmax < JD_LINK_VERSION) {
			send_error(ci, h->seq, JD_LINK_E_VERSION, "this server speaks protocol version 1 only", 1);
			return;
		}
		if (token_len && !token_ok(t, tlen)) {
			send_error(ci, h->seq, JD_LINK_E_TOKEN, "bad token", 1);
			return;
		}
		c->hello_done = 1;
		f = jd_wr_begin(&b, JD_MSG_HELLO_OK, h->seq);
		jd_wr_u16(&b, JD_LINK_VERSION);
		jd_wr_u16(&b, (uint16_t)jd_hooks_gdb_mode());
		jd_wr_u32(&b, (uint32_t)getpid());
		jd_wr_u16(&b, EM_X86_64);
		jd_wr_u16(&b, 0);
		jd_wr_u64(&b, jd_registry_generation());
		jd_wr_u32(&b, JD_LINK_MAX_FRAME);
		jd_wr_str(&b, "x86_64-pc-linux-gnu", strlen("x86_64-pc-linux-gnu"));
		break;
	}
	case JD_MSG_LIST: {
		struct list_ctx l = {.max = 0};
		uint64_t after = jd_rd_u64(&r);
		l.max = jd_rd_u32(&r);
		if (r.bad) {
			send_error(ci, h->seq, JD_LINK_E_PROTOCOL, "malformed LIST", 1);
			return;
		}
		if (l.max == 0 || l.max > MAX_LIST)
			l.max = MAX_LIST;
		uint64_t gen = jd_registry_generation();
		l.last_id = after;
		do {
			l.chunk_full = 0;
			l.in_chunk = 0;
			jd_registry_walk(l.last_id, JD_WALK_FIRST_SYMBOL, list_cb, &l);
		} while (l.chunk_full && !l.more);
		f = jd_wr_begin(&b, JD_MSG_LIST_OK, h->seq);
		jd_wr_u64(&b, gen);
		jd_wr_u32(&b, l.count);
		jd_wr_u8(&b, (uint8_t)l.more);
		jd_wr_bytes(&b, l.entries.p, l.entries.len);
		jd_wr_free(&l.entries);
		break;
	}
	case JD_MSG_FETCH: {
		uint64_t id = jd_rd_u64(&r), off = jd_rd_u64(&r);
		uint32_t len = jd_rd_u32(&r), got = 0;
		uint64_t size = 0;
		if (r.bad) {
			send_error(ci, h->seq, JD_LINK_E_PROTOCOL, "malformed FETCH", 1);
			return;
		}
		if (len > JD_LINK_MAX_CHUNK)
			len = JD_LINK_MAX_CHUNK;
		f = jd_wr_begin(&b, JD_MSG_FETCH_OK, h->seq);
		jd_wr_u64(&b, id);
		size_t size_at = b.len;
		jd_wr_u64(&b, 0);
		jd_wr_u64(&b, off);
		size_t len_at = b.len;
		jd_wr_u32(&b, 0);
		size_t data_at = b.len;
		uint8_t *dst = jd_wr_reserve(&b, len); /* copied straight into the frame, under the registry lock */
		int err = dst ? jd_registry_read(id, off, len, dst, &got, &size) : -ENOMEM;
		if (err) {
			jd_wr_free(&b);
			send_error(ci, h->seq, err == -ENOENT ? JD_LINK_E_NO_OBJECT : err == -ERANGE ? JD_LINK_E_RANGE : JD_LINK_E_INTERNAL,
				   err == -ENOENT ? "no such object (never registered, or unregistered)"
				   : err == -ERANGE ? "offset past the end of the object" : "out of memory", 0);
			return;
		}
		b.len = data_at + got;
		for (int i = 0; i < 8; i++)
			b.p[size_at + (size_t)i] = (uint8_t)(size >> (8 * i));
		for (int i = 0; i < 4; i++)
			b.p[len_at + (size_t)i] = (uint8_t)(got >> (8 * i));
		break;
	}
	case JD_MSG_LOOKUP_ADDR:
	case JD_MSG_LOOKUP_SYMBOL: {
		struct lookup_ctx l = {0};
		uint16_t nlen = 0;
		if (h->type == JD_MSG_LOOKUP_ADDR) {
			l.addr = jd_rd_u64(&r);
		} else {
			l.name = jd_rd_str(&r, &nlen);
			l.name_len = nlen;
		}
		if (r.bad) {
			send_error(ci, h->seq, JD_LINK_E_PROTOCOL, "malformed LOOKUP", 1);
			return;
		}
		if (h->type == JD_MSG_LOOKUP_ADDR) {
			jd_registry_walk(0, 0, lookup_addr_cb, &l);
		} else {
			do { /* a parse per object: in chunks, the registry lock released in between */
				l.chunk_full = 0;
				l.in_chunk = 0;
				jd_registry_walk(l.last_id, 0, lookup_symbol_cb, &l);
			} while (l.chunk_full && l.count < 10000);
		}
		f = jd_wr_begin(&b, JD_MSG_LOOKUP_OK, h->seq);
		jd_wr_u32(&b, l.count);
		jd_wr_bytes(&b, l.entries.p, l.entries.len);
		jd_wr_free(&l.entries);
		break;
	}
	case JD_MSG_SUBSCRIBE: {
		uint32_t on = jd_rd_u32(&r);
		if (r.bad || on > 1) {
			send_error(ci, h->seq, JD_LINK_E_PROTOCOL, "malformed SUBSCRIBE", 1);
			return;
		}
		pthread_mutex_lock(&mu);
		if (on != (uint32_t)c->subscribed)
			atomic_fetch_add(&n_subscribed, on ? 1 : -1);
		c->subscribed = (int)on;
		pthread_mutex_unlock(&mu);
		f = jd_wr_begin(&b, JD_MSG_OK, h->seq);
		jd_wr_u32(&b, on);
		break;
	}
	case JD_MSG_WATCH: {
		uint8_t kind = jd_rd_u8(&r);
		uint16_t plen;
		const char *pat = jd_rd_str(&r, &plen);
		if (r.bad || (kind != 1 && kind != 2) || plen == 0) {
			send_error(ci, h->seq, JD_LINK_E_PROTOCOL, "malformed WATCH", 1);
			return;
		}
		char *copy = strndup(pat, plen);
		uint32_t wid = 0;
		pthread_mutex_lock(&mu);
		for (int i = 0; copy && i < MAX_WATCHES && !wid; i++) {
			if (!watches[i].id) {
				watches[i] = (struct watch){next_watch_id++, ci, kind, copy};
				wid = watches[i].id;
				atomic_fetch_add(&n_watches, 1);
			}
		}
		pthread_mutex_unlock(&mu);
		if (!wid) {
			free(copy);
			send_error(ci, h->seq, JD_LINK_E_LIMIT, "too many watches", 0);
			return;
		}
		f = jd_wr_begin(&b, JD_MSG_OK, h->seq);
		jd_wr_u32(&b, wid);
		break;
	}
	default:
		send_error(ci, h->seq, JD_LINK_E_UNKNOWN, "unknown request type", 1);
		return;
	}
	jd_wr_end(&b, f);
	queue(ci, &b);
	jd_wr_free(&b);
}

/* ---- connections ------------------------------------------------------------------------------ */

static void drop_client(int ci)
{
	struct client *c = &clients[ci];
	pthread_mutex_lock(&mu);
	if (c->subscribed)
		atomic_fetch_sub(&n_subscribed, 1);
	for (int i = 0; i < MAX_WATCHES; i++) {
		if (watches[i].id && watches[i].client == ci) {
			free(watches[i].pattern);
			memset(&watches[i], 0, sizeof(watches[i]));
			atomic_fetch_sub(&n_watches, 1);
		}
	}
	close(c->fd);
	c->fd = -1;
	jd_wr_free(&c->out);
	c->out_off = 0;
	pthread_mutex_unlock(&mu);
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
	c->hello_done = c->subscribed = c->closing = 0;
}

/* Handles every complete frame in the client's input buffer. Returns how many bytes the next read
 * should bring the buffer to (a header, or the rest of a frame), or 0 when the client is closing. */
static size_t process_input(int ci)
{
	struct client *c = &clients[ci];
	for (;;) {
		uint32_t limit = c->hello_done ? JD_LINK_MAX_FRAME : JD_LINK_MAX_FRAME_PREAUTH;
		struct jd_link_hdr h;
		const char *why = NULL;
		int st = jd_link_parse(c->in, c->in_len, limit, &h, &why);
		if (st < 0) {
			send_error(ci, 0, JD_LINK_E_PROTOCOL, why, 1);
			c->in_len = 0;
			return 0;
		}
		if (st == 0)
			return c->in_len >= JD_LINK_HDR_SIZE ? JD_LINK_HDR_SIZE + h.size : JD_LINK_HDR_SIZE;
		handle(ci, &h, c->in + JD_LINK_HDR_SIZE);
		size_t used = JD_LINK_HDR_SIZE + h.size;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		if (c->closing)
			return 0;
	}
}

/* Reads what is there and handles every complete frame. 0, or -1 to drop the client. */
static int service_input(int ci)
{
	struct client *c = &clients[ci];
	for (;;) {
		size_t want = process_input(ci);
		if (want == 0)
			return 0;
		if (c->in_cap < want) {
			uint8_t *np = realloc(c->in, want);
			if (!np)
				return -1;
			c->in = np;
			c->in_cap = want;
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, want - c->in_len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 0;
		if (n <= 0)
			return -1;
		c->in_len += (size_t)n;
	}
}

/* Sends what is queued. 0, or -1 to drop the client. */
static int service_output(int ci)
{
	struct client *c = &clients[ci];
	int drop = 0;
	pthread_mutex_lock(&mu);
	while (c->out_off < c->out.len) {
		size_t n = c->out.len - c->out_off;
		ssize_t w = send(c->fd, c->out.p + c->out_off, n < WRITE_SLICE ? n : WRITE_SLICE, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				drop = 1;
			break;
		}
		c->out_off += (size_t)w;
	}
	if (c->out_off == c->out.len) {
		c->out.len = c->out_off = 0;
		if (c->closing)
			drop = 1;
	}
	if (c->closing == 2)
		drop = 1;
	pthread_mutex_unlock(&mu);
	return drop ? -1 : 0;
}

static void *server_main(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	struct pollfd pfd[MAX_CLIENTS + 2];
	int idx[MAX_CLIENTS + 2];
	for (;;) {
		int n = 0;
		pfd[n++] = (struct pollfd){lfd, POLLIN, 0};
		pfd[n++] = (struct pollfd){wfd, POLLIN, 0};
		pthread_mutex_lock(&mu);
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (clients[i].fd < 0)
				continue;
			short ev = clients[i].closing ? 0 : POLLIN;
			if (clients[i].out_off < clients[i].out.len || clients[i].closing)
				ev |= POLLOUT;
			idx[n] = i;
			pfd[n++] = (struct pollfd){clients[i].fd, ev, 0};
		}
		pthread_mutex_unlock(&mu);
		if (poll(pfd, (nfds_t)n, 500) < 0 && errno != EINTR)
			continue;
		if (pfd[1].revents & POLLIN) {
			uint64_t v;
			atomic_store(&wake_pending, 0); /* before draining: a later event wakes us again */
			if (read(wfd, &v, sizeof(v)) < 0) {
				/* nothing to drain */
			}
		}
		if (pfd[0].revents & POLLIN) {
			for (;;) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					break;
				int slot = -1;
				for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
					if (clients[i].fd < 0)
						slot = i;
				if (slot < 0) {
					close(fd); /* at the client limit */
					continue;
				}
				clients[slot].fd = fd;
				clients[slot].accepted_ms = now_ms();
			}
		}
		for (int k = 2; k < n; k++) {
			int ci = idx[k];
			if (clients[ci].fd < 0)
				continue;
			if ((pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) && !clients[ci].closing && service_input(ci) < 0) {
				drop_client(ci);
				continue;
			}
			if (service_output(ci) < 0)
				drop_client(ci);
		}
		uint64_t t = now_ms();
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].fd >= 0 && !clients[i].hello_done && t - clients[i].accepted_ms > HELLO_TIMEOUT_MS)
				drop_client(i);
	}
	return NULL;
}

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

static int link_start(const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (!colon || (size_t)(colon - spec) >= sizeof(host)) {
		jd_warn_once("JITDEBUG_LISTEN=%s is not HOST:PORT; the debug link is off", spec);
		return -EINVAL;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	const char *tok = getenv("JITDEBUG_TOKEN");
	if (tok && *tok) {
		token_len = strlen(tok);
		if (token_len > sizeof(token)) {
			jd_warn_once("JITDEBUG_TOKEN is longer than %zu bytes; the debug link is off", sizeof(token));
			return -EINVAL;
		}
		memcpy(token, tok, token_len);
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *res = NULL;
	int gai = getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &res);
	if (gai) {
		jd_warn_once("debug link: cannot resolve %s: %s", spec, gai_strerror(gai));
		return -EINVAL;
	}
	int fd = -1, refused = 0;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		if (!is_loopback(a->ai_addr) && !token_len) {
			refused = 1;
			continue;
		}
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;
		if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
				bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 16) < 0)) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (refused)
			fprintf(stderr, "jitdebug: refusing to listen on non-loopback %s without JITDEBUG_TOKEN\n", spec);
		else
			jd_warn_once("debug link: cannot listen on %s: %s", spec, strerror(errno));
		return refused ? -EPERM : -errno;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char h[NI_MAXHOST] = "?", p[NI_MAXSERV] = "?";
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(jitdebug_link_address, sizeof(jitdebug_link_address), "%s%s%s:%s", ss.ss_family == AF_INET6 ? "[" : "",
		 h, ss.ss_family == AF_INET6 ? "]" : "", p);
	wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wfd < 0) {
		close(fd);
		return -errno;
	}
	lfd = fd;
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&th, &attr, server_main, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		close(lfd);
		close(wfd);
		lfd = wfd = -1;
		return -err;
	}
	atomic_store(&running, 1);
	fprintf(stderr, "jitdebug: debug link listening on %s\n", jitdebug_link_address);
	return 0;
}

int jd_link_feed_for_tests(int fd, const uint8_t *data, size_t len)
{
	/* The fuzzer's entry: bytes through the same framing and handlers as a socket client's, replies
	 * queued and dropped. Slot 0, with a descriptor the caller owns (e.g. /dev/null). */
	struct client *c = &clients[0];
	c->fd = fd;
	c->accepted_ms = now_ms();
	for (size_t off = 0; off < len && !c->closing;) {
		size_t want = process_input(0);
		if (want == 0)
			break;
		if (c->in_cap < want) {
			uint8_t *np = realloc(c->in, want);
			if (!np)
				break;
			c->in = np;
			c->in_cap = want;
		}
		size_t n = want - c->in_len < len - off ? want - c->in_len : len - off;
		memcpy(c->in + c->in_len, data + off, n);
		c->in_len += n;
		off += n;
	}
	if (!c->closing)
		process_input(0);
	int fd_out = dup(fd);
	drop_client(0); /* closes fd; hand the caller a fresh one */
	return fd_out;
}

__attribute__((constructor)) static void link_autostart(void)
{
	const char *spec = getenv("JITDEBUG_LISTEN");
	if (spec && *spec)
		link_start(spec);
}
