/* publish.c — writing JIT objects into a tree by build-id, for `debuginfod -F DIR` (docs/fleet.md).
 *
 * DIR/XX/REST.debug, XX the build-id's first byte in hex. A writer puts the whole file under a
 * temporary name in DIR/XX (".REST.PID.N.tmp", the section headers last, so a half-written file is
 * not an ELF file anyone indexes) and then link()s it to its name: the first writer wins, the others
 * see EEXIST and remove their copy, so the tree never holds a partial or replaced file, whichever
 * processes or hosts share it. Where link() is not supported, rename() (atomic; the content is the
 * same for the same build-id).
 *
 * The tree may be shared with others, so nothing found in it is trusted: DIR/XX is opened without
 * following a link and every later step is relative to it; a file already at the name counts as
 * published only when it is a regular file holding an object of this build-id, and anything else
 * there (a link, dangling or not, another object, junk) is replaced by rename().
 */
#include "buildid.h"
#include "files.h"

#include <elf.h>
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

/* Opens DIR/NAME as a directory of the tree, made if missing; never through a symbolic link (one
 * planted at DIR/XX would send the files elsewhere). dfd: DIR's descriptor, or AT_FDCWD with NAME =
 * DIR itself (the folder the user named may be a link). */
static int open_tree_dir(int dfd, const char *name, int nofollow)
{
	int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0);
	int fd = openat(dfd, name, flags);
	if (fd < 0 && errno == ENOENT && (mkdirat(dfd, name, 0755) == 0 || errno == EEXIST))
		fd = openat(dfd, name, flags);
	return fd;
}

/* What is at NAME in the folder sfd: 0 nothing, 1 a regular file that holds the object of this
 * build-id (published before: by this process, another one or another host), -1 anything else (a
 * link, dangling or not, a FIFO, a file with other bytes): replaced, never trusted. */
static int existing(int sfd, const char *name, const uint8_t *id, uint32_t id_len)
{
	size_t size;
	const void *map = jd_map_file(sfd, name, 1, sizeof(Elf64_Ehdr), JD_MAX_OBJECT_SIZE, &size);
	if (!map)
		return errno == ENOENT ? 0 : -1;
	uint8_t have[JD_BUILD_ID_MAX];
	uint32_t have_len = 0;
	int same = jd_object_build_id(map, size, have, &have_len, NULL, 0) >= 0 && have_len == id_len &&
		   memcmp(have, id, id_len) == 0;
	jd_unmap_file(map, size);
	return same ? 1 : -1;
}

int jd_publish_write(const char *dir, const uint8_t *id, uint32_t id_len, const uint8_t *image, size_t size,
		     int *written, char *err, size_t errlen)
{
	static _Atomic unsigned counter;
	char hex[2 * JD_BUILD_ID_MAX + 1], sub[3], name[2 * JD_BUILD_ID_MAX + 8], tmp[2 * JD_BUILD_ID_MAX + 48];
	if (written)
		*written = 0;
	if (!dir || !*dir || id_len < 2 || jd_build_id_format(id, id_len, hex, sizeof(hex)) != 0) {
		snprintf(err, errlen, "no directory or no build-id");
		return -EINVAL;
	}
	snprintf(sub, sizeof(sub), "%.2s", hex);
	snprintf(name, sizeof(name), "%s.debug", hex + 2);
	snprintf(tmp, sizeof(tmp), ".%s.%ld.%u.tmp", hex + 2, (long)getpid(), atomic_fetch_add(&counter, 1));
	int dfd = open_tree_dir(AT_FDCWD, dir, 0);
	if (dfd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(e));
		return -e;
	}
	int sfd = open_tree_dir(dfd, sub, 1);
	int e = errno;
	close(dfd);
	if (sfd < 0) {
		snprintf(err, errlen, "%s/%s: %s", dir, sub,
			 e == ELOOP || e == ENOTDIR ? "not a folder of the tree (a link or another file is there)" : strerror(e));
		return -e;
	}
	int there = existing(sfd, name, id, id_len);
	if (there == 1) {
		close(sfd);
		return 0;
	}
	int fd = openat(sfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s/%s/%s: %s", dir, sub, tmp, strerror(e));
		close(sfd);
		return -e;
	}
	int rc = write_all(fd, image, size);
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	int placed = 0, renamed = 0;
	const char *what = tmp;
	if (rc == 0) {
		what = name;
		/* First writer wins (link: EEXIST for the others); what was there and is not this object is
		 * replaced (rename: atomic, and a link at the name is replaced, not followed). */
		if (there == 0 && linkat(sfd, tmp, sfd, name, 0) == 0)
			placed = 1;
		else if (there == 0 && errno == EEXIST)
			placed = 0;
		else if ((there < 0 || errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EXDEV) &&
			 renameat(sfd, tmp, sfd, name) == 0)
			placed = renamed = 1;
		else
			rc = -errno;
	}
	if (rc != 0)
		snprintf(err, errlen, "%s/%s/%s: %s", dir, sub, what, strerror(-rc));
	if (!renamed)
		unlinkat(sfd, tmp, 0);
	close(sfd);
	if (written)
		*written = placed;
	return rc;
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
