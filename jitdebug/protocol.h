/* protocol.h — the debug link's wire format (docs/protocol.md), shared by the server in the hooks and
 * the client here. Internal: not installed. Every read from the wire goes through struct jd_rcur,
 * which checks before it reads and latches the first error. */
#ifndef JD_PROTOCOL_H
#define JD_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "jitdebug.h" /* JD_MAX_OBJECT_SIZE */
#include "wbuf.h"

#define JD_LINK_VERSION 2u     /* 2: LIST_OK entries end with the build-id */
#define JD_LINK_VERSION_MIN 1u
#define JD_LINK_HDR_SIZE 16u
#define JD_LINK_MAX_FRAME (1u << 20)
#define JD_LINK_MAX_FRAME_PREAUTH 4096u
#define JD_LINK_MAX_CHUNK (512u * 1024u)
#define JD_LINK_MAX_NAME 4096u

enum jd_link_type {
	JD_MSG_HELLO = 0x01,
	JD_MSG_LIST = 0x02,
	JD_MSG_FETCH = 0x03,
	JD_MSG_LOOKUP_SYMBOL = 0x04,
	JD_MSG_LOOKUP_ADDR = 0x05,
	JD_MSG_SUBSCRIBE = 0x06,
	JD_MSG_WATCH = 0x07,
	JD_MSG_HELLO_OK = 0x41,
	JD_MSG_LIST_OK = 0x42,
	JD_MSG_FETCH_OK = 0x43,
	JD_MSG_LOOKUP_OK = 0x44,
	JD_MSG_OK = 0x45,
	JD_MSG_ERROR = 0x7f,
	JD_EV_REGISTERED = 0x81,
	JD_EV_UNREGISTERED = 0x82,
	JD_EV_WATCH_MATCH = 0x83,
};

enum jd_link_error {
	JD_LINK_E_PROTOCOL = 1,
	JD_LINK_E_VERSION = 2,
	JD_LINK_E_TOKEN = 3,
	JD_LINK_E_UNKNOWN = 4,
	JD_LINK_E_NO_OBJECT = 5,
	JD_LINK_E_RANGE = 6,
	JD_LINK_E_LIMIT = 7,
	JD_LINK_E_INTERNAL = 8,
};

struct jd_link_hdr {
	uint32_t size;
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
};

/* Parses a header at the start of buf. 0: need more bytes; 1: a whole frame (header + payload) is
 * in buf; -1: protocol error (*why set): payload over max_payload, non-zero flags or reserved. */
int jd_link_parse(const uint8_t *buf, size_t len, uint32_t max_payload, struct jd_link_hdr *hdr, const char **why);
void jd_link_put_hdr(uint8_t out[JD_LINK_HDR_SIZE], uint16_t type, uint32_t seq, uint32_t size);

struct jd_rcur {
	const uint8_t *p;
	size_t len, off;
	int bad; /* latched: a read past the end happened */
};
uint8_t jd_rd_u8(struct jd_rcur *c);
uint16_t jd_rd_u16(struct jd_rcur *c);
uint32_t jd_rd_u32(struct jd_rcur *c);
uint64_t jd_rd_u64(struct jd_rcur *c);
/* A u16-length string: *s points into the frame (not NUL-terminated), or NULL when bad. */
const char *jd_rd_str(struct jd_rcur *c, uint16_t *len);
const uint8_t *jd_rd_bytes(struct jd_rcur *c, size_t n);

/* Frames are written into a struct jd_wbuf (wbuf.h). */
void jd_wr_str(struct jd_wbuf *b, const char *s, size_t len); /* u16 length, truncated to JD_LINK_MAX_NAME */
/* Starts a frame (reserves the header); jd_wr_end fills the header's size. Returns the frame start. */
size_t jd_wr_begin(struct jd_wbuf *b, uint16_t type, uint32_t seq);
void jd_wr_end(struct jd_wbuf *b, size_t start);

#endif
