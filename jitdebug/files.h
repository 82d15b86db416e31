/* files.h — mapping a file named by someone else (a core's NT_FILE note, the command line, a shared
 * publishing tree) without ever opening anything but a regular file: the path is looked at first (the
 * open of a device alone can act: a watchdog, a tape), the open cannot block (a FIFO put there between
 * the look and the open is refused, not waited on), and what was opened is checked again. Internal to
 * jitdebug's libraries and tools; thread-safe. */
#ifndef JD_FILES_H
#define JD_FILES_H

#include <stddef.h>
#include <stdint.h>

/* Maps path (relative to dirfd: AT_FDCWD or a folder's descriptor) read-only and private. nofollow:
 * a symbolic link at path is refused. Its size, in *size, must lie in [min, max]; an empty file (min
 * 0) gives a pointer to no bytes. NULL with errno: the stat's, open's or mmap's, EISDIR (a directory),
 * EINVAL (neither a directory nor a regular file) or EFBIG (a size outside [min, max]). Release with
 * jd_unmap_file. */
const void *jd_map_file(int dirfd, const char *path, int nofollow, uint64_t min, uint64_t max, size_t *size);
void jd_unmap_file(const void *p, size_t size);

#endif
