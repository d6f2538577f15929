/*
 * near_memory.c: finds free address space within 32-bit reach of an image
 * and claims it. The map of the address space comes from /proc/self/maps
 * (sorted, one line per mapping); the free gaps between mappings that
 * intersect the reachable window are candidates, and the one closest to the
 * image wins, so several allocations cluster around it and stay in reach of
 * each other too. MAP_FIXED_NOREPLACE makes the claim safe against another
 * thread mapping the same gap meanwhile: the kernel refuses instead of
 * replacing, and the search runs again. Reading the map costs time in
 * proportion to the number of mappings, which grows with every reload, so
 * the block next to the previous one is tried first.
 */
#include "object/near_memory.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Lowest address hcr ever maps (above the usual vm.mmap_min_addr) and the
   top of the user address space. */
#define NEAR_FLOOR ((uintptr_t)0x100000u)
#define NEAR_CEILING HCR__ARCH_ADDRESS_CEILING
/* Room left free above the brk heap so malloc can keep growing it. */
#define NEAR_HEAP_ROOM ((uintptr_t)64 << 20)
#define NEAR_ATTEMPTS 8

struct near_range {
    uintptr_t start, end;
};

struct near_maps {
    struct near_range *ranges;
    size_t count;
    uintptr_t heap_end; /* end of the [heap] mapping, 0 if none */
};

static pthread_mutex_t near_lock = PTHREAD_MUTEX_INITIALIZER;
/* Where the next allocation probably fits without reading /proc/self/maps
   (which grows with every reload): just below the lowest block hcr took
   below an image, and just above the highest it took above one. 0: none. */
static uintptr_t hint_below, hint_above;

/* Reads all of a /proc file into a NUL-terminated malloc'd buffer. NULL on
   failure (errno set). */
static char *read_proc_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (n == 0) {
            buf[len] = '\0';
            break;
        }
        len += (size_t)n;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return buf;
}

/* Parses /proc/self/maps into maps (sorted by start, as the kernel lists
   them). 0 or a negative HCR_E* code. */
static int read_maps(struct near_maps *maps, struct hcr__message *msg)
{
    char *text = read_proc_file("/proc/self/maps");
    if (!text)
        return hcr__fail(msg, errno ? -errno : HCR_EIO, "/proc/self/maps: cannot read: %s",
                         strerror(errno));
    size_t lines = 1;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    maps->ranges = malloc(lines * sizeof *maps->ranges);
    maps->count = 0;
    maps->heap_end = 0;
    if (!maps->ranges) {
        free(text);
        return hcr__fail(msg, HCR_ENOMEM, "/proc/self/maps: out of memory");
    }
    for (char *line = text; *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        char *end;
        unsigned long long start = strtoull(line, &end, 16);
        if (*end == '-') {
            unsigned long long stop = strtoull(end + 1, &end, 16);
            if (stop > start) {
                maps->ranges[maps->count++] = (struct near_range){(uintptr_t)start, (uintptr_t)stop};
                if (strstr(end, "[heap]"))
                    maps->heap_end = (uintptr_t)stop;
            }
        }
        line = next;
    }
    free(text);
    return 0;
}

/* Picks the start of a free, page-aligned block of `size` bytes with its
   start in [pmin, pmax], as close to [lo, hi) as the gaps allow. 0 if none. */
static uintptr_t pick_gap(const struct near_maps *maps, uintptr_t lo, uintptr_t hi, uintptr_t pmin,
                          uintptr_t pmax, uintptr_t size)
{
    uintptr_t page = (uintptr_t)hcr__page_size(), best = 0, best_distance = UINTPTR_MAX;
    uintptr_t gap_start = NEAR_FLOOR;
    for (size_t i = 0; i <= maps->count; i++) {
        uintptr_t gap_end = i < maps->count ? maps->ranges[i].start : NEAR_CEILING;
        uintptr_t s = gap_start > pmin ? gap_start : pmin;
        if (maps->heap_end && gap_start == maps->heap_end && s < gap_start + NEAR_HEAP_ROOM)
            s = gap_start + NEAR_HEAP_ROOM;
        s = (s + page - 1) & ~(page - 1);
        uintptr_t e = gap_end < pmax + size ? gap_end : pmax + size;
        if (e > s && e - s >= size) {
            /* The end of the gap nearest the image. */
            uintptr_t p = e <= lo ? ((e - size) & ~(page - 1)) : s;
            uintptr_t distance = p + size <= lo ? lo - (p + size) : p >= hi ? p - hi : 0;
            if (p >= s && distance < best_distance) {
                best = p;
                best_distance = distance;
            }
        }
        if (i < maps->count && maps->ranges[i].end > gap_start)
            gap_start = maps->ranges[i].end;
    }
    return best;
}

void *hcr__near_map(uintptr_t lo, uintptr_t hi, size_t size, struct hcr__message *msg)
{
    uintptr_t page = (uintptr_t)hcr__page_size();
    if (size == 0 || hi <= lo) {
        hcr__fail(msg, HCR_EINVAL, "near memory: empty request (range %#lx-%#lx, %zu bytes)",
                  (unsigned long)lo, (unsigned long)hi, size);
        return NULL;
    }
    uintptr_t rounded = ((uintptr_t)size + page - 1) & ~(page - 1);
    if (rounded < size || rounded > HCR__NEAR_REACH || hi - lo > HCR__NEAR_REACH - rounded) {
        hcr__fail(msg, HCR_EINVAL,
                  "near memory: %zu bytes cannot all be within reach (%lu MiB) of range "
                  "%#lx-%#lx",
                  size, (unsigned long)(HCR__NEAR_REACH >> 20), (unsigned long)lo,
                  (unsigned long)hi);
        return NULL;
    }
    /* Every byte of [p, p + rounded) within HCR__NEAR_REACH of every byte of
       [lo, hi). */
    uintptr_t pmin = hi > HCR__NEAR_REACH + NEAR_FLOOR ? hi - HCR__NEAR_REACH : NEAR_FLOOR;
    uintptr_t pmax = lo + HCR__NEAR_REACH - rounded;
    if (pmax > NEAR_CEILING - rounded)
        pmax = NEAR_CEILING - rounded;

    pthread_mutex_lock(&near_lock);
    void *result = NULL;
    uintptr_t hints[2] = {hint_below > rounded ? hint_below - rounded : 0, hint_above};
    for (int h = 0; h < 2 && !result; h++) {
        if (hints[h] >= pmin && hints[h] <= pmax && hints[h] >= NEAR_FLOOR) {
            void *m = mmap((void *)hints[h], rounded, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (m == (void *)hints[h])
                result = m;
            else if (m != MAP_FAILED)
                munmap(m, rounded);
        }
    }
    for (int attempt = 0; attempt < NEAR_ATTEMPTS && !result; attempt++) {
        struct near_maps maps = {NULL, 0, 0};
        if (read_maps(&maps, msg) < 0)
            break;
        uintptr_t p = pick_gap(&maps, lo, hi, pmin, pmax, rounded);
        free(maps.ranges);
        if (!p) {
            hcr__fail(msg, HCR_ENOMEM,
                      "near memory: no free gap of %zu bytes within reach (%lu MiB) of "
                      "%#lx-%#lx",
                      size, (unsigned long)(HCR__NEAR_REACH >> 20), (unsigned long)lo,
                      (unsigned long)hi);
            break;
        }
        void *m = mmap((void *)p, rounded, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (m == (void *)p) {
            result = m;
        } else if (m != MAP_FAILED) {
            /* A kernel without MAP_FIXED_NOREPLACE took it as a hint. */
            munmap(m, rounded);
        } else if (errno != EEXIST) {
            hcr__fail(msg, HCR_ENOMEM, "near memory: mmap of %zu bytes at %#lx: %s", size,
                      (unsigned long)p, strerror(errno));
            break;
        }
        if (!result && attempt == NEAR_ATTEMPTS - 1)
            hcr__fail(msg, HCR_ENOMEM, "near memory: gaps near %#lx-%#lx kept being taken",
                      (unsigned long)lo, (unsigned long)hi);
    }
    if (result) {
        uintptr_t p = (uintptr_t)result;
        if (p + rounded <= lo && (!hint_below || p < hint_below))
            hint_below = p;
        if (p >= hi && p + rounded > hint_above)
            hint_above = p + rounded;
    }
    pthread_mutex_unlock(&near_lock);
    return result;
}

void hcr__near_unmap(void *p, size_t size)
{
    if (!p)
        return;
    uintptr_t page = (uintptr_t)hcr__page_size();
    munmap(p, ((uintptr_t)size + page - 1) & ~(page - 1));
}

struct image_query {
    uintptr_t addr, lo, hi;
    int found;
};

static int image_callback(struct dl_phdr_info *info, size_t info_size, void *data)
{
    (void)info_size;
    struct image_query *q = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        lo = s < lo ? s : lo;
        hi = e > hi ? e : hi;
    }
    if (hi == 0 || q->addr < lo || q->addr >= hi)
        return 0;
    uintptr_t page = (uintptr_t)hcr__page_size();
    q->lo = lo & ~(page - 1);
    q->hi = (hi + page - 1) & ~(page - 1);
    q->found = 1;
    return 1;
}

int hcr__near_image_range(const void *addr, uintptr_t *lo, uintptr_t *hi)
{
    struct image_query q = {(uintptr_t)addr, 0, 0, 0};
    dl_iterate_phdr(image_callback, &q);
    if (!q.found)
        return HCR_ENOENT;
    *lo = q.lo;
    *hi = q.hi;
    return 0;
}
