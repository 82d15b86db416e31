/* fuzz_elf.c — libFuzzer target: arbitrary bytes through the ELF reader (every accessor), through the
 * build-id and the published file (what a debuginfod server could answer is read the same way), and
 * through registration in the hooks (validation, NOBITS fix-up with its memory reads, build-id,
 * section records, GDB list, unregister). */
#include "buildid.h"
#include "jitdebug-hooks.h"
#include "jitdebug.h"

#include <stdlib.h>
#include <string.h>

static void quiet(int level, const char *msg, void *ctx) { (void)level, (void)msg, (void)ctx; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		jd_hooks_set_log(quiet, NULL);
		init = 1;
	}
	char why[256];
	struct jd_elf *e = jd_elf_open(data, size, NULL, why, sizeof(why));
	if (e) {
		volatile size_t sink = 0;
		struct jd_elf_section s;
		for (size_t i = 0; jd_elf_section(e, i, &s) == 0; i++) {
			sink += strlen(s.name);
			struct jd_elf_rela r;
			for (size_t k = 0; k < 64 && jd_elf_rela(e, &s, k, &r) == 0; k++)
				sink += r.offset;
		}
		for (size_t i = 0; i < jd_elf_symbol_count(e); i++) {
			struct jd_elf_symbol sym;
			jd_elf_symbol(e, i, &sym);
			sink += strlen(sym.name) + sym.addr;
		}
		const uint8_t *id;
		size_t len;
		if (jd_elf_build_id(e, &id, &len) == 0 && len)
			sink += id[len - 1];
		uint64_t lo, hi;
		jd_elf_alloc_range(e, &lo, &hi);
		jd_elf_close(e);
	} else {
		(void)strlen(why);
	}
	uint8_t bid[JD_BUILD_ID_MAX], *img = NULL;
	uint32_t bid_len;
	size_t img_size;
	if (jd_publish_image(data, size, &img, &img_size, 0, bid, &bid_len, why, sizeof(why)) >= 0) {
		/* The published file must parse and keep the id. */
		uint8_t back[JD_BUILD_ID_MAX];
		uint32_t back_len;
		if (jd_object_build_id(img, img_size, back, &back_len, why, sizeof(why)) < 0 || back_len != bid_len ||
		    memcmp(back, bid, bid_len) != 0)
			abort();
		free(img);
	}
	uint64_t obj;
	if (jd_register_object(data, size, NULL, &obj) == 0)
		jd_unregister_object(obj);
	return 0;
}
