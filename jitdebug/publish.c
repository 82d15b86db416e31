/* publish.c — writing JIT objects into a tree by build-id, for `debuginfod -F DIR` (docs/fleet.md).
 *
 * DIR/XX/REST.debug, XX the build-id's first byte in hex. A writer puts the whole file under a
 * temporary name in DIR/XX (".REST.PID.N.tmp", the section headers last, so a half-written file is
 * not an ELF file anyone indexes) and then link()s it to its name: the first writer wins, the others
 * see EEXIST and remove their copy, so the tree never holds a partial or replaced file, whichever
 * processes or hosts share it. Where link() is not supported, rename() (atomic; the content is the
 * same for the same build-id).
 */
#include "buildid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int jd_publish_write(const char *dir, const uint8_t *id, uint32_t id_len, const uint8_t *image, size_t size,
		     int *written, char *err, size_t errlen)
{
	static _Atomic unsigned counter;
	char hex[2 * JD_BUILD_ID_MAX + 1], sub[4096], path[4096], tmp[4096];
	if (written)
		*written = 0;
	if (!dir || !*dir || id_len < 2 || jd_build_id_format(id, id_len, hex, sizeof(hex)) != 0) {
		snprintf(err, errlen, "no directory or no build-id");
		return -EINVAL;
	}
	if (snprintf(sub, sizeof(sub), "%s/%.2s", dir, hex) >= (int)sizeof(sub) ||
	    snprintf(path, sizeof(path), "%s/%s.debug", sub, hex + 2) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.%u.tmp", sub, hex + 2, (long)getpid(), atomic_fetch_add(&counter, 1)) >=
		    (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	struct stat st;
	if (stat(path, &st) == 0)
		return 0; /* published before: by this process, another one or another host */
	if ((mkdir(dir, 0755) != 0 && errno != EEXIST) || (mkdir(sub, 0755) != 0 && errno != EEXIST)) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", sub, strerror(e));
		return -e;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(e));
		return -e;
	}
	int rc = write_all(fd, image, size);
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(-rc));
		unlink(tmp);
		return rc;
	}
	if (link(tmp, path) == 0) {
		if (written)
			*written = 1;
	} else if (errno != EEXIST) {
		int e = errno;
		if ((e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EXDEV) && rename(tmp, path) == 0) {
			if (written)
				*written = 1;
			return 0;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		unlink(tmp);
		return -e;
	}
	unlink(tmp);
	return 0;
}

int jd_object_publish(const char *dir, const void *data, size_t size, uint8_t id[JD_BUILD_ID_MAX], uint32_t *id_len,
		      int *written, char *err, size_t errlen)
{
	uint8_t *image, own[JD_BUILD_ID_MAX];
	size_t image_size;
	uint32_t len;
	if (!data || size > JD_MAX_OBJECT_SIZE) {
		snprintf(err, errlen, "no object, or larger than %u bytes", JD_MAX_OBJECT_SIZE);
		return -EINVAL;
	}
	int kind = jd_publish_image(data, size, &image, &image_size, 0, own, &len, err, errlen);
	if (kind < 0)
		return kind;
	int rc = jd_publish_write(dir, own, len, image, image_size, written, err, errlen);
	free(image);
	if (id)
		memcpy(id, own, len);
	if (id_len)
		*id_len = len;
	return rc;
}
