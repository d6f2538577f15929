/*
 * patch.c: the function identities of object mode and the writes that
 * redirect their entries (the scheme is described in src/object/patch.h and,
 * byte by byte, in src/arch/x86_64/patch.c).
 *
 * Slots and trampolines come in chunks of two pages placed near the image
 * of the original function: a read-write page of slots and a read-execute
 * page of trampolines, the trampolines written once while the page is still
 * read-write, before it ever becomes executable. Identities live in an
 * open-addressing table keyed by the original entry and are never freed: a
 * function pointer to any entry may be held forever.
 *
 * Writes to code go through /proc/self/mem with pwrite: the kernel writes
 * the page the way a debugger does, without making it writable in our
 * mapping. Live entry bytes with pads are written one byte per pwrite.
 * An entry without pads ("plain": code built without the hot-patch flags)
 * gets a whole jump over its first instructions instead, written while
 * every other thread is paused and none of them is inside those bytes
 * (thread_pause.h); the bytes it replaced are kept, to be put back when
 * that entry becomes current again. One mutex serialises every change;
 * threads calling the functions take nothing.
 */
#include "object/patch.h"

#include "arch/patch.h"
#include "object/near_memory.h"
#include "object/patch_pause.h"
#include "object/thread_pause.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct patch_entry {
    uintptr_t address;
    int pre_written;             /* the pre-entry jump is in place */
    int redirected;              /* the entry jumps to the trampoline */
    struct hcr__arch_entry arch; /* what the arch remembers about its bytes */
    int plain;                   /* no pads: a jump replaces its first bytes */
    uintptr_t site;              /* plain: where the jump goes */
    unsigned returns;            /* plain: calls in the replaced bytes return
                                    to site + k for each bit k */
    unsigned char saved[HCR__PATCH_JUMP_BYTES]; /* plain: the bytes it replaces */
};

struct hcr__patch_target {
    uintptr_t original;
    char *name;
    uintptr_t *slot;       /* read-write; read by the trampoline */
    uintptr_t trampoline;  /* read-execute */
    uintptr_t current;
    struct patch_entry *entries; /* entries[0] is the original */
    size_t count, capacity;
};

struct patch_chunk {
    unsigned char *base; /* page of slots, then page of trampolines */
    size_t used, capacity;
    struct patch_chunk *next;
};

static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hcr__patch_target **table; /* open addressing, NULL = free */
static size_t table_size, table_used;
static struct patch_chunk *chunks;

static size_t hash_address(uintptr_t a)
{
    uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 17);
}

/* The table position of `original`: its target, or the free cell where it
   belongs. Lock held; table_size > 0. */
static size_t table_position(uintptr_t original)
{
    size_t mask = table_size - 1, i = hash_address(original) & mask;
    while (table[i] && table[i]->original != original)
        i = (i + 1) & mask;
    return i;
}

/* Makes room for one more target. 0 or HCR_ENOMEM. Lock held. */
static int table_reserve(void)
{
    if ((table_used + 1) * 2 <= table_size)
        return 0;
    size_t new_size = table_size ? table_size * 2 : 64;
    struct hcr__patch_target **old = table;
    size_t old_size = table_size;
    table = calloc(new_size, sizeof *table);
    if (!table) {
        table = old;
        return HCR_ENOMEM;
    }
    table_size = new_size;
    for (size_t i = 0; i < old_size; i++)
        if (old[i])
            table[table_position(old[i]->original)] = old[i];
    free(old);
    return 0;
}

/* The descriptor of /proc/self/mem for this process. -1 + errno on
   failure. Lock held. */
static int mem_file(void)
{
    static struct hcr__proc_fd mem;
    return hcr__proc_fd(&mem, "/proc/self/mem", O_RDWR);
}

/* Writes n bytes of code at addr through /proc/self/mem. 0 or HCR_EIO with
   msg naming the function. Lock held. */
static int write_code(const struct hcr__patch_target *t, uintptr_t addr, const void *bytes,
                      size_t n, struct hcr__message *msg)
{
    int fd = mem_file();
    ssize_t w = -1;
    if (fd >= 0) {
        do
            w = pwrite(fd, bytes, n, (off_t)addr);
        while (w < 0 && errno == EINTR);
    }
    if (w == (ssize_t)n)
        return 0;
    return hcr__fail(msg, HCR_EIO, "%s: cannot write %zu byte(s) of code at %#lx through "
                     "/proc/self/mem: %s", t->name, n, (unsigned long)addr,
                     w < 0 ? strerror(errno) : "short write");
}

/* Makes every CPU running this process discard instructions it fetched
   before now (membarrier SYNC_CORE), for entries whose pads straddle fetch
   blocks. Without kernel support it does nothing: then only the ordering
   of the single-byte writes protects such entries. Lock held. */
static void sync_cores(void)
{
    static int state; /* 0 not tried, 1 registered, -1 unavailable */
    if (state == 0)
        state = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0,
                        0) == 0 ? 1 : -1;
    if (state == 1)
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
}

/* Whether a debugger is attached: TracerPid in /proc/self/status. Asked
   only when an int3 is seen (reading the file costs more than a whole
   retarget), at most once per change, and before any thread is paused,
   since it allocates (switch_locked asks ahead when it will pause). -1:
   not asked yet in this change. */
static int traced_now = -1;

static int debugger_attached(void);

static int debugger_was_attached(void)
{
    if (traced_now < 0)
        traced_now = debugger_attached();
    return traced_now;
}

static int debugger_attached(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return 0;
    char line[256];
    long tracer = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "TracerPid: %ld", &tracer) == 1)
            break;
    fclose(f);
    return tracer != 0;
}

/* Allocates a chunk of slots and trampolines within reach of [lo, hi).
   NULL + msg on failure. Lock held. */
static struct patch_chunk *chunk_new(uintptr_t lo, uintptr_t hi, const char *name,
                                     struct hcr__message *msg)
{
    size_t page = hcr__page_size();
    struct patch_chunk *c = calloc(1, sizeof *c);
    if (!c) {
        hcr__fail(msg, HCR_ENOMEM, "%s: out of memory for its patch slot", name);
        return NULL;
    }
    c->base = hcr__near_map(lo, hi, 2 * page, msg);
    if (!c->base) {
        free(c);
        return NULL;
    }
    c->capacity = page / sizeof(uintptr_t);
    if (c->capacity > page / HCR__PATCH_TRAMPOLINE_SIZE)
        c->capacity = page / HCR__PATCH_TRAMPOLINE_SIZE;
    unsigned char *tramp = c->base + page;
    for (size_t i = 0; i < c->capacity; i++) {
        uintptr_t at = (uintptr_t)(tramp + i * HCR__PATCH_TRAMPOLINE_SIZE);
        uintptr_t slot = (uintptr_t)(c->base + i * sizeof(uintptr_t));
        /* Cannot fail: slot and trampoline are one page apart. */
        hcr__arch_trampoline(tramp + i * HCR__PATCH_TRAMPOLINE_SIZE, at, slot);
    }
    if (mprotect(tramp, page, PROT_READ | PROT_EXEC) != 0) {
        hcr__fail(msg, HCR_ENOMEM, "%s: cannot make its trampoline page executable: %s", name,
                  strerror(errno));
        hcr__near_unmap(c->base, 2 * page);
        free(c);
        return NULL;
    }
    c->next = chunks;
    chunks = c;
    return c;
}

/* A free slot and its trampoline within reach of the image holding
   `original`. 0 or a negative code with msg. Lock held. */
static int slot_take(uintptr_t original, const char *name, uintptr_t **slot,
                     uintptr_t *trampoline, struct hcr__message *msg)
{
    uintptr_t lo, hi;
    if (hcr__near_image_range((const void *)original, &lo, &hi) < 0) {
        lo = original; /* code outside any image: a copy hcr placed itself */
        hi = original + 1;
    }
    size_t page = hcr__page_size();
    struct patch_chunk *c;
    for (c = chunks; c; c = c->next) {
        uintptr_t s = (uintptr_t)c->base, e = s + 2 * page;
        uintptr_t top = e > hi ? e : hi, bottom = s < lo ? s : lo;
        if (c->used < c->capacity && top - bottom <= HCR__NEAR_REACH)
            break;
    }
    if (!c && !(c = chunk_new(lo, hi, name, msg)))
        return HCR_ENOMEM;
    *slot = (uintptr_t *)(c->base + c->used * sizeof(uintptr_t));
    *trampoline = (uintptr_t)(c->base + page + c->used * HCR__PATCH_TRAMPOLINE_SIZE);
    c->used++;
    return 0;
}

int hcr__patch_pads_untouched(const void *entry)
{
    return hcr__arch_pads_untouched(entry, NULL);
}

/* Fills e for the code at `address`, `size` bytes long (0: unknown): an
   entry with pads, or a plain one with the site of its jump and the bytes
   the jump will replace. 0, or HCR_EFLAGS or HCR_ENOTSUP with msg when it
   cannot be redirected. traced_now is current. */
static int entry_classify(const struct hcr__patch_target *t, uintptr_t address, uint64_t size,
                          int no_pads, struct patch_entry *e, struct hcr__message *msg)
{
    memset(e, 0, sizeof *e);
    e->address = address;
    hcr__arch_entry_init(&e->arch);
    /* Code known to have no pads may begin its mapping: the bytes before
       it are not read. */
    if (!no_pads && hcr__arch_pads_untouched((const unsigned char *)address, debugger_was_attached))
        return 0;
    if (size == 0)
        return hcr__fail(msg, HCR_EFLAGS,
                         "%s: the code at %#lx has no hot-patch pads (built without "
                         HCR__ARCH_PATCH_FLAG ") and its size is unknown, so hcr cannot check "
                         "that a jump may replace its first bytes",
                         t->name, (unsigned long)address);
    char why[160];
    struct hcr__arch_site site;
    const char *problem = hcr__arch_site_problem((const unsigned char *)address, (size_t)size,
                                                 debugger_was_attached, &site, why, sizeof why);
    if (problem)
        return hcr__fail(msg, HCR_ENOTSUP,
                         "%s: cannot be redirected: built without hot-patch pads, it %s "
                         "(building it with " HCR__ARCH_PATCH_FLAG " avoids this)",
                         t->name, problem);
    e->plain = 1;
    e->site = address + site.offset;
    e->returns = site.returns;
    memcpy(e->saved, (const void *)e->site, sizeof e->saved);
    return 0;
}

/* Checks that entry e reaches t's trampoline. 0 or HCR_ERANGE with msg. */
static int entry_reach(const struct hcr__patch_target *t, const struct patch_entry *e,
                       struct hcr__message *msg)
{
    unsigned char jump[HCR__PATCH_JUMP_BYTES > HCR__PATCH_PRE_BYTES ? HCR__PATCH_JUMP_BYTES
                                                                     : HCR__PATCH_PRE_BYTES];
    int rc = e->plain ? hcr__arch_site_jump(jump, e->site, t->trampoline)
                      : hcr__arch_pre_jump(jump, e->address, t->trampoline);
    if (rc < 0)
        return hcr__fail(msg, HCR_ERANGE,
                         "%s: the entry at %#lx is out of jump reach of its trampoline at %#lx",
                         t->name, (unsigned long)e->address, (unsigned long)t->trampoline);
    return 0;
}

/* Appends a new entry to t. 0 or a negative code with msg. Lock held. */
static int entry_add(struct hcr__patch_target *t, uintptr_t address, uint64_t size, int no_pads,
                     struct hcr__message *msg)
{
    struct patch_entry checked;
    int rc = entry_classify(t, address, size, no_pads, &checked, msg);
    if (rc == 0)
        rc = entry_reach(t, &checked, msg);
    if (rc < 0)
        return rc;
    struct patch_entry *entries =
        hcr__grow(t->entries, t->count, &t->capacity, sizeof *entries, 4);
    if (!entries)
        return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory for its entries", t->name);
    t->entries = entries;
    t->entries[t->count++] = checked;
    return 0;
}

/* The entry at `address`, or NULL. Newest first: a reload sets the newest
   entry, a revert the one before. */
static struct patch_entry *entry_find(const struct hcr__patch_target *t, uintptr_t address)
{
    for (size_t i = t->count; i-- > 0;)
        if (t->entries[i].address == address)
            return &t->entries[i];
    return NULL;
}

/* While every other thread is paused, plain entries' writes are queued
   and written together, a window of code per system call instead of one
   call each: the threads are held for less time. Bytes between the writes
   of a window are written back unchanged; nobody else writes code while
   the lock is held and the threads are paused. */
struct pending_write {
    uintptr_t site;
    size_t seq; /* order of queueing: a later write to a site wins */
    unsigned char bytes[HCR__PATCH_JUMP_BYTES];
};
#define WINDOW_BYTES 16384

static struct pending_write *pending;
static size_t npending, pending_capacity;
static int queueing;

/* Makes room for n queued writes before the pause. 0 or HCR_ENOMEM. */
static int pending_reserve(size_t n)
{
    npending = 0;
    if (n <= pending_capacity)
        return 0;
    struct pending_write *p = realloc(pending, n * sizeof *p);
    if (!p)
        return HCR_ENOMEM;
    pending = p;
    pending_capacity = n;
    return 0;
}

static int pending_before(const struct pending_write *a, const struct pending_write *b)
{
    return a->site < b->site || (a->site == b->site && a->seq < b->seq);
}

/* Sorts the queue by site (stable by seq) without allocating. */
static void pending_sort(void)
{
    for (size_t gap = npending / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < npending; i++) {
            struct pending_write w = pending[i];
            size_t j = i;
            for (; j >= gap && pending_before(&w, &pending[j - gap]); j -= gap)
                pending[j] = pending[j - gap];
            pending[j] = w;
        }
}

/* Writes the queue, a window at a time. 0 or HCR_EIO with msg. */
static int pending_flush(struct hcr__message *msg)
{
    static unsigned char window[WINDOW_BYTES];
    static const struct hcr__patch_target writer = {.name = "(functions without pads)"};
    pending_sort();
    for (size_t i = 0; i < npending;) {
        uintptr_t start = pending[i].site;
        size_t j = i;
        while (j < npending && pending[j].site + HCR__PATCH_JUMP_BYTES - start <= WINDOW_BYTES)
            j++;
        size_t len = pending[j - 1].site + HCR__PATCH_JUMP_BYTES - start;
        memcpy(window, (const void *)start, len);
        for (size_t k = i; k < j; k++)
            memcpy(window + (pending[k].site - start), pending[k].bytes, HCR__PATCH_JUMP_BYTES);
        int rc = write_code(&writer, start, window, len, msg);
        if (rc < 0)
            return rc;
        i = j;
    }
    npending = 0;
    return 0;
}

/* Makes plain entry e jump to the trampoline (`redirect`) or run its own
   first bytes again. Every other thread is paused. Lock held. */
static int plain_switch(const struct hcr__patch_target *t, struct patch_entry *e, int redirect,
                        struct hcr__message *msg)
{
    unsigned char bytes[HCR__PATCH_JUMP_BYTES];
    if (redirect && hcr__arch_site_jump(bytes, e->site, t->trampoline) < 0)
        return hcr__fail(msg, HCR_ERANGE, "%s: entry at %#lx out of reach of %#lx", t->name,
                         (unsigned long)e->address, (unsigned long)t->trampoline);
    if (!redirect)
        memcpy(bytes, e->saved, sizeof bytes);
    if (queueing && npending < pending_capacity) {
        struct pending_write *w = &pending[npending];
        w->site = e->site;
        w->seq = npending++;
        memcpy(w->bytes, bytes, sizeof bytes);
        e->redirected = redirect;
        return 0;
    }
    int rc = write_code(t, e->site, bytes, sizeof bytes, msg);
    if (rc == 0)
        e->redirected = redirect;
    return rc;
}

/* Makes entry e jump to the trampoline (`redirect`) or run its own body.
   0 or a negative code with msg. Lock held. */
static int entry_switch(const struct hcr__patch_target *t, struct patch_entry *e, int redirect,
                        struct hcr__message *msg)
{
    if (e->plain)
        return e->redirected == redirect ? 0 : plain_switch(t, e, redirect, msg);
    if (redirect && !e->pre_written) {
        unsigned char jump[HCR__PATCH_PRE_BYTES];
        if (hcr__arch_pre_jump(jump, e->address, t->trampoline) < 0)
            return hcr__fail(msg, HCR_ERANGE, "%s: entry at %#lx out of reach of %#lx", t->name,
                             (unsigned long)e->address, (unsigned long)t->trampoline);
        /* The pre-entry pad is never executed: one plain write. */
        int rc = write_code(t, e->address - HCR__PATCH_PRE_BYTES, jump, sizeof jump, msg);
        if (rc < 0)
            return rc;
        e->pre_written = 1;
    }
    unsigned char live[HCR__PATCH_ENTRY_BYTES];
    memcpy(live, (const void *)e->address, sizeof live);
    struct hcr__arch_write writes[HCR__PATCH_MAX_WRITES];
    struct hcr__arch_entry next;
    size_t count;
    int rc = hcr__arch_plan_entry(&e->arch, live, redirect, debugger_was_attached, writes,
                                  &count, &next);
    if (rc < 0)
        return hcr__fail(msg, rc,
                         "%s: the entry at %#lx holds %02x %02x %02x %02x, which hcr did not "
                         "write (another tool patched it, or an int3 is there without a "
                         "debugger)", t->name, (unsigned long)e->address, live[0], live[1],
                         live[2], live[3]);
    for (size_t i = 0; i < count; i++) {
        if (i == count - 1 && hcr__arch_pads_straddle(e->address))
            sync_cores();
        rc = write_code(t, e->address + (uintptr_t)(intptr_t)writes[i].offset, &writes[i].value,
                        1, msg);
        if (rc < 0)
            return rc;
    }
    e->arch = next;
    e->redirected = redirect;
    return 0;
}

/* Makes `address` (registered) the current entry of t. 0 or a negative code
   with msg; on failure some entries may be switched already. Entries known
   to be redirected are left alone (a debugger's breakpoint on one changes
   nothing: its bytes underneath stay ours), so a set costs the entries that
   change, not every version the function ever had. Lock held; if any plain
   entry changes, every other thread is paused. */
static int make_current(struct hcr__patch_target *t, uintptr_t address, struct hcr__message *msg)
{
    struct patch_entry *self = entry_find(t, address);
    /* Own body first: calls through it then run valid code at every step. */
    int rc = entry_switch(t, self, 0, msg);
    if (rc < 0)
        return rc;
    __atomic_store_n(t->slot, address, __ATOMIC_RELEASE);
    t->current = address;
    for (size_t i = 0; i < t->count; i++) {
        if (t->entries[i].address == address || t->entries[i].redirected)
            continue;
        rc = entry_switch(t, &t->entries[i], 1, msg);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Whether making `address` current in t writes a plain entry. */
static int changes_plain(const struct hcr__patch_target *t, uintptr_t address)
{
    for (size_t i = 0; i < t->count; i++) {
        const struct patch_entry *e = &t->entries[i];
        if (e->plain && e->redirected != (e->address != address))
            return 1;
    }
    return 0;
}

/* The interiors of the n switches' plain entries (see patch_pause.h),
   into *v. 0 or HCR_ENOMEM. Lock held. */
static int interiors_collect(const struct hcr__patch_switch *sw, size_t n,
                             struct hcr__patch_interior **v, size_t *count)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += sw[i].target->count;
    *count = 0;
    *v = malloc((total ? total : 1) * sizeof **v);
    if (!*v)
        return HCR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < sw[i].target->count; j++) {
            const struct patch_entry *e = &sw[i].target->entries[j];
            if (e->plain)
                (*v)[(*count)++] = (struct hcr__patch_interior){
                    e->site + 1, e->site + HCR__PATCH_JUMP_BYTES, e->returns, sw[i].target->name};
        }
    return 0;
}

/* Pauses every other thread for the n switches: none may be in the
   interiors of their plain entries. 0 with the threads paused, or the
   error with every thread running. Lock held. */
static int pause_for(const struct hcr__patch_switch *sw, size_t n,
                     struct hcr__patch_interior **in, size_t *nin, struct hcr__message *msg)
{
    /* Room for every plain entry written, and written back. */
    size_t entries = 0;
    for (size_t j = 0; j < n; j++)
        entries += sw[j].target->count;
    if (interiors_collect(sw, n, in, nin) < 0 || pending_reserve(2 * entries) < 0)
        return hcr__fail(msg, HCR_ENOMEM, "out of memory switching %zu functions", n);
    (void)debugger_was_attached(); /* asked now: not while paused */
    return hcr__patch_pause_outside(*in, *nin, msg);
}

/* Makes the n switches' entries current, all or none. Lock held. */
static int switch_locked(const struct hcr__patch_switch *sw, size_t n,
                         const struct hcr__patch_hold *hold, struct hcr__message *msg)
{
    traced_now = -1;
    uintptr_t *previous = malloc((n ? n : 1) * sizeof *previous);
    if (!previous)
        return hcr__fail(msg, HCR_ENOMEM, "out of memory switching %zu functions", n);
    int rc = 0, paused = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        previous[i] = sw[i].target->current;
        uintptr_t address = (uintptr_t)sw[i].entry;
        if (!entry_find(sw[i].target, address))
            rc = entry_add(sw[i].target, address, sw[i].size, sw[i].no_pads, msg);
    }
    struct hcr__patch_interior *in = NULL;
    size_t nin = 0;
    int pause = hold != NULL;
    for (size_t i = 0; i < n && !pause; i++)
        pause = changes_plain(sw[i].target, (uintptr_t)sw[i].entry);
    if (rc == 0 && pause && (rc = pause_for(sw, n, &in, &nin, msg)) == 0)
        paused = queueing = 1;
    /* From here until the threads are let go: no allocation, no log. */
    if (rc == 0 && hold)
        hold->run(hold->user);
    size_t done = 0;
    for (; done < n && rc == 0; done++)
        if ((rc = make_current(sw[done].target, (uintptr_t)sw[done].entry, msg)) < 0)
            break;
    if (rc < 0) {
        /* Put the previous versions back, the failed one included; the
           first error is the one told. */
        struct hcr__message ignored;
        for (size_t i = done < n ? done + 1 : n; i-- > 0;)
            make_current(sw[i].target, previous[i], &ignored);
    }
    if (paused) {
        queueing = 0;
        int flushed = pending_flush(msg);
        if (flushed < 0 && rc == 0)
            rc = flushed; /* rare: /proc/self/mem refused a write it took before */
        hcr__threads_resume();
    }
    free(in);
    free(previous);
    return rc;
}

int hcr__patch_switch_many(const struct hcr__patch_switch *sw, size_t n,
                           const struct hcr__patch_hold *hold, struct hcr__message *msg)
{
    pthread_mutex_lock(&patch_lock);
    int rc = switch_locked(sw, n, hold, msg);
    pthread_mutex_unlock(&patch_lock);
    return rc;
}

int hcr__patch_target_set(struct hcr__patch_target *t, void *entry, struct hcr__message *msg)
{
    struct hcr__patch_switch one = {t, entry, 0, 0};
    return hcr__patch_switch_many(&one, 1, NULL, msg);
}

struct hcr__patch_target *hcr__patch_target_find(const void *original)
{
    pthread_mutex_lock(&patch_lock);
    struct hcr__patch_target *t = NULL;
    if (table_size)
        t = table[table_position((uintptr_t)original)];
    pthread_mutex_unlock(&patch_lock);
    return t;
}

int hcr__patch_target_get(void *original, uint64_t size, const char *name,
                          struct hcr__patch_target **out, struct hcr__message *msg)
{
    uintptr_t address = (uintptr_t)original;
    if (!name)
        name = "(unnamed function)";
    *out = NULL;
    pthread_mutex_lock(&patch_lock);
    traced_now = -1;
    struct hcr__patch_target *t = NULL;
    int rc = table_reserve();
    if (rc < 0) {
        hcr__fail(msg, rc, "%s: out of memory for its patch identity", name);
        goto out;
    }
    size_t pos = table_position(address);
    if (table[pos]) {
        *out = table[pos];
        goto out;
    }
    t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(name))) {
        rc = hcr__fail(msg, HCR_ENOMEM, "%s: out of memory for its patch identity", name);
        goto fail;
    }
    t->original = t->current = address;
    /* entry_add would refuse the same; refuse before taking a slot. */
    struct patch_entry probe;
    if ((rc = entry_classify(t, address, size, 0, &probe, msg)) < 0 ||
        (rc = slot_take(address, name, &t->slot, &t->trampoline, msg)) < 0 ||
        (rc = entry_add(t, address, size, 0, msg)) < 0)
        goto fail; /* a slot taken stays unused; slots are cheap */
    __atomic_store_n(t->slot, address, __ATOMIC_RELEASE);
    table[pos] = t;
    table_used++;
    *out = t;
    goto out;
fail:
    if (t)
        free(t->name);
    free(t);
out:
    pthread_mutex_unlock(&patch_lock);
    return rc;
}

int hcr__patch_target_forget(struct hcr__patch_target *t, void *entry)
{
    uintptr_t address = (uintptr_t)entry;
    pthread_mutex_lock(&patch_lock);
    int rc = HCR_ENOENT;
    struct patch_entry *e = entry_find(t, address);
    if (e && (address == t->current || address == t->original)) {
        rc = HCR_EBUSY;
    } else if (e) {
        *e = t->entries[--t->count];
        rc = 0;
    }
    pthread_mutex_unlock(&patch_lock);
    return rc;
}

void *hcr__patch_target_current(const struct hcr__patch_target *t)
{
    return (void *)__atomic_load_n(t->slot, __ATOMIC_ACQUIRE);
}

void *hcr__patch_target_original(const struct hcr__patch_target *t)
{
    return (void *)t->original;
}

const char *hcr__patch_target_name(const struct hcr__patch_target *t)
{
    return t->name;
}

int hcr__patch_entry_redirected(const struct hcr__patch_target *t, const void *entry)
{
    pthread_mutex_lock(&patch_lock);
    const struct patch_entry *e = entry_find(t, (uintptr_t)entry);
    unsigned char jump[HCR__PATCH_JUMP_BYTES];
    int r = e && (e->plain ? e->redirected && hcr__arch_site_jump(jump, e->site, t->trampoline) == 0 &&
                                 memcmp((const void *)e->site, jump, sizeof jump) == 0
                           : e->pre_written && hcr__arch_entry_redirected(&e->arch, entry));
    pthread_mutex_unlock(&patch_lock);
    return r;
}
