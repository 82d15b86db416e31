/* foreign_list.c — LIST of another registrar's large objects is paged, so one client's LIST never
 * holds the link's thread for all of them (a FETCH from another client waited 3.6 s behind a LIST of
 * 40 objects of 64 MiB). A GDB JIT list of the program's own (GDB's jit-elf pattern, exported) holds
 * six copies of OBJECT padded to 3 MiB; the hooks (linked in) listen (JITDEBUG_LISTEN). Raw LIST
 * requests (max 0: as many as fit) must each read at most 4 MiB of those objects, so each reply holds
 * one object and says `more`, and paging with the last id yields all six. A second LIST reads none of
 * them again (the link keeps what it found): one reply holds all six, with the same build-ids.
 * Ends with "N passed, N failed".
 *   foreign_list OBJECT */
#include "abi.h"
#include "linkwire.h"
#include "objfile.h"
#include "place.h"

#include <stdio.h>

struct jit_descriptor __jit_debug_descriptor = {1, 0, NULL, NULL};
void __attribute__((noinline)) __jit_debug_register_code(void) { __asm__ volatile("" ::: "memory"); }

enum { COPIES = 6, PADDED = 3u << 20 };

static int passed, failed;
static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	ok ? passed++ : failed++;
}

static uint8_t payload[JD_LINK_MAX_FRAME + 64];

int main(int argc, char **argv)
{
	alarm(60);
	size_t size;
	uint8_t *obj = argc == 2 ? read_object(argv[1], &size) : NULL;
	if (!obj || size > PADDED || !jitdebug_link_address[0]) {
		fprintf(stderr, "usage: JITDEBUG_LISTEN=127.0.0.1:0 foreign_list OBJECT\n");
		return 2;
	}
	static struct jit_code_entry entries[COPIES];
	for (int i = 0; i < COPIES; i++) {
		uint8_t *copy = calloc(1, PADDED);
		memcpy(copy, obj, size);
		place_object(copy);
		entries[i] = (struct jit_code_entry){i + 1 < COPIES ? &entries[i + 1] : NULL, i ? &entries[i - 1] : NULL,
						     (const char *)copy, PADDED};
	}
	__jit_debug_descriptor.first_entry = entries;
	__jit_debug_descriptor.relevant_entry = entries;
	__jit_debug_descriptor.action_flag = 1;
	__jit_debug_register_code();
	__jit_debug_descriptor.action_flag = 0;

	int fd = link_hello("");
	check(fd >= 0, "HELLO");
	int replies[2] = {0, 0}, objects[2] = {0, 0}, most[2] = {0, 0};
	for (int pass = 0; pass < 2; pass++) {
		uint64_t after = 0;
		for (int more = 1; more && fd >= 0 && replies[pass] < 3 * COPIES; replies[pass]++) {
			struct jd_wbuf b = {0};
			size_t f = jd_wr_begin(&b, JD_MSG_LIST, (uint32_t)replies[pass] + 2);
			jd_wr_u64(&b, after);
			jd_wr_u32(&b, 0);
			jd_wr_end(&b, f);
			send_all(fd, b.p, b.len);
			jd_wr_free(&b);
			struct jd_link_hdr h;
			if (recv_frame_into(fd, &h, payload, sizeof(payload)) != JD_MSG_LIST_OK)
				break;
			struct jd_rcur r = {payload, h.size, 0, 0};
			jd_rd_u64(&r);
			uint32_t count = jd_rd_u32(&r);
			more = jd_rd_u8(&r);
			for (uint32_t i = 0; i < count && !r.bad; i++) {
				after = jd_rd_u64(&r);
				jd_rd_u64(&r), jd_rd_u64(&r), jd_rd_u64(&r), jd_rd_u32(&r);
				uint16_t n;
				jd_rd_str(&r, &n);
			}
			objects[pass] += (int)count;
			most[pass] = (int)count > most[pass] ? (int)count : most[pass];
		}
		printf("    LIST %d: %d objects of 3 MiB in %d replies (at most %d in one)\n", pass + 1, objects[pass],
		       replies[pass], most[pass]);
	}
	check(objects[0] == COPIES, "paging with the last id lists every object of the other registrar");
	check(most[0] == 1, "no reply reads more than 4 MiB of another registrar's objects (one 3 MiB object each)");
	check(objects[1] == COPIES && replies[1] == 1, "a second LIST reads none of them again: one reply holds all six");
	if (fd >= 0)
		close(fd);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
