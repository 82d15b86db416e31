/* files.c — files named by someone else, mapped without opening anything but a regular file
 * (files.h). */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t no_bytes[1];

static int not_regular(const struct stat *st)
{
	return S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
}

const void *jd_map_file(int dirfd, const char *path, int nofollow, uint64_t min, uint64_t max, size_t *size)
{
	struct stat st;
	if (fstatat(dirfd, path, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) != 0)
		return NULL;
	if (!S_ISREG(st.st_mode)) {
		errno = not_regular(&st);
		return NULL;
	}
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return NULL;
	int e = 0;
	if (fstat(fd, &st) != 0)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = not_regular(&st); /* swapped between the look and the open */
	else if ((uint64_t)st.st_size < min || (uint64_t)st.st_size > max || (uint64_t)st.st_size > SIZE_MAX)
		e = EFBIG;
	const void *p = no_bytes;
	if (!e && st.st_size > 0 && (p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
		e = errno;
	close(fd);
	if (e) {
		errno = e;
		return NULL;
	}
	*size = (size_t)st.st_size;
	return p;
}

void jd_unmap_file(const void *p, size_t size)
{
	if (p && p != no_bytes && size)
		munmap((void *)p, size);
}
