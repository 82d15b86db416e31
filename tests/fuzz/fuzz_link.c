/* fuzz_link.c — libFuzzer target: arbitrary bytes through the link server's framing and request
 * handlers, exactly as a socket client's bytes go (jd_link_feed_for_tests), with one object
 * registered so that LIST, FETCH and the lookups reach real data. */
#include "elfbuild.h"
#include "jitdebug-hooks.h"

#include <fcntl.h>
#include <unistd.h>

int jd_link_feed_for_tests(int fd, const uint8_t *data, size_t len);

static void quiet(int level, const char *msg, void *ctx) { (void)level, (void)msg, (void)ctx; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static struct eb obj;
	if (fd < 0) {
		jd_hooks_set_log(quiet, NULL);
		eb_build(&obj, 0x7f0000001000);
		jd_register_object(obj.buf, obj.size, NULL, NULL);
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	}
	fd = jd_link_feed_for_tests(fd, data, size);
	return 0;
}
