/* buildid.c — the build-id of a JIT object and the ELF file that publishes it (docs/fleet.md).
 *
 * An object's build-id is its own GNU build-id note when it has one of 1 to 20 bytes; otherwise it is
 * the SHA-1 of the object's content with its load addresses and file layout taken out, so the same
 * code has the same id in every process, whichever addresses its sections got and whichever registrar
 * patched its section headers. The published file is the object with every sh_addr 0 and, when it had
 * no note, a `.note.gnu.build-id` section appended (a new section-name table and section header table
 * after the original bytes, every original section keeping its index), so a debuginfod indexes it and
 * its content id is unchanged. SHA-1 is implemented here from FIPS 180-4.
 */
#include "bytes.h"
#include "buildid.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_NAME ".note.gnu.build-id"

/* ---- SHA-1 ------------------------------------------------------------------------------------- */

struct sha1 {
	uint32_t h[5];
	uint64_t total;
	uint8_t block[64];
	size_t used;
};

static uint32_t rol(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(struct sha1 *s, const uint8_t *p)
{
	uint32_t w[80];
	for (unsigned i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (unsigned i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
	for (unsigned i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999u;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1u;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdcu;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6u;
		}
		uint32_t t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/* The same compression with the x86 SHA extensions (Intel's SHA-NI instructions), about five times
 * the portable speed: W[k] = msg2(msg1(W[k-4], W[k-3]) ^ W[k-2], W[k-1]) for the four-round groups
 * k >= 4, E and ABCD carried as in the instructions' definition. */
#define SHA_NI __attribute__((target("sha,sse4.1,ssse3")))
#define SHA_STEP(k)                                                                                           \
	do {                                                                                                  \
		if ((k) >= 4)                                                                                 \
			m[(k) % 4] = _mm_sha1msg2_epu32(                                                      \
				_mm_xor_si128(_mm_sha1msg1_epu32(m[(k) % 4], m[((k) + 1) % 4]), m[((k) + 2) % 4]), \
				m[((k) + 3) % 4]);                                                            \
		if ((k) == 0) {                                                                               \
			e0 = _mm_add_epi32(e0, m[0]);                                                         \
			e1 = abcd;                                                                            \
			abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);                                              \
		} else if ((k) % 2) {                                                                         \
			e1 = _mm_sha1nexte_epu32(e1, m[(k) % 4]);                                             \
			e0 = abcd;                                                                            \
			abcd = _mm_sha1rnds4_epu32(abcd, e1, (k) / 5);                                        \
		} else {                                                                                      \
			e0 = _mm_sha1nexte_epu32(e0, m[(k) % 4]);                                             \
			e1 = abcd;                                                                            \
			abcd = _mm_sha1rnds4_epu32(abcd, e0, (k) / 5);                                        \
		}                                                                                             \
	} while (0)

SHA_NI static void sha1_block_ni(uint32_t h[5], const uint8_t *p)
{
	const __m128i swap = _mm_set_epi64x(0x0001020304050607ll, 0x08090a0b0c0d0e0fll);
	__m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1b);
	__m128i e0 = _mm_set_epi32((int)h[4], 0, 0, 0), e1;
	const __m128i abcd_in = abcd, e_in = e0;
	__m128i m[4];
	for (int i = 0; i < 4; i++)
		m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), swap);
	SHA_STEP(0); SHA_STEP(1); SHA_STEP(2); SHA_STEP(3); SHA_STEP(4);
	SHA_STEP(5); SHA_STEP(6); SHA_STEP(7); SHA_STEP(8); SHA_STEP(9);
	SHA_STEP(10); SHA_STEP(11); SHA_STEP(12); SHA_STEP(13); SHA_STEP(14);
	SHA_STEP(15); SHA_STEP(16); SHA_STEP(17); SHA_STEP(18); SHA_STEP(19);
	e0 = _mm_sha1nexte_epu32(e0, e_in);
	abcd = _mm_add_epi32(abcd, abcd_in);
	_mm_storeu_si128((__m128i *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

static int have_sha_ni(void)
{
	static int have = -1;
	if (have < 0) {
		unsigned a, b, c, d;
		int sse = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1);
		have = sse && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
	}
	return have;
}
#endif

int jd_sha1_portable_only; /* tests: 1 compares the portable code with the instructions */

static void compress(struct sha1 *s, const uint8_t *p)
{
#if defined(__x86_64__)
	if (!jd_sha1_portable_only && have_sha_ni()) {
		sha1_block_ni(s->h, p);
		return;
	}
#endif
	sha1_block(s, p);
}

static void sha1_init(struct sha1 *s)
{
	*s = (struct sha1){.h = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u}};
}

static void sha1_update(struct sha1 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	s->total += len;
	if (s->used) {
		size_t n = 64 - s->used < len ? 64 - s->used : len;
		memcpy(s->block + s->used, p, n);
		s->used += n;
		p += n;
		len -= n;
		if (s->used < 64)
			return;
		compress(s, s->block);
		s->used = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		compress(s, p);
	memcpy(s->block, p, len);
	s->used = len;
}

static void sha1_final(struct sha1 *s, uint8_t out[20])
{
	uint64_t bits = s->total * 8;
	uint8_t pad[72] = {0x80};
	size_t n = (s->used < 56 ? 56 : 120) - s->used;
	for (unsigned i = 0; i < 8; i++)
		pad[n + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_update(s, pad, n + 8);
	for (unsigned i = 0; i < 20; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

int jd_sha1(const void *data, size_t len, uint8_t out[20])
{
	struct sha1 s;
	sha1_init(&s);
	sha1_update(&s, data, len);
	sha1_final(&s, out);
	return 0;
}

/* ---- the content id ---------------------------------------------------------------------------- */

static void put_le(struct sha1 *s, uint64_t v, unsigned n)
{
	uint8_t b[8];
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	sha1_update(s, b, n);
}

static int is_build_id_note(const struct jd_elf_section *sec)
{
	return sec->type == SHT_NOTE && strcmp(sec->name, NOTE_NAME) == 0;
}

int jd_elf_content_id(const struct jd_elf *elf, const void *data, uint8_t out[20])
{
	const uint8_t *d = data;
	struct sha1 s;
	sha1_init(&s);
	sha1_update(&s, "jitdebug build-id 1", 20); /* the scheme's name and version, NUL included */
	sha1_update(&s, d + EI_CLASS, 2);           /* class and byte order */
	put_le(&s, jd_elf_type(elf), 2);
	put_le(&s, jd_elf_machine(elf), 2);
	put_le(&s, jd_le(d + offsetof(Elf64_Ehdr, e_flags), 4), 4);
	uint64_t shstrndx = jd_le(d + offsetof(Elf64_Ehdr, e_shstrndx), 2);
	size_t n = jd_elf_section_count(elf);
	/* The note publishing appends (the last section, its name last in the section-name table) is left
	 * out, and so is its name. Any other note is content like any section: an object that adds a note
	 * this scheme does not take as its id (over 20 bytes, say) does not share the id of the object
	 * without it. */
	size_t appended = 0;
	struct jd_elf_section names, last;
	if (shstrndx && shstrndx < n && n > 2 && jd_elf_section(elf, shstrndx, &names) == 0 && names.type != SHT_NOBITS &&
	    jd_elf_section(elf, n - 1, &last) == 0 && is_build_id_note(&last) &&
	    (const uint8_t *)last.name == d + names.offset + names.size - sizeof(NOTE_NAME))
		appended = n - 1;
	for (size_t i = 1; i < n; i++) {
		struct jd_elf_section sec;
		if (jd_elf_section(elf, i, &sec) != 0)
			return -EINVAL;
		if (appended && i == appended)
			continue;
		if (appended && i == shstrndx)
			sec.size -= sizeof(NOTE_NAME);
		sha1_update(&s, sec.name, strlen(sec.name) + 1);
		put_le(&s, sec.type, 4);
		put_le(&s, sec.flags, 8);
		put_le(&s, sec.size, 8);
		put_le(&s, sec.link, 4);
		put_le(&s, sec.info, 4);
		put_le(&s, sec.align, 8);
		put_le(&s, sec.entsize, 8);
		if (sec.type != SHT_NOBITS)
			sha1_update(&s, d + sec.offset, sec.size); /* in bounds: jd_elf_open checked every range */
	}
	sha1_final(&s, out);
	return 0;
}

int jd_elf_object_id(const struct jd_elf *elf, const void *data, uint8_t out[JD_BUILD_ID_MAX], uint32_t *len)
{
	const uint8_t *own;
	size_t own_len;
	if (jd_elf_build_id(elf, &own, &own_len) == 0 && own_len >= 1 && own_len <= JD_BUILD_ID_MAX) {
		memcpy(out, own, own_len);
		*len = (uint32_t)own_len;
		return JD_BUILD_ID_NOTE;
	}
	if (jd_elf_content_id(elf, data, out) != 0)
		return -EINVAL;
	*len = 20;
	return JD_BUILD_ID_CONTENT;
}

int jd_object_build_id(const void *data, size_t size, uint8_t out[JD_BUILD_ID_MAX], uint32_t *len, char *err,
		       size_t errlen)
{
	static const struct jd_elf_open_opts light = {.sz = sizeof(light), .flags = JD_ELF_SECTIONS_ONLY};
	struct jd_elf *elf = jd_elf_open(data, size, &light, err, errlen);
	if (!elf)
		return -EINVAL;
	int kind = jd_elf_object_id(elf, data, out, len);
	jd_elf_close(elf);
	if (kind < 0 && err && errlen)
		snprintf(err, errlen, "unreadable section table");
	return kind;
}

int jd_build_id_format(const uint8_t *id, size_t len, char *out, size_t outlen)
{
	if (outlen < 2 * len + 1)
		return -ERANGE;
	for (size_t i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
	out[2 * len] = '\0';
	return 0;
}

int jd_build_id_parse(const char *hex, uint8_t out[JD_BUILD_ID_MAX], uint32_t *len)
{
	size_t n = hex ? strlen(hex) : 0;
	if (n == 0 || n % 2 || n > 2 * JD_BUILD_ID_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v = 0;
		for (unsigned k = 0; k < 2; k++) {
			char c = hex[i + k];
			unsigned x = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
				   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
			if (x > 15)
				return -EINVAL;
			v = v * 16 + x;
		}
		out[i / 2] = (uint8_t)v;
	}
	*len = (uint32_t)(n / 2);
	return 0;
}

/* ---- the published file ------------------------------------------------------------------------ */

int jd_publish_image(const void *data, size_t size, uint8_t **image, size_t *image_size, int known,
		     uint8_t id[JD_BUILD_ID_MAX], uint32_t *id_len, char *err, size_t errlen)
{
	static const struct jd_elf_open_opts light = {.sz = sizeof(light), .flags = JD_ELF_SECTIONS_ONLY};
	if (size > JD_MAX_OBJECT_SIZE) {
		snprintf(err, errlen, "larger than %u bytes", JD_MAX_OBJECT_SIZE);
		return -E2BIG;
	}
	struct jd_elf *elf = jd_elf_open(data, size, &light, err, errlen);
	if (!elf)
		return -EINVAL;
	int kind = known ? known : jd_elf_object_id(elf, data, id, id_len);
	const uint8_t *d = data;
	uint64_t shoff = jd_le(d + offsetof(Elf64_Ehdr, e_shoff), 8);
	uint64_t shnum = jd_elf_section_count(elf), shstrndx = jd_le(d + offsetof(Elf64_Ehdr, e_shstrndx), 2);
	struct jd_elf_section names;
	int add_note = kind == JD_BUILD_ID_CONTENT;
	int rc = -EINVAL;
	if (kind < 0) {
		snprintf(err, errlen, "unreadable section table");
		goto out;
	}
	if (add_note && (shnum >= SHN_LORESERVE - 1 || shstrndx == 0 || shstrndx >= shnum ||
			 jd_elf_section(elf, shstrndx, &names) != 0 || names.type != SHT_STRTAB)) {
		snprintf(err, errlen, "no section-name table to add the build-id note's name to");
		goto out;
	}
	/* Appended: [pad to 8] new names (old + NOTE_NAME) [pad to 4] note [pad to 8] section headers. */
	size_t at_names = (size + 7) & ~(size_t)7, names_size = add_note ? (size_t)names.size + sizeof(NOTE_NAME) : 0;
	size_t at_note = (at_names + names_size + 3) & ~(size_t)3, note_size = add_note ? 16 + 20 : 0;
	size_t at_shdrs = (at_note + note_size + 7) & ~(size_t)7;
	size_t total = add_note ? at_shdrs + (shnum + 1) * sizeof(Elf64_Shdr) : size;
	uint8_t *img = calloc(1, total);
	if (!img) {
		snprintf(err, errlen, "out of memory for a %zu-byte file", total);
		rc = -ENOMEM;
		goto out;
	}
	memcpy(img, data, size);
	uint8_t *sh = img + shoff;
	if (add_note) {
		memcpy(img + at_shdrs, d + shoff, shnum * sizeof(Elf64_Shdr));
		sh = img + at_shdrs;
		memcpy(img + at_names, d + names.offset, names.size);
		memcpy(img + at_names + names.size, NOTE_NAME, sizeof(NOTE_NAME));
		uint8_t *n = img + at_note;
		jd_store_le(n, 4, 4);
		jd_store_le(n + 4, 20, 4);
		jd_store_le(n + 8, NT_GNU_BUILD_ID, 4);
		memcpy(n + 12, "GNU", 4);
		memcpy(n + 16, id, 20);
		uint8_t *ns = sh + shstrndx * sizeof(Elf64_Shdr);
		jd_store_le(ns + offsetof(Elf64_Shdr, sh_offset), at_names, 8);
		jd_store_le(ns + offsetof(Elf64_Shdr, sh_size), names_size, 8);
		uint8_t *note = sh + shnum * sizeof(Elf64_Shdr);
		jd_store_le(note + offsetof(Elf64_Shdr, sh_name), names.size, 4);
		jd_store_le(note + offsetof(Elf64_Shdr, sh_type), SHT_NOTE, 4);
		jd_store_le(note + offsetof(Elf64_Shdr, sh_offset), at_note, 8);
		jd_store_le(note + offsetof(Elf64_Shdr, sh_size), note_size, 8);
		jd_store_le(note + offsetof(Elf64_Shdr, sh_addralign), 4, 8);
		jd_store_le(img + offsetof(Elf64_Ehdr, e_shoff), at_shdrs, 8);
		jd_store_le(img + offsetof(Elf64_Ehdr, e_shnum), shnum + 1, 2);
	}
	/* Addresses out, in the table in use and in the original one left behind it: the same object
	 * publishes the same bytes from every process. */
	if (jd_elf_type(elf) == ET_REL)
		for (uint64_t i = 0; i < shnum; i++) {
			jd_store_le(sh + i * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_addr), 0, 8);
			jd_store_le(img + shoff + i * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_addr), 0, 8);
		}
	*image = img;
	*image_size = total;
	rc = kind;
out:
	jd_elf_close(elf);
	return rc;
}
