/* link.c — the debug link server (docs/protocol.md): listener, event loop, connections and output
 * queues. One thread, non-blocking sockets, poll(). Requests: link_requests.c; watches: link_watch.c.
 *
 * Started by JITDEBUG_LISTEN=HOST:PORT when the hooks load (port 0 picks a free port). The address
 * is printed once to stderr with the pid and program name, and published in `jitdebug_link_address`,
 * so an attached debugger can find it. Loopback only unless JITDEBUG_TOKEN is set; the token is compared in constant time.
 *
 * Contract with the JIT: registration never waits for the network or for a client. Registration
 * threads only append event frames to client queues under `jd_link_mu` (memory only) and wake the
 * server through an eventfd. The server thread does all I/O and makes no socket call while holding
 * `jd_link_mu`; it never holds `jd_link_mu` while taking the registry lock (lock order: registry,
 * then jd_link_mu).
 *
 * Memory per client is bounded whatever the client does: its input buffer grows only with bytes
 * received (at most one frame: 1 MiB, 4 KiB before HELLO), its output is a queue of blocks freed as
 * they are sent, and a client with more than LINK_MAX_QUEUED unsent bytes is dropped, as is one whose
 * frame would take all clients' unsent bytes past LINK_MAX_QUEUED_TOTAL. Its requests
 * are not read while LINK_READ_PAUSE bytes wait for it, so a pipelining client is served at the pace
 * it reads. Time is bounded too: HELLO within 5 s, a started frame within the frame timeout, and a
 * client that is idle (no request, nothing to send, not subscribed) past the idle timeout is closed.
 * A refused or timed-out client gets an ERROR frame first. When every slot is taken, a new client
 * takes the slot of the longest-idle authenticated client that is not subscribed, so idle holders
 * cannot lock a debugger out.
 *
 * Descriptors the program takes back: the hooks are a guest, and programs close descriptors they did
 * not open (daemons, Erlang's erl_child_setup: closerange(3, ...)) and then reuse the numbers. Every
 * descriptor of the link is remembered with its identity (device and inode: the listener, each client
 * socket, and the wake-up socket pair, sockets rather than an eventfd because eventfds share one
 * inode, and because a send with MSG_NOSIGNAL never raises SIGPIPE), and checked after every poll and
 * before a registration thread writes a wake-up. None of them is ever 0, 1 or 2: a program that closed
 * its standard streams reopens them by number later (jd_fd_above_stdio). One that is gone or is
 * now another file is never used again and never closed (the number is the program's): the link
 * forgets it, and when the listener or the wake-up pair is lost the server thread ends and the link
 * starts anew, on descriptors of its own, at the next registration. The poll sleeps until the next
 * deadline, at most 1 s while nothing is due, so an idle link costs one wake-up a second.
 */
#include "link-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	WRITE_SLICE = 256u << 10,
	DEFAULT_IDLE_S = 60,
	DEFAULT_FRAME_S = 10,
	MAX_TIMEOUT_S = 86400,
	IDLE_POLL_MS = 1000,  /* the longest sleep: how soon a descriptor taken back is noticed */
	CLOSE_FLUSH_MS = 2000, /* a client that does not read its closing ERROR is dropped after this */
};

JD_HOOKS_API char jitdebug_link_address[128];

/* A link started on port 0 is restarted, on a port of its own, by a forked child at its first
 * registration (a pre-forking server's workers each JIT: each gets its own link). With a fixed port
 * the child has no link (the parent holds that port). A link whose descriptors the program took back
 * restarts at the next registration on the spec it started with, fixed port or not. */
static char start_spec[256];     /* JITDEBUG_LISTEN as the link started */
static int start_port_zero;
static atomic_int restart_pending;

pthread_mutex_t jd_link_mu = PTHREAD_MUTEX_INITIALIZER;
struct link_client jd_link_clients[LINK_MAX_CLIENTS];
_Atomic int jd_link_subscribers;

static _Atomic int wake_pending; /* a wake-up write is on its way: later events need no syscall */
/* A descriptor of the link and what it was when the link made it. */
struct owned {
	int fd;
	dev_t dev;
	ino_t ino;
};
static struct owned lsock = {-1, 0, 0}, wake_rd = {-1, 0, 0}, wake_wr = {-1, 0, 0};
static _Atomic int wake_wr_fd = -1; /* wake_wr.fd for registration threads; -1 once lost */
static ino_t client_ino[LINK_MAX_CLIENTS]; /* server thread: identity of jd_link_clients[i].fd */
static dev_t client_dev[LINK_MAX_CLIENTS];
static char token[JD_LINK_MAX_TOKEN + 1];
static size_t token_len;
static uint64_t next_conn = 1;
static size_t total_queued; /* under jd_link_mu: unsent bytes to every client */
static uint64_t idle_timeout_ms = DEFAULT_IDLE_S * 1000u, frame_timeout_ms = DEFAULT_FRAME_S * 1000u;
static struct {
	_Atomic uint64_t accepted, refused, evicted, timed_out, overflowed, lost;
} ctr;

const char *jd_link_token(size_t *len)
{
	if (len)
		*len = token_len;
	return token;
}

static void link_stats(struct jd_hooks_stats *s)
{
	s->link_accepted = atomic_load(&ctr.accepted);
	s->link_refused = atomic_load(&ctr.refused);
	s->link_evicted = atomic_load(&ctr.evicted);
	s->link_timed_out = atomic_load(&ctr.timed_out);
	s->link_overflowed = atomic_load(&ctr.overflowed);
	s->link_lost = atomic_load(&ctr.lost);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* 1 when fd is still the file it was when the link made it. */
static int still_owned(int fd, dev_t dev, ino_t ino)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

static int own(struct owned *o, int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	*o = (struct owned){fd, st.st_dev, st.st_ino};
	return 0;
}

void link_wake(void)
{
	/* Only when no wake-up is pending (one syscall per server turn, not per event), and only into
	 * the socket the link made: the program may have closed it and reused the number. */
	int fd = atomic_load_explicit(&wake_wr_fd, memory_order_acquire);
	if (fd < 0 || atomic_exchange(&wake_pending, 1))
		return;
	if (!still_owned(fd, wake_wr.dev, wake_wr.ino)) {
		atomic_store(&wake_wr_fd, -1);
		return; /* the server thread notices too, within IDLE_POLL_MS */
	}
	if (send(fd, "w", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* full: the server is awake anyway; gone: the server thread notices */
	}
}

/* ---- queues (jd_link_mu held) ------------------------------------------------------------------ */

void link_queue_locked(struct link_client *c, const struct jd_wbuf *frame)
{
	if (c->fd < 0 || c->closing == LINK_CLOSE_NOW)
		return;
	if (frame->oom || frame->len > LINK_MAX_QUEUED - c->queued || frame->len > LINK_MAX_QUEUED_TOTAL - total_queued) {
		c->closing = LINK_CLOSE_NOW; /* too slow or stalled: drop it */
		atomic_fetch_add(&ctr.overflowed, 1);
		return;
	}
	struct link_block *b = c->tail; /* never the block being sent: that one is in c->sending */
	if (!b || b->cap - b->len < frame->len) {
		size_t cap = frame->len > LINK_BLOCK ? frame->len : LINK_BLOCK;
		if (!(b = malloc(sizeof(*b) + cap))) {
			c->closing = LINK_CLOSE_NOW;
			return;
		}
		b->next = NULL;
		b->len = b->off = 0;
		b->cap = cap;
		if (c->tail)
			c->tail->next = b;
		else
			c->head = b;
		c->tail = b;
	}
	memcpy(b->data + b->len, frame->p, frame->len);
	b->len += frame->len;
	c->queued += frame->len;
	total_queued += frame->len;
}

void link_queue_conn_locked(uint64_t conn, const struct jd_wbuf *frame)
{
	for (int i = 0; i < LINK_MAX_CLIENTS; i++)
		if (jd_link_clients[i].fd >= 0 && jd_link_clients[i].conn == conn) {
			link_queue_locked(&jd_link_clients[i], frame);
			return;
		}
}

static void error_frame(struct jd_wbuf *b, uint32_t seq, uint16_t code, const char *msg)
{
	size_t f = jd_wr_begin(b, JD_MSG_ERROR, seq);
	jd_wr_u16(b, code);
	jd_wr_str(b, msg, strlen(msg));
	jd_wr_end(b, f);
}

void link_send_error(struct link_client *c, uint32_t seq, uint16_t code, const char *msg, int close_after)
{
	struct jd_wbuf b = {0};
	error_frame(&b, seq, code, msg);
	pthread_mutex_lock(&jd_link_mu);
	link_queue_locked(c, &b);
	if (close_after && c->closing == LINK_OPEN) {
		c->closing = LINK_CLOSE_AFTER_FLUSH;
		c->close_ms = now_ms();
	}
	pthread_mutex_unlock(&jd_link_mu);
	jd_wr_free(&b);
}

/* ---- events from registration threads ---------------------------------------------------------- */

/* Queues the frame to every subscribed client, wakes the server, frees the frame. */
static void broadcast(struct jd_wbuf *b)
{
	pthread_mutex_lock(&jd_link_mu);
	for (int i = 0; i < LINK_MAX_CLIENTS; i++)
		if (jd_link_clients[i].fd >= 0 && jd_link_clients[i].subscribed)
			link_queue_locked(&jd_link_clients[i], b);
	pthread_mutex_unlock(&jd_link_mu);
	jd_wr_free(b);
	link_wake();
}

static int link_wants_first_symbol(void)
{
	return atomic_load_explicit(&jd_link_subscribers, memory_order_relaxed) > 0;
}

static void link_registered_locked(const struct jd_registration *r)
{
	const struct jd_obj_view *v = r->view;
	if (!atomic_load_explicit(&jd_link_subscribers, memory_order_relaxed))
		return;
	const char *first = v->first_sym ? v->first_sym : "";
	struct jd_wbuf b = {0};
	size_t f = jd_wr_begin(&b, JD_EV_REGISTERED, 0);
	jd_wr_u64(&b, v->id);
	jd_wr_u64(&b, v->lo);
	jd_wr_u64(&b, v->hi);
	jd_wr_u64(&b, v->size);
	jd_wr_str(&b, first, strlen(first));
	jd_wr_end(&b, f);
	broadcast(&b);
}

static void link_unregistered_locked(const struct jd_obj_view *v)
{
	uint64_t id = v->id;
	if (!atomic_load_explicit(&jd_link_subscribers, memory_order_relaxed))
		return;
	struct jd_wbuf b = {0};
	size_t f = jd_wr_begin(&b, JD_EV_UNREGISTERED, 0);
	jd_wr_u64(&b, id);
	jd_wr_end(&b, f);
	broadcast(&b);
}

/* ---- connections ------------------------------------------------------------------------------- */

static void free_blocks(struct link_block *b)
{
	while (b) {
		struct link_block *n = b->next;
		free(b);
		b = n;
	}
}

/* Detaches what is queued for c and not yet being sent, and takes it off the counts (mu held). The
 * caller frees the returned blocks outside the lock. */
static struct link_block *take_queue_locked(struct link_client *c)
{
	struct link_block *queued = c->head;
	c->head = c->tail = NULL;
	total_queued -= c->queued;
	c->queued = 0;
	return queued;
}

/* Frees a client's slot; its socket is closed only when it is still the link's (forget: the program
 * took the number back, so it is left alone). */
static void release_client(struct link_client *c, int forget)
{
	pthread_mutex_lock(&jd_link_mu);
	if (c->subscribed)
		atomic_fetch_sub(&jd_link_subscribers, 1);
	link_watch_drop_conn_locked(c->conn);
	struct link_block *queued = take_queue_locked(c);
	c->subscribed = 0;
	c->nwatches = 0;
	int fd = c->fd;
	c->fd = -1;
	c->conn = 0;
	pthread_mutex_unlock(&jd_link_mu);
	if (!forget)
		close(fd);
	free_blocks(queued);
	free_blocks(c->sending);
	c->sending = NULL;
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
	c->hello_done = c->closing = c->more_input = 0;
}

static void drop_client(struct link_client *c)
{
	release_client(c, 0);
}

/* Handles up to LINK_REQUESTS_PER_TURN complete frames in the input buffer. Returns how many bytes
 * the next read should bring the buffer to (a header, or the rest of a frame), or 0 when the client
 * is closing or must wait (its turn is over, or its replies are not read). */
static size_t process_input(struct link_client *c)
{
	c->more_input = 0;
	for (int handled = 0;; handled++) {
		uint32_t limit = c->hello_done ? JD_LINK_MAX_FRAME : JD_LINK_MAX_FRAME_PREAUTH;
		struct jd_link_hdr h;
		const char *why = NULL;
		int st = jd_link_parse(c->in, c->in_len, limit, &h, &why);
		if (st < 0) {
			link_send_error(c, 0, JD_LINK_E_PROTOCOL, why, 1);
			c->in_len = 0;
			return 0;
		}
		if (st == 0)
			return c->in_len >= JD_LINK_HDR_SIZE ? JD_LINK_HDR_SIZE + h.size : JD_LINK_HDR_SIZE;
		pthread_mutex_lock(&jd_link_mu);
		size_t queued = c->queued;
		pthread_mutex_unlock(&jd_link_mu);
		if (handled == LINK_REQUESTS_PER_TURN || queued >= LINK_READ_PAUSE) {
			c->more_input = 1; /* next turn, or once it has read its replies */
			return 0;
		}
		link_handle(c, &h, c->in + JD_LINK_HDR_SIZE);
		size_t used = JD_LINK_HDR_SIZE + h.size;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		c->active_ms = now_ms();
		c->frame_ms = c->in_len ? c->active_ms : 0;
		if (c->closing)
			return 0;
	}
}

/* Reads what is there and handles complete frames. 0, or -1 to drop the client. */
static int service_input(struct link_client *c)
{
	for (;;) {
		size_t want = process_input(c);
		if (want == 0)
			return 0;
		if (c->in_cap < want) {
			/* Grow with what arrives, not with what the header claims. */
			size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
			if (cap < c->in_len + 65536)
				cap = c->in_len + 65536;
			if (cap > want)
				cap = want;
			uint8_t *np = realloc(c->in, cap);
			if (!np)
				return -1;
			c->in = np;
			c->in_cap = cap;
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 0;
		if (n <= 0)
			return -1;
		if (c->in_len == 0)
			c->frame_ms = now_ms();
		c->in_len += (size_t)n;
	}
}

/* Sends what is queued, without holding jd_link_mu during send(). 0, or -1 to drop the client. */
static int service_output(struct link_client *c)
{
	pthread_mutex_lock(&jd_link_mu);
	if (!c->sending) {
		c->sending = c->head;
		c->head = c->tail = NULL;
	}
	int closing = c->closing;
	pthread_mutex_unlock(&jd_link_mu);
	if (closing == LINK_CLOSE_NOW)
		return -1;
	size_t sent = 0;
	int drop = 0;
	while (c->sending) {
		struct link_block *b = c->sending;
		size_t n = b->len - b->off;
		ssize_t w = send(c->fd, b->data + b->off, n < WRITE_SLICE ? n : WRITE_SLICE, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				drop = 1;
			break;
		}
		b->off += (size_t)w;
		sent += (size_t)w;
		if (b->off == b->len) {
			c->sending = b->next;
			free(b);
		}
	}
	pthread_mutex_lock(&jd_link_mu);
	c->queued -= sent;
	total_queued -= sent;
	int empty = !c->sending && !c->head;
	closing = c->closing;
	pthread_mutex_unlock(&jd_link_mu);
	if (sent)
		c->active_ms = now_ms();
	if (drop || closing == LINK_CLOSE_NOW || (empty && closing == LINK_CLOSE_AFTER_FLUSH))
		return -1;
	return 0;
}

/* An ERROR frame to a connection that gets no slot, then close: best effort, never blocking. */
static void refuse(int fd, const char *msg)
{
	struct jd_wbuf b = {0};
	error_frame(&b, 0, JD_LINK_E_LIMIT, msg);
	if (!b.oom && send(fd, b.p, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* nothing more to do for it */
	}
	jd_wr_free(&b);
	close(fd);
	atomic_fetch_add(&ctr.refused, 1);
}

/* The slot of the longest-idle authenticated client that is not subscribed and has nothing to send
 * or half-sent, or NULL. */
static struct link_client *evictable(void)
{
	struct link_client *best = NULL;
	pthread_mutex_lock(&jd_link_mu);
	for (int i = 0; i < LINK_MAX_CLIENTS; i++) {
		struct link_client *c = &jd_link_clients[i];
		if (c->fd < 0 || !c->hello_done || c->subscribed || c->queued || c->in_len || c->closing)
			continue;
		if (!best || c->active_ms < best->active_ms)
			best = c;
	}
	pthread_mutex_unlock(&jd_link_mu);
	return best;
}

static void accept_clients(void)
{
	for (;;) {
		int fd = jd_fd_above_stdio(accept4(lsock.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
		if (fd < 0)
			return;
		struct stat st;
		if (fstat(fd, &st) != 0) {
			close(fd);
			continue;
		}
		struct link_client *slot = NULL;
		int preauth = 0;
		for (int i = 0; i < LINK_MAX_CLIENTS; i++) {
			struct link_client *c = &jd_link_clients[i];
			if (c->fd < 0 && !slot)
				slot = c;
			preauth += c->fd >= 0 && !c->hello_done;
		}
		if (preauth >= LINK_MAX_PREAUTH) {
			refuse(fd, "too many connections waiting for HELLO; try again");
			continue;
		}
		if (!slot && (slot = evictable())) {
			link_send_error(slot, 0, JD_LINK_E_LIMIT, "closed: idle, and its slot was needed", 1);
			service_output(slot);
			drop_client(slot);
			atomic_fetch_add(&ctr.evicted, 1);
		}
		if (!slot) {
			refuse(fd, "too many clients (64), none idle; try again");
			continue;
		}
		uint64_t t = now_ms();
		client_dev[slot - jd_link_clients] = st.st_dev;
		client_ino[slot - jd_link_clients] = st.st_ino;
		pthread_mutex_lock(&jd_link_mu);
		slot->fd = fd;
		slot->conn = next_conn++;
		pthread_mutex_unlock(&jd_link_mu);
		slot->accepted_ms = slot->active_ms = t;
		slot->frame_ms = 0;
		atomic_fetch_add(&ctr.accepted, 1);
	}
}

/* Lowers *next to deadline when it is sooner. */
static void due(uint64_t *next, uint64_t deadline)
{
	if (deadline < *next)
		*next = deadline;
}

/* Closes clients past a time limit: with an ERROR saying which when they still read, at once when
 * they do not read what is sent to them. Returns the time of the next limit (at most IDLE_POLL_MS
 * away), so the server sleeps until then. */
static uint64_t expire(uint64_t t)
{
	uint64_t next = t + IDLE_POLL_MS;
	for (int i = 0; i < LINK_MAX_CLIENTS; i++) {
		struct link_client *c = &jd_link_clients[i];
		if (c->fd < 0)
			continue;
		pthread_mutex_lock(&jd_link_mu);
		int unsent = c->queued != 0, subscribed = c->subscribed;
		pthread_mutex_unlock(&jd_link_mu);
		if (c->closing) {
			if (c->closing == LINK_CLOSE_AFTER_FLUSH && t - c->close_ms > CLOSE_FLUSH_MS)
				drop_client(c); /* it does not read its ERROR */
			else if (c->closing == LINK_CLOSE_AFTER_FLUSH)
				due(&next, c->close_ms + CLOSE_FLUSH_MS + 1);
			continue;
		}
		if (unsent && idle_timeout_ms && t - c->active_ms > idle_timeout_ms) {
			drop_client(c); /* nothing it was sent has been read for that long */
			atomic_fetch_add(&ctr.timed_out, 1);
			continue;
		}
		const char *why = NULL;
		if (!c->hello_done && t - c->accepted_ms > LINK_HELLO_TIMEOUT_MS)
			why = "no HELLO within 5 s";
		else if (c->in_len && frame_timeout_ms && c->frame_ms && t - c->frame_ms > frame_timeout_ms)
			why = "a frame was not completed in time (JITDEBUG_LINK_FRAME_TIMEOUT)";
		else if (!subscribed && !unsent && !c->in_len && idle_timeout_ms && t - c->active_ms > idle_timeout_ms)
			why = "idle for too long (JITDEBUG_LINK_IDLE_TIMEOUT)";
		if (why) {
			link_send_error(c, 0, JD_LINK_E_LIMIT, why, 1);
			c->in_len = 0;
			atomic_fetch_add(&ctr.timed_out, 1);
			due(&next, t); /* its ERROR goes out now */
			continue;
		}
		if (!c->hello_done)
			due(&next, c->accepted_ms + LINK_HELLO_TIMEOUT_MS + 1);
		if (c->in_len && frame_timeout_ms && c->frame_ms)
			due(&next, c->frame_ms + frame_timeout_ms + 1);
		if (idle_timeout_ms && (unsent || (!subscribed && !c->in_len)))
			due(&next, c->active_ms + idle_timeout_ms + 1);
	}
	return next;
}

/* After every poll: 0 while the listener and the wake-up pair are still the link's; clients whose
 * socket the program took back are forgotten (their numbers left alone). -1 when the listener or the
 * pair is lost: the link forgets every descriptor and its thread ends. */
static int check_owned(void)
{
	int lost = !still_owned(lsock.fd, lsock.dev, lsock.ino) || !still_owned(wake_rd.fd, wake_rd.dev, wake_rd.ino) ||
		   !still_owned(wake_wr.fd, wake_wr.dev, wake_wr.ino);
	for (int i = 0; i < LINK_MAX_CLIENTS; i++) {
		struct link_client *c = &jd_link_clients[i];
		if (c->fd < 0)
			continue;
		int mine = still_owned(c->fd, client_dev[i], client_ino[i]);
		if (!mine)
			atomic_fetch_add(&ctr.lost, 1);
		if (!mine || lost)
			release_client(c, !mine);
	}
	if (!lost)
		return 0;
	atomic_fetch_add(&ctr.lost, 1);
	atomic_store(&wake_wr_fd, -1);
	jitdebug_link_address[0] = '\0';
	/* A lost number is the program's now and is left alone. The listener and the wake-up's reading
	 * end are closed when still ours; the writing end is left open (a registration thread may be
	 * between its check and its send; the send never raises SIGPIPE either way). */
	if (still_owned(lsock.fd, lsock.dev, lsock.ino))
		close(lsock.fd);
	if (still_owned(wake_rd.fd, wake_rd.dev, wake_rd.ino))
		close(wake_rd.fd);
	lsock.fd = wake_rd.fd = wake_wr.fd = -1;
	if (start_spec[0])
		atomic_store(&restart_pending, 1);
	jd_warn_once("the program closed or reused descriptors of the debug link; the link stopped without "
		     "touching them, and starts anew at the next registration");
	return -1;
}

static void *server_main(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	struct pollfd pfd[LINK_MAX_CLIENTS + 2];
	int idx[LINK_MAX_CLIENTS + 2];
	uint64_t next = now_ms() + IDLE_POLL_MS;
	for (;;) {
		int n = 0, again = 0;
		pfd[n++] = (struct pollfd){lsock.fd, POLLIN, 0};
		pfd[n++] = (struct pollfd){wake_rd.fd, POLLIN, 0};
		pthread_mutex_lock(&jd_link_mu);
		for (int i = 0; i < LINK_MAX_CLIENTS; i++) {
			struct link_client *c = &jd_link_clients[i];
			if (c->fd < 0)
				continue;
			short ev = 0;
			if (!c->closing && c->queued < LINK_READ_PAUSE)
				ev |= POLLIN;
			if (c->queued || c->closing)
				ev |= POLLOUT;
			again |= c->more_input && c->queued < LINK_READ_PAUSE;
			idx[n] = i;
			pfd[n++] = (struct pollfd){c->fd, ev, 0};
		}
		pthread_mutex_unlock(&jd_link_mu);
		uint64_t t = now_ms();
		int wait_ms = again || next <= t ? 0 : (int)(next - t);
		int polled = poll(pfd, (nfds_t)n, wait_ms);
		if (check_owned() < 0)
			return NULL;
		if (polled < 0) {
			next = now_ms() + 10; /* ENOMEM or EINTR: look again soon, never spin */
			continue;
		}
		if (pfd[1].revents & POLLIN) {
			char drain[64];
			atomic_store(&wake_pending, 0); /* before draining: a later event wakes us again */
			while (recv(wake_rd.fd, drain, sizeof(drain), MSG_DONTWAIT) == (ssize_t)sizeof(drain)) {
			}
		}
		if (pfd[0].revents & POLLIN)
			accept_clients();
		for (int k = 2; k < n; k++) {
			struct link_client *c = &jd_link_clients[idx[k]];
			if (c->fd < 0 || c->fd != pfd[k].fd)
				continue; /* dropped or replaced during this turn */
			if (pfd[k].revents & POLLNVAL) {
				release_client(c, 1); /* closed under us (and not reused, or check_owned had seen it) */
				continue;
			}
			int readable = (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) || c->more_input;
			if (readable && !c->closing && service_input(c) < 0) {
				drop_client(c);
				continue;
			}
			if (service_output(c) < 0)
				drop_client(c);
		}
		next = expire(now_ms());
	}
	return NULL;
}

/* ---- start ------------------------------------------------------------------------------------- */

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

/* A timeout in seconds from the environment (0 = none); a bad value warns and keeps the default. */
static void timeout_from_env(const char *name, uint64_t *ms)
{
	const char *v = getenv(name);
	uint64_t s;
	if (!v || !*v)
		return;
	if (jd_parse_u64(v, 0, MAX_TIMEOUT_S, &s) != 0) {
		jd_warn_once("%s=%s is not a number of seconds from 0 to 86400; using %llu", name, v,
			     (unsigned long long)(*ms / 1000));
		return;
	}
	*ms = s * 1000u;
}

static int link_start(const char *spec)
{
	char host[256], why[192];
	uint16_t port;
	if (jd_parse_hostport(spec, host, sizeof(host), &port, why, sizeof(why)) != 0) {
		jd_warn_once("JITDEBUG_LISTEN: %s; the debug link is off", why);
		return -EINVAL;
	}
	const char *tok = getenv("JITDEBUG_TOKEN");
	if (tok && *tok) {
		token_len = strlen(tok);
		if (token_len > JD_LINK_MAX_TOKEN) {
			jd_warn_once("JITDEBUG_TOKEN is longer than %d bytes; the debug link is off", JD_LINK_MAX_TOKEN);
			token_len = 0;
			return -EINVAL;
		}
		memcpy(token, tok, token_len);
	}
	timeout_from_env("JITDEBUG_LINK_IDLE_TIMEOUT", &idle_timeout_ms);
	timeout_from_env("JITDEBUG_LINK_FRAME_TIMEOUT", &frame_timeout_ms);
	char service[8];
	snprintf(service, sizeof(service), "%u", port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *res = NULL;
	int gai = getaddrinfo(host[0] ? host : "127.0.0.1", service, &hints, &res);
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
		fd = jd_fd_above_stdio(socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
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
	int pp[2] = {-1, -1};
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pp) == 0) {
		pp[0] = jd_fd_above_stdio(pp[0]);
		pp[1] = jd_fd_above_stdio(pp[1]);
	}
	if (pp[0] < 0 || pp[1] < 0) {
		int e = errno;
		close(fd);
		if (pp[0] >= 0)
			close(pp[0]);
		if (pp[1] >= 0)
			close(pp[1]);
		return -e;
	}
	if (own(&lsock, fd) != 0 || own(&wake_rd, pp[0]) != 0 || own(&wake_wr, pp[1]) != 0) {
		close(fd);
		close(pp[0]);
		close(pp[1]);
		lsock.fd = wake_rd.fd = wake_wr.fd = -1;
		return -EBADF;
	}
	atomic_store(&wake_pending, 0);
	atomic_store(&wake_wr_fd, pp[1]);
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&th, &attr, server_main, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		atomic_store(&wake_wr_fd, -1);
		close(lsock.fd);
		close(wake_rd.fd);
		close(wake_wr.fd);
		lsock.fd = wake_rd.fd = wake_wr.fd = -1;
		return -err;
	}
	/* Several processes of one program may each print this (a server's workers, erl's helpers). */
	fprintf(stderr, "jitdebug: debug link listening on %s (pid %d, %s)\n", jitdebug_link_address, (int)getpid(),
		program_invocation_short_name);
	return 0;
}

/* ---- fork ---------------------------------------------------------------------------------------- */

static void link_fork(enum jd_fork_phase phase)
{
	if (phase == JD_FORK_PREPARE) {
		pthread_mutex_lock(&jd_link_mu);
		return;
	}
	if (phase == JD_FORK_PARENT) {
		pthread_mutex_unlock(&jd_link_mu);
		return;
	}
	/* The server thread stays in the parent: the child has no link. Its copies of the sockets are
	 * closed (the parent's stay open), and nothing is queued for clients nobody serves here. */
	for (int i = 0; i < LINK_MAX_CLIENTS; i++) {
		struct link_client *c = &jd_link_clients[i];
		if (c->fd >= 0 && still_owned(c->fd, client_dev[i], client_ino[i]))
			close(c->fd);
		free_blocks(take_queue_locked(c));
		free(c->in);
		memset(c, 0, sizeof(*c));
		c->fd = -1;
	}
	/* c->sending belonged to the server thread: it is not freed (the child never runs it). */
	link_watch_reset_locked();
	atomic_store(&jd_link_subscribers, 0);
	total_queued = 0;
	struct owned *mine[] = {&lsock, &wake_rd, &wake_wr};
	for (size_t i = 0; i < sizeof(mine) / sizeof(*mine); i++)
		if (still_owned(mine[i]->fd, mine[i]->dev, mine[i]->ino))
			close(mine[i]->fd);
	lsock.fd = wake_rd.fd = wake_wr.fd = -1;
	atomic_store(&wake_wr_fd, -1);
	jitdebug_link_address[0] = '\0'; /* nobody is pointed at the parent's link from the child */
	atomic_store(&restart_pending, start_port_zero);
	pthread_mutex_unlock(&jd_link_mu);
}

/* ---- the fuzzer's entry ------------------------------------------------------------------------- */

/* The fuzzer reads nothing: what was queued for it is dropped, so its requests go on being read. */
static void forget_replies(struct link_client *c)
{
	pthread_mutex_lock(&jd_link_mu);
	struct link_block *queued = take_queue_locked(c);
	pthread_mutex_unlock(&jd_link_mu);
	free_blocks(queued);
}

int jd_link_feed_for_tests(int fd, const uint8_t *data, size_t len)
{
	/* Bytes through the same framing and handlers as a socket client's, replies queued and dropped.
	 * Slot 0, with a descriptor the caller owns (e.g. /dev/null). */
	struct link_client *c = &jd_link_clients[0];
	c->fd = fd;
	c->conn = next_conn++;
	c->accepted_ms = c->active_ms = now_ms();
	for (size_t off = 0; off < len && !c->closing;) {
		size_t want = process_input(c);
		if (want == 0) {
			if (!c->more_input)
				break;
			forget_replies(c);
			continue;
		}
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
	while (!c->closing && (process_input(c), c->more_input))
		forget_replies(c);
	int fd_out = dup(fd);
	drop_client(c); /* closes fd; hand the caller a fresh one */
	return fd_out;
}

/* After a registration: starts the link anew in a child forked from a process whose link listened on
 * port 0 (the child's own link), or after the program took the link's descriptors back. A cheap
 * no-op otherwise. */
static void link_restart_if_pending(const struct jd_registration *r)
{
	(void)r;
	if (atomic_load_explicit(&restart_pending, memory_order_relaxed) && atomic_exchange(&restart_pending, 0))
		link_start(start_spec);
}

const struct jd_subscriber jd_link_subscriber = {
	.name = "link",
	.wants_first_symbol = link_wants_first_symbol,
	.registered_locked = link_registered_locked,
	.unregistered_locked = link_unregistered_locked,
	.registered = link_restart_if_pending,
	.fork = link_fork,
	.stats = link_stats,
};

__attribute__((constructor)) static void link_autostart(void)
{
	for (int i = 0; i < LINK_MAX_CLIENTS; i++)
		jd_link_clients[i].fd = -1;
	const char *spec = getenv("JITDEBUG_LISTEN");
	char host[256], why[8];
	uint16_t port = 1;
	if (spec && *spec && link_start(spec) == 0 && strlen(spec) < sizeof(start_spec)) {
		memcpy(start_spec, spec, strlen(spec) + 1);
		start_port_zero = jd_parse_hostport(spec, host, sizeof(host), &port, why, sizeof(why)) == 0 && port == 0;
	}
}
