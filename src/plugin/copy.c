/*
 * copy.c: how a build's bytes get into its copy, the file that runs.
 *
 * The bytes never pass through a mapping the process writes. On some
 * virtual machines (the freshly started VMs hcr is built on, and long-
 * running ones of the same kind) the first access of a process to each page
 * of a new mapping is expensive, and a page the kernel populated ahead
 * costs it again when the process, or read() on its behalf, writes it. So a
 * copy read into a mapping costs several times what the kernel takes to
 * copy the same bytes from file to file, touching no page of the process
 * (bench/plugin prints both, and the machine's first-write cost). The
 * kernel copy is therefore the one way for large builds: copy_file_range
 * within one file system (which on XFS and btrfs shares the blocks, a
 * reflink), sendfile across file systems (the build on ext4, the copy on
 * tmpfs).
 *
 * A small build is read into memory and written out from there instead:
 * the bytes to validate are then at hand, where a mapping of the copy
 * would cost a system call and a page fault per page while a reload waits.
 * A few pages of heap that malloc has used before are cheap everywhere.
 */
#include "plugin_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

/* Whether copy_file_range's error means only that it cannot copy between
   these two files, and sendfile can. */
static int kernel_copy_unsupported(int error)
{
    return error == EXDEV || error == ENOSYS || error == EINVAL || error == EOPNOTSUPP;
}

/* Copies bytes [from, size) of in to the same place in out by the kernel:
   copy_file_range where both files are on one file system, else (or where
   it refuses) sendfile. 0, HCR_ETRUNC when in ended early, or -errno. */
static int copy_in_kernel(int in, int out, int same_fs, off_t from, off_t size)
{
    off_t in_at = from, out_at = from;
    while (in_at < size) {
        ssize_t n;
        if (same_fs) {
            n = copy_file_range(in, &in_at, out, &out_at, (size_t)(size - in_at), 0);
            if (n < 0 && kernel_copy_unsupported(errno)) {
                same_fs = 0; /* not between these two files: sendfile from now on */
                continue;
            }
        } else {
            /* sendfile writes where out's file position is. */
            if (lseek(out, out_at, SEEK_SET) != out_at)
                return -errno;
            n = sendfile(out, in, &in_at, (size_t)(size - in_at));
            if (n > 0)
                out_at += n;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break; /* the source shrank while we read it */
    }
    return in_at == size ? 0 : HCR_ETRUNC;
}

/* Reads all of in into a new buffer and writes it to out. 0 and *buffer,
   HCR_ETRUNC when in ended early, HCR_ENOMEM, or -errno. */
static int copy_through_memory(int in, int out, size_t size, void **buffer)
{
    unsigned char *bytes = malloc(size);
    if (!bytes)
        return HCR_ENOMEM;
    int rc = 0;
    for (size_t done = 0; rc == 0 && done < size;) {
        ssize_t n = pread(in, bytes + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = n < 0 ? -errno : HCR_ETRUNC; /* the source shrank */
        else
            done += (size_t)n;
    }
    for (size_t written = 0; rc == 0 && written < size;) {
        ssize_t n = pwrite(out, bytes + written, size - written, (off_t)written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = n < 0 ? -errno : HCR_EIO;
        else
            written += (size_t)n;
    }
    if (rc < 0)
        free(bytes);
    else
        *buffer = bytes;
    return rc;
}

int hcr__copy_build(int in, int out, off_t size, int same_fs, void **buffer)
{
    *buffer = NULL;
    if (size < HCR__COPY_THROUGH_MAX)
        return copy_through_memory(in, out, (size_t)size, buffer);
    return copy_in_kernel(in, out, same_fs, 0, size);
}
