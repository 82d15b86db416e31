/* buildid.h — build-ids and published files inside libjitdebug and the hooks (internal; the public
 * calls are in jitdebug.h). docs/fleet.md. */
#ifndef JD_BUILDID_H
#define JD_BUILDID_H
#include "jitdebug.h"

/* The object's build-id from an open object (data: the bytes it was opened on): JD_BUILD_ID_NOTE,
 * JD_BUILD_ID_CONTENT or -EINVAL. */
int jd_elf_object_id(const struct jd_elf *elf, const void *data, uint8_t out[JD_BUILD_ID_MAX], uint32_t *len);
/* The content id alone (20 bytes). */
int jd_elf_content_id(const struct jd_elf *elf, const void *data, uint8_t out[20]);
int jd_sha1(const void *data, size_t len, uint8_t out[20]);
/* Non-zero: SHA-1 uses the portable code even where the CPU has SHA instructions (for the tests). */
extern int jd_sha1_portable_only;
/* The file published for an object (malloc'ed *image): addresses out, a build-id note added when the
 * object has none. known: 0, and the id is computed into id/id_len; or the id's kind when id/id_len
 * already hold the object's id (the hooks computed it at registration). Returns the id's kind, or a
 * negative errno with err set. */
int jd_publish_image(const void *data, size_t size, uint8_t **image, size_t *image_size, int known,
		     uint8_t id[JD_BUILD_ID_MAX], uint32_t *id_len, char *err, size_t errlen);
/* Writes a published image into DIR unless its file is there (*written 1 or 0). 0 or a negative errno. */
int jd_publish_write(const char *dir, const uint8_t *id, uint32_t id_len, const uint8_t *image, size_t size,
		     int *written, char *err, size_t errlen);
#endif
