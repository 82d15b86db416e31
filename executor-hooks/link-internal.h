/* link-internal.h — shared by the parts of the debug link server (link.c: listener, event loop,
 * connections and queues; link_requests.c: request handlers; link_watch.c: watches). Not installed.
 *
 * Locks: `jd_link_mu` guards every client's output queue, its `subscribed` flag and the watch set.
 * Registration threads take it (after the registry lock) only to append frames to queues; the server
 * thread never makes a socket call while holding it. */
#ifndef JD_LINK_INTERNAL_H
#define JD_LINK_INTERNAL_H

#include "registry.h"
#include "registrars.h"
#include "gdbjit.h"
#include "subscribers.h"

#include "jitdebug-hooks.h"
#include "runtime.h"

#include "../jitdebug/bytes.h"
#include "../jitdebug/protocol.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Limits, fixed at start (docs/protocol.md, "Limits"). */
enum {
	LINK_MAX_CLIENTS = 64,
	LINK_MAX_PREAUTH = 16,          /* connections that have not completed HELLO */
	LINK_MAX_SUBSCRIBERS = 32,      /* subscribed clients (exempt from the idle timeout) */
	LINK_MAX_QUEUED = 4u << 20,     /* unsent bytes (replies and events) per client: over it, dropped */
	LINK_MAX_QUEUED_TOTAL = 32u << 20, /* unsent bytes to all clients together: the client whose frame
					    * would pass it is dropped */
	LINK_READ_PAUSE = 1u << 20,     /* a client's requests wait while this much is unsent to it */
	LINK_REQUESTS_PER_TURN = 8,     /* requests handled per client per loop turn (fairness) */
	LINK_HELLO_TIMEOUT_MS = 5000,
	LINK_MAX_WATCHES = 256,         /* in all */
	LINK_MAX_WATCHES_PER_CLIENT = 16,
	LINK_MAX_LIST = 20000,
	LINK_WALK_CHUNK = 128,          /* objects held per registry-lock hold (LIST, LOOKUP_SYMBOL) */
	LINK_MAX_LOOKUP = 10000,
};

enum link_close { LINK_OPEN = 0, LINK_CLOSE_AFTER_FLUSH, LINK_CLOSE_NOW };

/* Frames waiting to be sent: small ones share a block (LINK_BLOCK bytes), a large one has its own;
 * a block is freed as soon as it is sent. */
enum { LINK_BLOCK = 4096 };
struct link_block {
	struct link_block *next;
	size_t len, off, cap;
	uint8_t data[];
};

struct link_client {
	int fd;           /* -1: free slot */
	uint64_t conn;    /* unique per connection, never reused: what watches and events are bound to */
	int hello_done;
	uint16_t version; /* the protocol version HELLO agreed on */
	_Atomic int closing; /* enum link_close; set by registration threads too (a queue over its limit) */
	uint64_t accepted_ms, active_ms, frame_ms, close_ms; /* accept; last request or send; first byte of
							      * the frame; ERROR sent before closing */
	uint8_t *in;
	size_t in_len, in_cap;
	int more_input;   /* complete frames left in `in` after a turn */
	/* guarded by jd_link_mu */
	int subscribed;
	unsigned nwatches;
	struct link_block *head, *tail;
	size_t queued;    /* unsent bytes: head list and `sending` */
	/* server thread only */
	struct link_block *sending;
};

extern pthread_mutex_t jd_link_mu;
extern struct link_client jd_link_clients[LINK_MAX_CLIENTS];
extern _Atomic int jd_link_subscribers;

/* link.c: queue a whole frame to a client (mu held) / to a connection by id (mu held); over the
 * limit the client is dropped. */
void link_queue_locked(struct link_client *c, const struct jd_wbuf *frame);
void link_queue_conn_locked(uint64_t conn, const struct jd_wbuf *frame);
/* link.c: an ERROR frame; close_after: the connection closes once it is flushed. */
void link_send_error(struct link_client *c, uint32_t seq, uint16_t code, const char *msg, int close_after);
/* link.c: wakes the server thread (cheap when a wake-up is already pending). */
void link_wake(void);
/* link.c: JITDEBUG_TOKEN as read at start ("" for none; *len may be NULL). */
#define JD_LINK_MAX_TOKEN 256
const char *jd_link_token(size_t *len);

/* link_requests.c: handles one complete request frame of client c (server thread). */
void link_handle(struct link_client *c, const struct jd_link_hdr *h, const uint8_t *payload);

/* link_watch.c */
int link_watch_add(struct link_client *c, uint8_t kind, const char *pattern, size_t len, uint32_t *id,
		   const char **why);
void link_watch_drop_conn_locked(uint64_t conn); /* mu held */
void link_watch_reset_locked(void);              /* mu held; fork child */

/* For the fuzzer only: feeds bytes to the frame handlers as client slot 0 (link.c). */
int jd_link_feed_for_tests(int fd, const uint8_t *data, size_t len);

#endif
