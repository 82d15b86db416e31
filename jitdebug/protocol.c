/* protocol.c — the debug link's framing and bounded field codecs (docs/protocol.md). */
#include "protocol.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

static uint16_t le16(const uint8_t *p) { return (uint16_t)jd_le(p, 2); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)jd_le(p, 4); }
static uint64_t le64(const uint8_t *p) { return jd_le(p, 8); }

int jd_link_parse(const uint8_t *buf, size_t len, uint32_t max_payload, struct jd_link_hdr *hdr, const char **why)
{
	if (len < JD_LINK_HDR_SIZE)
		return 0;
	hdr->size = le32(buf);
	hdr->type = le16(buf + 4);
	hdr->flags = le16(buf + 6);
	hdr->seq = le32(buf + 8);
	if (hdr->size > max_payload) {
		*why = "frame larger than the limit";
		return -1;
	}
	if (hdr->flags != 0 || le32(buf + 12) != 0) {
		*why = "non-zero reserved header fields";
		return -1;
	}
	return len - JD_LINK_HDR_SIZE >= hdr->size ? 1 : 0;
}

void jd_link_put_hdr(uint8_t out[JD_LINK_HDR_SIZE], uint16_t type, uint32_t seq, uint32_t size)
{
	memset(out, 0, JD_LINK_HDR_SIZE);
	for (int i = 0; i < 4; i++) {
		out[i] = (uint8_t)(size >> (8 * i));
		out[8 + i] = (uint8_t)(seq >> (8 * i));
	}
	out[4] = (uint8_t)type;
	out[5] = (uint8_t)(type >> 8);
}

static const uint8_t *take(struct jd_rcur *c, size_t n)
{
	if (c->bad || c->len - c->off < n) {
		c->bad = 1;
		return NULL;
	}
	const uint8_t *p = c->p + c->off;
	c->off += n;
	return p;
}

uint8_t jd_rd_u8(struct jd_rcur *c) { const uint8_t *p = take(c, 1); return p ? p[0] : 0; }
uint16_t jd_rd_u16(struct jd_rcur *c) { const uint8_t *p = take(c, 2); return p ? le16(p) : 0; }
uint32_t jd_rd_u32(struct jd_rcur *c) { const uint8_t *p = take(c, 4); return p ? le32(p) : 0; }
uint64_t jd_rd_u64(struct jd_rcur *c) { const uint8_t *p = take(c, 8); return p ? le64(p) : 0; }
const uint8_t *jd_rd_bytes(struct jd_rcur *c, size_t n) { return take(c, n); }

const char *jd_rd_str(struct jd_rcur *c, uint16_t *len)
{
	*len = jd_rd_u16(c);
	if (*len > JD_LINK_MAX_NAME)
		c->bad = 1;
	return (const char *)take(c, *len);
}

void jd_wr_str(struct jd_wbuf *b, const char *s, size_t len)
{
	if (len > JD_LINK_MAX_NAME)
		len = JD_LINK_MAX_NAME;
	jd_wr_u16(b, (uint16_t)len);
	jd_wr_bytes(b, s, len);
}

size_t jd_wr_begin(struct jd_wbuf *b, uint16_t type, uint32_t seq)
{
	size_t start = b->len;
	uint8_t *h = jd_wr_reserve(b, JD_LINK_HDR_SIZE);
	if (h)
		jd_link_put_hdr(h, type, seq, 0);
	return start;
}

void jd_wr_end(struct jd_wbuf *b, size_t start)
{
	if (b->oom)
		return;
	uint32_t size = (uint32_t)(b->len - start - JD_LINK_HDR_SIZE);
	for (int i = 0; i < 4; i++)
		b->p[start + (size_t)i] = (uint8_t)(size >> (8 * i));
}
