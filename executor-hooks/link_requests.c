/* link_requests.c — the debug link's request handlers (docs/protocol.md), run on the server thread.
 *
 * What a client asks never makes a registration wait: objects are parsed (first symbols, symbol
 * lookups) while *held* (jd_registry_hold), outside the registry lock, which is taken only to count
 * references for a chunk of LINK_WALK_CHUNK objects (FETCH: one object; its bytes are copied
 * outside the lock). LOOKUP_ADDR uses the registry's address index. Each reply is built in memory and
 * queued whole. */
#include "link-internal.h"

#include "../jitdebug/hashkeys.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What HELLO_OK reports: the machine this library was built for (the process it runs in). */
#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#define HOST_TRIPLE "x86_64-pc-linux-gnu"
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#define HOST_TRIPLE "aarch64-unknown-linux-gnu"
#elif defined(__i386__)
#define HOST_MACHINE EM_386
#define HOST_TRIPLE "i386-pc-linux-gnu"
#elif defined(__arm__)
#define HOST_MACHINE EM_ARM
#define HOST_TRIPLE "arm-unknown-linux-gnueabihf"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_MACHINE EM_RISCV
#define HOST_TRIPLE "riscv64-unknown-linux-gnu"
#else
#define HOST_MACHINE EM_NONE
#define HOST_TRIPLE "unknown-unknown-linux-gnu"
#endif

static int token_ok(const char *t, uint16_t len)
{
	/* Constant time in the token's length: every byte is compared, whatever differs first. */
	size_t token_len;
	const char *token = jd_link_token(&token_len);
	unsigned diff = (unsigned)(len ^ token_len);
	for (size_t i = 0; i < JD_LINK_MAX_TOKEN; i++) {
		unsigned char a = i < len ? (unsigned char)t[i] : 0, b = i < token_len ? (unsigned char)token[i] : 0;
		diff |= (unsigned)(a ^ b);
	}
	return len <= JD_LINK_MAX_TOKEN && diff == 0;
}

static void put_object(struct jd_wbuf *b, const struct jd_obj_view *v)
{
	jd_wr_u64(b, v->id);
	jd_wr_u64(b, v->lo);
	jd_wr_u64(b, v->hi);
}

/* What LIST last found in another registrar's object (server thread only): its first symbol and
 * build-id cost a copy of the object (up to 64 MiB), so they are kept, direct-mapped by id, and used
 * again while the list says the same of the object (entry, size, range) and its first 4 KiB hash the
 * same (an object replaced in place is read again). */
enum { FOREIGN_SLOTS = 1024, FINGERPRINT_BYTES = 4096 };
struct foreign_seen {
	uint64_t id, entry, size, lo, hi, print;
	char *first; /* malloc'ed; NULL: slot unused */
	uint8_t bid[JD_BUILD_ID_MAX];
	uint32_t bid_len;
};
static struct foreign_seen *foreign_seen; /* FOREIGN_SLOTS, allocated at the first LIST of one */

/* The hash of the object's first bytes (0 when unreadable: never matches, as no slot holds 0). */
static uint64_t fingerprint(const struct jd_registry_object *o)
{
	uint8_t head[FINGERPRINT_BYTES];
	size_t n = o->size < sizeof(head) ? (size_t)o->size : sizeof(head);
	return jd_read_self(o->symfile, head, n) == 0 ? jd_hash(head, n) | 1 : 0;
}

/* Ids are addresses (JD_FOREIGN_ID_BIT | symfile), often aligned and spaced alike: FNV-1a's low bits
 * collided for one in five sets of six 3 MiB objects, so the id goes through a 64-bit finalizer (the
 * one of jd_u64set), and an object may sit in any of FOREIGN_WAYS slots from there. */
enum { FOREIGN_WAYS = 8 };
static size_t foreign_slot(uint64_t id)
{
	return jd_u64set_slot(id, FOREIGN_SLOTS);
}

/* The slot that describes o as it is now, or NULL. */
static const struct foreign_seen *foreign_known(const struct jd_registry_object *o, uint64_t print)
{
	for (size_t w = 0; foreign_seen && print && w < FOREIGN_WAYS; w++) {
		const struct foreign_seen *f = &foreign_seen[(foreign_slot(o->id) + w) % FOREIGN_SLOTS];
		if (f->first && f->id == o->id)
			return f->entry == o->entry && f->size == o->size && f->lo == o->lo && f->hi == o->hi &&
					       f->print == print
				       ? f
				       : NULL;
	}
	return NULL;
}

/* Where o is kept: the slot that has its id, else a free one, else the first of its ways. */
static struct foreign_seen *foreign_place(uint64_t id)
{
	size_t first = foreign_slot(id), free_slot = SIZE_MAX;
	for (size_t w = 0; w < FOREIGN_WAYS; w++) {
		struct foreign_seen *f = &foreign_seen[(first + w) % FOREIGN_SLOTS];
		if (f->first && f->id == id)
			return f;
		if (!f->first && free_slot == SIZE_MAX)
			free_slot = (first + w) % FOREIGN_SLOTS;
	}
	return &foreign_seen[free_slot != SIZE_MAX ? free_slot : first];
}

/* Reads o's first symbol and build-id from its bytes and keeps them (when a slot can be had). */
static void foreign_learn(const struct jd_registry_object *o, uint64_t print, char *first, size_t first_len,
			  uint8_t *bid, uint32_t *bid_len)
{
	first[0] = '\0';
	*bid_len = 0;
	uint8_t *bytes = malloc(o->size);
	if (bytes && jd_read_self(o->symfile, bytes, o->size) == 0) {
		jd_object_first_symbol(bytes, o->size, first, first_len);
		if (jd_object_build_id(bytes, o->size, bid, bid_len, NULL, 0) < 0)
			*bid_len = 0;
	} else {
		print = 0; /* not kept: read again next time */
	}
	free(bytes);
	if (!print || (!foreign_seen && !(foreign_seen = calloc(FOREIGN_SLOTS, sizeof(*foreign_seen)))))
		return;
	struct foreign_seen *f = foreign_place(o->id);
	free(f->first);
	*f = (struct foreign_seen){o->id, o->entry, o->size, o->lo, o->hi, print, strdup(first), {0}, *bid_len};
	memcpy(f->bid, bid, *bid_len);
}

/* LIST, after the registry's objects: the other registrars' (ids from JD_FOREIGN_ID_BIT up, in id
 * order), flagged JD_OBJECT_FOREIGN. Their first symbol and build-id are read from their bytes (up to
 * 64 MiB each) on the server thread, once (foreign_seen). One reply reads at most
 * FOREIGN_BYTES_PER_REPLY of objects not seen before (and at least one object), then says `more`, so
 * the client pages and other clients' requests are served in between instead of waiting behind one
 * LIST of many large objects. Returns 1 when more remain. */
#define MAX_FOREIGN_NAMED (64u << 20)
#define FOREIGN_BYTES_PER_REPLY (4u << 20)
static int list_foreign(struct jd_wbuf *entries, uint64_t *after, uint32_t *count, uint32_t max, uint16_t version)
{
	struct jd_registry_object *v = NULL;
	ssize_t n = jd_registrars_objects(&v);
	int more = 0;
	uint64_t read = 0;
	for (ssize_t i = 0; i < n; i++) {
		if (v[i].id <= *after)
			continue;
		if (*count == max || entries->len > JD_LINK_MAX_FRAME - 2 * JD_LINK_MAX_NAME - 128) {
			more = 1;
			break;
		}
		char first[JD_LINK_MAX_NAME] = "";
		uint8_t bid[JD_BUILD_ID_MAX];
		uint32_t bid_len = 0;
		if (v[i].size <= MAX_FOREIGN_NAMED) { /* its bytes are read, once */
			uint64_t print = fingerprint(&v[i]);
			const struct foreign_seen *f = foreign_known(&v[i], print);
			if (f) {
				snprintf(first, sizeof(first), "%s", f->first);
				memcpy(bid, f->bid, f->bid_len);
				bid_len = f->bid_len;
			} else if (read && (read >= FOREIGN_BYTES_PER_REPLY || v[i].size > FOREIGN_BYTES_PER_REPLY - read)) {
				more = 1;
				break;
			} else {
				read += v[i].size;
				foreign_learn(&v[i], print, first, sizeof(first), bid, &bid_len);
			}
		}
		struct jd_obj_view view = {.id = v[i].id, .lo = v[i].lo, .hi = v[i].hi};
		put_object(entries, &view);
		jd_wr_u64(entries, v[i].size);
		jd_wr_u32(entries, v[i].flags);
		jd_wr_str(entries, first, strlen(first));
		if (version >= 2) { /* another registrar's object: its build-id computed here, as the hooks do */
			jd_wr_u8(entries, (uint8_t)bid_len);
			jd_wr_bytes(entries, bid, bid_len);
		}
		*after = v[i].id;
		(*count)++;
	}
	free(v);
	return more;
}

/* LIST: up to max objects after `after`, in held chunks. */
static void list(struct jd_wbuf *b, uint64_t after, uint32_t max, uint32_t seq, uint16_t version)
{
	struct jd_wbuf entries = {0};
	struct jd_obj_view held[LINK_WALK_CHUNK];
	uint32_t count = 0;
	int more = 0;
	uint64_t gen = jd_registry_generation();
	for (;;) {
		size_t n = jd_registry_hold(after, held, LINK_WALK_CHUNK);
		size_t i = 0;
		for (; i < n; i++) {
			if (count == max || entries.len > JD_LINK_MAX_FRAME - 2 * JD_LINK_MAX_NAME - 128) {
				more = 1;
				break;
			}
			const char *first = jd_registry_first_symbol(&held[i]);
			put_object(&entries, &held[i]);
			jd_wr_u64(&entries, held[i].size);
			jd_wr_u32(&entries, held[i].flags);
			jd_wr_str(&entries, first, strlen(first));
			if (version >= 2) {
				jd_wr_u8(&entries, (uint8_t)held[i].build_id_len);
				jd_wr_bytes(&entries, held[i].build_id, held[i].build_id_len);
			}
			after = held[i].id;
			count++;
		}
		jd_registry_release(held, n);
		if (more || n < LINK_WALK_CHUNK)
			break;
	}
	if (!more)
		more = list_foreign(&entries, &after, &count, max, version);
	size_t f = jd_wr_begin(b, JD_MSG_LIST_OK, seq);
	jd_wr_u64(b, gen);
	jd_wr_u32(b, count);
	jd_wr_u8(b, (uint8_t)more);
	jd_wr_bytes(b, entries.p, entries.len);
	jd_wr_free(&entries);
	jd_wr_end(b, f);
}

static void lookup_symbol(struct jd_wbuf *b, const char *name, size_t len, uint32_t seq)
{
	struct jd_wbuf entries = {0};
	struct jd_obj_view held[LINK_WALK_CHUNK];
	uint32_t count = 0;
	uint64_t after = 0;
	for (;;) {
		size_t n = jd_registry_hold(after, held, LINK_WALK_CHUNK);
		for (size_t i = 0; i < n && count < LINK_MAX_LOOKUP; i++) {
			after = held[i].id;
			if (jd_registry_defines(&held[i], name, len)) {
				put_object(&entries, &held[i]);
				count++;
			}
		}
		jd_registry_release(held, n);
		if (n < LINK_WALK_CHUNK || count >= LINK_MAX_LOOKUP)
			break;
	}
	size_t f = jd_wr_begin(b, JD_MSG_LOOKUP_OK, seq);
	jd_wr_u32(b, count);
	jd_wr_bytes(b, entries.p, entries.len);
	jd_wr_free(&entries);
	jd_wr_end(b, f);
}

static int fetch(struct link_client *c, struct jd_wbuf *b, uint64_t id, uint64_t off, uint32_t len, uint32_t seq)
{
	uint32_t got = 0;
	uint64_t size = 0;
	if (len > JD_LINK_MAX_CHUNK)
		len = JD_LINK_MAX_CHUNK;
	size_t f = jd_wr_begin(b, JD_MSG_FETCH_OK, seq);
	jd_wr_u64(b, id);
	size_t size_at = b->len;
	jd_wr_u64(b, 0);
	jd_wr_u64(b, off);
	size_t len_at = b->len;
	jd_wr_u32(b, 0);
	size_t data_at = b->len;
	uint8_t *dst = jd_wr_reserve(b, len); /* copied straight into the frame, under the registry lock */
	int err = !dst ? -ENOMEM
		  : id & JD_FOREIGN_ID_BIT ? jd_registrars_read(id, off, len, dst, &got, &size)
					    : jd_registry_read(id, off, len, dst, &got, &size);
	if (err) {
		link_send_error(c, seq, err == -ENOENT ? JD_LINK_E_NO_OBJECT : err == -ERANGE ? JD_LINK_E_RANGE : JD_LINK_E_INTERNAL,
				err == -ENOENT ? "no such object (never registered, or unregistered)"
				: err == -ERANGE ? "offset past the end of the object"
				: err == -EFAULT ? "the object's bytes are no longer readable (freed by its registrar)"
						 : "out of memory", 0);
		return err;
	}
	b->len = data_at + got;
	jd_store_le(b->p + size_at, size, 8);
	jd_store_le(b->p + len_at, got, 4);
	jd_wr_end(b, f);
	return 0;
}

void link_handle(struct link_client *c, const struct jd_link_hdr *h, const uint8_t *payload)
{
	struct jd_rcur r = {payload, h->size, 0, 0};
	struct jd_wbuf b = {0};
	size_t f;

	if (!c->hello_done && h->type != JD_MSG_HELLO) {
		link_send_error(c, h->seq, JD_LINK_E_PROTOCOL, "HELLO must come first", 1);
		return;
	}
	switch (h->type) {
	case JD_MSG_HELLO: {
		uint16_t vmin = jd_rd_u16(&r), vmax = jd_rd_u16(&r), tlen;
		const char *t = jd_rd_str(&r, &tlen);
		if (r.bad || c->hello_done) {
			link_send_error(c, h->seq, JD_LINK_E_PROTOCOL, "malformed or repeated HELLO", 1);
			return;
		}
		if (vmin > JD_LINK_VERSION || vmax < JD_LINK_VERSION_MIN || vmin > vmax) {
			link_send_error(c, h->seq, JD_LINK_E_VERSION, "this server speaks protocol versions 1 and 2", 1);
			return;
		}
		c->version = vmax < JD_LINK_VERSION ? vmax : JD_LINK_VERSION;
		if (jd_link_token(NULL)[0] && !token_ok(t, tlen)) {
			link_send_error(c, h->seq, JD_LINK_E_TOKEN, "bad token", 1);
			return;
		}
		c->hello_done = 1;
		f = jd_wr_begin(&b, JD_MSG_HELLO_OK, h->seq);
		jd_wr_u16(&b, c->version);
		jd_wr_u16(&b, (uint16_t)jd_hooks_gdb_mode());
		jd_wr_u32(&b, (uint32_t)getpid());
		jd_wr_u16(&b, HOST_MACHINE);
		jd_wr_u16(&b, 0);
		jd_wr_u64(&b, jd_registry_generation());
		jd_wr_u32(&b, JD_LINK_MAX_FRAME);
		jd_wr_str(&b, HOST_TRIPLE, strlen(HOST_TRIPLE));
		jd_wr_end(&b, f);
		break;
	}
	case JD_MSG_LIST: {
		uint64_t after = jd_rd_u64(&r);
		uint32_t max = jd_rd_u32(&r);
		if (r.bad) {
			link_send_error(c, h->seq, JD_LINK_E_PROTOCOL, "malformed LIST", 1);
			return;
		}
		list(&b, after, max == 0 || max > LINK_MAX_LIST ? LINK_MAX_LIST : max, h->seq, c->version);
		break;
	}
	case JD_MSG_FETCH: {
		uint64_t id = jd_rd_u64(&r), off = jd_rd_u64(&r);
		uint32_t len = jd_rd_u32(&r);
		if (r.bad) {
			link_send_error(c, h->seq, JD_LINK_E_PROTOCOL, "malformed FETCH", 1);
			return;
		}
		if (fetch(c, &b, id, off, len, h->seq) != 0) {
			jd_wr_free(&b);
			return;
		}
		break;
	}
	case JD_MSG_LOOKUP_ADDR: {
		uint64_t addr = jd_rd_u64(&r);
		if (r.bad) {
			link_send_error(c, h->seq, JD_LINK_E_PROTOCOL, "malformed LOOKUP", 1);
			return;
		}
		struct jd_obj_view hit;
		int found = jd_registry_lookup_addr(addr, &hit) == 0; /* the address index: no walk */
		f = jd_wr_begin(&b, JD_MSG_LOOKUP_OK, h->seq);
		jd_wr_u32(&b, (uint32_t)found);
		if (found)
			put_object(&b, &hit);
		jd_wr_end(&b, f);
		break;
	}
	case JD_MSG_LOOKUP_SYMBOL: {
		uint16_t nlen = 0;
		const char *name = jd_rd_str(&r, &nlen);
		if (r.bad) {
			link_send_error(c, h->seq, JD_LINK_E_PROTOCOL, "malformed LOOKUP", 1);
			return;
		}
		lookup_symbol(&b, name, nlen, h->seq);
		break;
	}
	case JD_MSG_SUBSCRIBE: {
		uint32_t on = jd_rd_u32(&r);
		if (r.bad || on > 1) {
			link_send_error(c, h->seq, JD_LINK_E_PROTOCOL, "malformed SUBSCRIBE", 1);
			return;
		}
		int full = 0;
		pthread_mutex_lock(&jd_link_mu);
		if (on && !c->subscribed && atomic_load(&jd_link_subscribers) >= LINK_MAX_SUBSCRIBERS) {
			full = 1;
		} else if (on != (uint32_t)c->subscribed) {
			atomic_fetch_add(&jd_link_subscribers, on ? 1 : -1);
			c->subscribed = (int)on;
		}
		pthread_mutex_unlock(&jd_link_mu);
		if (full) {
			link_send_error(c, h->seq, JD_LINK_E_LIMIT, "too many subscribed clients (32)", 0);
			return;
		}
		f = jd_wr_begin(&b, JD_MSG_OK, h->seq);
		jd_wr_u32(&b, on);
		jd_wr_end(&b, f);
		break;
	}
	case JD_MSG_WATCH: {
		uint8_t kind = jd_rd_u8(&r);
		uint16_t plen;
		const char *pat = jd_rd_str(&r, &plen);
		if (r.bad) {
			link_send_error(c, h->seq, JD_LINK_E_PROTOCOL, "malformed WATCH", 1);
			return;
		}
		uint32_t wid = 0;
		const char *why = NULL;
		int err = link_watch_add(c, kind, pat, plen, &wid, &why);
		if (err) {
			link_send_error(c, h->seq, err == -E2BIG ? JD_LINK_E_LIMIT : JD_LINK_E_PROTOCOL, why, 0);
			return;
		}
		f = jd_wr_begin(&b, JD_MSG_OK, h->seq);
		jd_wr_u32(&b, wid);
		jd_wr_end(&b, f);
		break;
	}
	default:
		link_send_error(c, h->seq, JD_LINK_E_UNKNOWN, "unknown request type", 1);
		return;
	}
	pthread_mutex_lock(&jd_link_mu);
	link_queue_locked(c, &b);
	pthread_mutex_unlock(&jd_link_mu);
	jd_wr_free(&b);
}
