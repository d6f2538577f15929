/*
 * snapshot.c: the private directory each plugin's versions run from, the
 * spare file made ahead for the next copy, and the copy of a build into it
 * (copy.c moves the bytes). Running code never maps the build output
 * itself: `cp` rewrites a file in place, which would change the pages of a
 * mapped library under the code that runs from them. Nor does anything map
 * a copy before it is complete: it is validated and loaded only after the
 * copy returned.
 */
#include "plugin_internal.h"

#include "work_queue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define SNAPSHOT_PREFIX "hcr-"

/* Memory-backed directories first: creating the copy there costs a tenth
   of what a journaling file system charges, and a reload waits for it. */
static const char *default_parent(void)
{
    const char *candidates[] = {getenv("XDG_RUNTIME_DIR"), "/dev/shm", getenv("TMPDIR"), "/tmp"};
    for (size_t i = 0; i < HCR__ARRAY_SIZE(candidates); i++) {
        struct stat st;
        if (candidates[i] && candidates[i][0] && stat(candidates[i], &st) == 0 &&
            S_ISDIR(st.st_mode) && access(candidates[i], W_OK) == 0)
            return candidates[i];
    }
    return "/tmp";
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void hcr__snapshot_dir_remove(const char *dir)
{
    if (dir)
        nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Removes private directories left by processes that died without closing
   their plugins: "hcr-PID-..." whose PID no longer runs, owned by us. */
static void remove_stale_dirs(const char *parent)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, SNAPSHOT_PREFIX, strlen(SNAPSHOT_PREFIX)) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + strlen(SNAPSHOT_PREFIX), &end, 10);
        if (pid <= 0 || *end != '-' || pid == getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid())
            hcr__snapshot_dir_remove(path);
    }
    closedir(d);
}

int hcr__snapshot_dir_create(const char *parent, const char *plugin_path, char **out,
                             struct hcr__message *msg)
{
    *out = NULL;
    if (!parent)
        parent = default_parent();
    /* Once per process and parent is enough; a host opening a thousand
       instances should not scan the directory a thousand times. */
    static pthread_mutex_t scanned_lock = PTHREAD_MUTEX_INITIALIZER;
    static char scanned[4096];
    pthread_mutex_lock(&scanned_lock);
    if (strcmp(scanned, parent) != 0) {
        remove_stale_dirs(parent);
        snprintf(scanned, sizeof scanned, "%s", parent);
    }
    pthread_mutex_unlock(&scanned_lock);
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/" SNAPSHOT_PREFIX "%d-XXXXXX", parent, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof path)
        return hcr__fail(msg, HCR_EINVAL, "%s: copy directory path too long: %s", plugin_path,
                         parent);
    if (!mkdtemp(path)) { /* mkdtemp creates it with mode 0700 */
        int e = errno;
        return hcr__fail(msg, -e, "%s: cannot create a private directory under %s: %s",
                         plugin_path, parent, strerror(e));
    }
    if (!(*out = strdup(path))) {
        rmdir(path);
        return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", plugin_path);
    }
    return 0;
}

/* Bytes allocated by the spares of every plugin in the process. */
static _Atomic long long spare_bytes;

/* `n` bytes from HCR__SPARE_BUDGET, or 0 when they would exceed it. */
static off_t reserve_spare_bytes(off_t n)
{
    if (n > 0 && atomic_fetch_add(&spare_bytes, n) + n > HCR__SPARE_BUDGET) {
        atomic_fetch_sub(&spare_bytes, n);
        return 0;
    }
    return n;
}

static void release_spare_bytes(off_t n)
{
    if (n > 0)
        atomic_fetch_sub(&spare_bytes, n);
}

void hcr__spare_drop(struct hcr__spare *spare)
{
    release_spare_bytes(spare->size);
    if (spare->path)
        unlink(spare->path);
    free(spare->path);
    *spare = (struct hcr__spare){0};
}

void hcr__spare_prepare(struct hcr__spare *spare, const char *path, off_t size)
{
    off_t allocate = size <= HCR__SPARE_MAX ? size : 0;
    if (spare->path && spare->size == allocate && strcmp(spare->path, path) == 0)
        return;
    hcr__spare_drop(spare);
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    if (fd < 0) {
        free(copy);
        return;
    }
    /* Where the file system cannot allocate ahead, or the budget is spent,
       the spare is only created: the copy allocates as it writes, as it
       would anyway. */
    allocate = reserve_spare_bytes(allocate);
    if (allocate && fallocate(fd, 0, 0, allocate) != 0) {
        release_spare_bytes(allocate);
        allocate = 0;
    }
    struct stat st;
    int stat_ok = fstat(fd, &st) == 0;
    close(fd);
    if (!stat_ok) {
        release_spare_bytes(allocate);
        unlink(path);
        free(copy);
        return;
    }
    *spare = (struct hcr__spare){copy, allocate, st.st_dev};
}

/* The copy file dst, opened for writing: the spare when there is one (made
   under this very name, or renamed to it), else a new file. *size is how
   large it already is, *dev the file system it is on. -1 and errno if it
   cannot be had. */
static int open_copy(struct hcr__spare *spare, const char *dst, off_t *size, dev_t *dev)
{
    if (spare && spare->path) {
        struct hcr__spare taken = *spare;
        *spare = (struct hcr__spare){0};
        if (strcmp(taken.path, dst) == 0 || rename(taken.path, dst) == 0) {
            release_spare_bytes(taken.size); /* its pages are the copy's now */
            int fd = open(dst, O_RDWR | O_CLOEXEC);
            free(taken.path);
            if (fd >= 0) {
                *size = taken.size;
                *dev = taken.dev;
                return fd;
            }
            unlink(dst); /* and make a new one */
        } else {
            hcr__spare_drop(&taken);
        }
    }
    int fd = open(dst, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        unlink(dst);
        errno = saved;
        return -1;
    }
    if (fd >= 0) {
        *size = st.st_size;
        *dev = st.st_dev;
    }
    return fd;
}

int hcr__snapshot_copy(const char *src, const char *dst, struct hcr__spare *spare,
                       struct hcr__snapshot *snap, struct hcr__message *msg)
{
    *snap = (struct hcr__snapshot){.source_fd = -1, .copy_fd = -1};
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return hcr__fail(msg, -errno, "%s: cannot open: %s", src, strerror(errno));
    struct stat st;
    if (fstat(in, &st) != 0) {
        int code = -errno;
        close(in);
        return hcr__fail(msg, code, "%s: cannot stat: %s", src, strerror(-code));
    }
    if (S_ISDIR(st.st_mode)) {
        close(in);
        return hcr__fail(msg, HCR_EISDIR, "%s: is a directory, not a shared object", src);
    }
    if (!S_ISREG(st.st_mode)) {
        close(in);
        return hcr__fail(msg, HCR_ENOEXEC, "%s: not a regular file", src);
    }
    if (st.st_size == 0) {
        close(in);
        return hcr__fail(msg, HCR_ENOEXEC, "%s: file is empty", src);
    }
    snap->source = (struct hcr__file_id){st.st_dev, st.st_ino, st.st_size,
                                (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                                (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec};

    off_t out_size = 0;
    dev_t out_dev = 0;
    int out = open_copy(spare, dst, &out_size, &out_dev);
    if (out < 0) {
        int code = -errno;
        close(in);
        return hcr__fail(msg, code, "%s: cannot create the copy %s: %s", src, dst, strerror(-code));
    }
    snap->size = (size_t)st.st_size;
    int rc = hcr__copy_build(in, out, st.st_size, out_dev == st.st_dev, &snap->bytes);
    snap->on_heap = snap->bytes != NULL;
    if (rc == 0 && out_size > st.st_size && ftruncate(out, st.st_size) != 0)
        rc = -errno; /* a spare larger than this build */
    if (rc == HCR_ETRUNC)
        hcr__fail(msg, rc, "%s: file shrank while being copied (still being written?)", src);
    else if (rc < 0)
        hcr__fail(msg, rc, "%s: cannot copy to %s: %s", src, dst, strerror(-rc));
    /* A large copy is validated from a read-only mapping: only the pages
       the ELF reader looks at (headers, symbol tables) are ever touched. */
    if (rc == 0 && !snap->on_heap) {
        void *m = mmap(NULL, snap->size, PROT_READ, MAP_PRIVATE, out, 0);
        if (m == MAP_FAILED)
            rc = hcr__fail(msg, -errno, "%s: cannot map the copy: %s", src, strerror(errno));
        else
            snap->bytes = m;
    }
    snap->copy_fd = out;
    snap->source_fd = in;
    if (rc < 0) {
        hcr__snapshot_release(snap);
        unlink(dst);
    }
    return rc;
}

int hcr__snapshot_patch(struct hcr__snapshot *snap, off_t offset, const void *bytes, size_t size,
                        const char *src, struct hcr__message *msg)
{
    ssize_t n;
    do
        n = pwrite(snap->copy_fd, bytes, size, offset);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)size)
        return 0;
    int code = n < 0 ? -errno : HCR_EIO;
    return hcr__fail(msg, code, "%s: cannot write its copy: %s", src,
                     n < 0 ? strerror(errno) : "short write");
}

void hcr__snapshot_seal(struct hcr__snapshot *snap)
{
    if (snap->copy_fd >= 0)
        close(snap->copy_fd);
    snap->copy_fd = -1;
}

void hcr__snapshot_release(struct hcr__snapshot *snap)
{
    hcr__snapshot_seal(snap);
    if (snap->on_heap)
        free(snap->bytes);
    else if (snap->bytes)
        munmap(snap->bytes, snap->size);
    if (snap->source_fd >= 0)
        close(snap->source_fd);
    snap->bytes = NULL;
    snap->size = 0;
    snap->on_heap = 0;
    snap->source_fd = -1;
}

static _Atomic int sources_held;

static void close_source(void *fd)
{
    close((int)(intptr_t)fd);
    atomic_fetch_sub(&sources_held, 1);
}

/* Whether a file deleted while open stays invisible. Network and FUSE
   file systems keep it in the directory under a temporary name (NFS's
   .nfsXXXX) until the last close: holding it would leave a file beside
   the plugin. */
static int deleted_files_vanish(int fd)
{
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0)
        return 0;
    switch ((unsigned long)fs.f_type) {
    case 0x6969UL:     /* NFS */
    case 0xFF534D42UL: /* CIFS */
    case 0xFE534D42UL: /* SMB2 */
    case 0x517BUL:     /* SMB */
    case 0x65735546UL: /* FUSE */
        return 0;
    }
    return 1;
}

void hcr__source_hold(int *held, int fd)
{
    if (*held >= 0)
        hcr__work_defer(close_source, (void *)(intptr_t)*held);
    *held = -1;
    if (fd < 0)
        return;
    if (!deleted_files_vanish(fd)) {
        close(fd);
        return;
    }
    if (atomic_fetch_add(&sources_held, 1) >= HCR__SOURCE_HOLD_MAX) {
        atomic_fetch_sub(&sources_held, 1);
        close(fd);
        return;
    }
    *held = fd;
}
