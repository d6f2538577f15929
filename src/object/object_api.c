/*
 * object_api.c: object mode's public face. hcr_object_reload runs one
 * reload as a transaction: read and validate the object, link it beside the
 * image (link.c), find or create the identity of every function it changes
 * (patch.h), then make the new entries current one by one; any failure puts
 * back what was done, in reverse, and unmaps the new code, so the program
 * keeps running its previous code. Each live reload is kept as a record:
 * which functions it switched and from what, and the address range of its
 * code. Records are never freed (code that once ran may still be on some
 * thread's stack), so a signal handler can walk them without locks to say
 * which reload introduced the code at a crashing PC.
 */
#include "object/object.h"
#include "arch/reloc.h"
#include "elf/elf_file.h"
#include "object/debug.h"
#include "object/link.h"
#include "object/patch.h"
#include "object/symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Objects larger than this are refused before reading: no translation unit
   comes close, and a huge file is more likely a mistake. */
#define MAX_OBJECT_SIZE ((size_t)1 << 30)

struct switched {
    struct hcr__patch_target *target;
    void *previous; /* current entry before this reload */
    void *entry;    /* the new copy */
};

static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hcr__object_record *_Atomic newest; /* list, newest first */
static unsigned reload_count;
static struct hcr__message last_error;

/* Reads the whole file at `path`. 0, or a negative code with msg. */
static int read_object(const char *path, unsigned char **data, size_t *size,
                       struct hcr__message *msg)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return hcr__fail(msg, e == ENOENT ? HCR_ENOENT : e == EACCES ? HCR_EACCES : -e,
                         "%s: cannot open the object: %s", path, strerror(e));
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = hcr__fail(msg, -errno, "%s: cannot stat the object: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        rc = hcr__fail(msg, HCR_EISDIR, "%s: is a directory, not an object", path);
    } else if (st.st_size <= 0) {
        rc = hcr__fail(msg, HCR_ETRUNC, "%s: the object is empty (still being written?)", path);
    } else if ((size_t)st.st_size > MAX_OBJECT_SIZE) {
        rc = hcr__fail(msg, HCR_EINVAL, "%s: %lld bytes is too large for an object", path,
                       (long long)st.st_size);
    } else {
        *size = (size_t)st.st_size;
        *data = malloc(*size);
        if (!*data) {
            rc = hcr__fail(msg, HCR_ENOMEM, "%s: out of memory reading the object", path);
        } else {
            size_t got = 0;
            while (got < *size) {
                ssize_t n = read(fd, *data + got, *size - got);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    break;
                got += (size_t)n;
            }
            if (got < *size) {
                free(*data);
                *data = NULL;
                rc = hcr__fail(msg, HCR_ETRUNC, "%s: the object shrank while being read", path);
            }
        }
    }
    close(fd);
    return rc;
}

/* Makes every switched function's new entry current; on failure makes the
   previous entries current again, in reverse. 0 or the first error. */
static int switch_all(struct switched *s, size_t n, struct hcr__message *msg)
{
    for (size_t i = 0; i < n; i++) {
        int rc = hcr__patch_target_set(s[i].target, s[i].entry, msg);
        if (rc < 0) {
            struct hcr__message ignored;
            for (size_t j = i; j-- > 0;)
                hcr__patch_target_set(s[j].target, s[j].previous, &ignored);
            return rc;
        }
    }
    return 0;
}

/* Unregisters the new entries from their identities before their memory is
   unmapped after a failed commit. */
static void forget_all(struct switched *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hcr__patch_target_forget(s[i].target, s[i].entry);
}

/* Registers the linked object with gdb, perf and the unwinder. The image,
   or NULL (logged) when that failed. */
static struct hcr__debug_image *register_debug(const char *path, const struct hcr__elf *elf,
                                               const struct hcr__linked *linked)
{
    struct hcr__message msg = {{0}};
    struct hcr__debug_function *fns = calloc(linked->nfunctions + 1, sizeof *fns);
    struct hcr__debug_image *image = NULL;
    if (fns) {
        for (size_t i = 0; i < linked->nfunctions; i++)
            fns[i] = (struct hcr__debug_function){linked->functions[i].name,
                                                  linked->functions[i].entry,
                                                  (size_t)linked->functions[i].size};
        image = hcr__debug_register(path, elf, linked->section_address, fns, linked->nfunctions,
                                    linked->eh_frame, linked->eh_frame_size, &msg);
    } else {
        hcr__fail(&msg, HCR_ENOMEM, "%s: out of memory", path);
    }
    free(fns);
    if (!image)
        hcr__log(NULL, HCR_LOG_WARN, "object: %s: invisible to debuggers: %s", path, msg.text);
    return image;
}

static int reload_locked(const char *path, struct hcr__reload_stats *stats, int quiet,
                         struct hcr__message *msg)
{
    unsigned char *data = NULL;
    size_t size = 0;
    struct hcr__linked linked = {0};
    struct switched *sw = NULL;
    struct hcr__object_record *rec = NULL;
    struct hcr__debug_image *debug = NULL;
    size_t nsw = 0;
    int rc;

    if ((rc = read_object(path, &data, &size, msg)) < 0)
        goto out;
    struct hcr__elf elf;
    if ((rc = hcr__elf_open(&elf, path, data, size, hcr__arch_machine(), ET_REL, msg)) < 0)
        goto out;
    struct hcr__process *proc = hcr__process_get(msg);
    if (!proc) {
        rc = HCR_ENOEXEC;
        goto out;
    }
    if ((rc = hcr__link(&linked, &elf, path, proc, msg)) < 0)
        goto out;

    sw = calloc(linked.nfunctions ? linked.nfunctions : 1, sizeof *sw);
    rec = calloc(1, sizeof *rec);
    if (!sw || !rec) {
        rc = hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", path);
        goto discard;
    }
    for (size_t i = 0; i < linked.nfunctions; i++) {
        const struct hcr__link_function *f = &linked.functions[i];
        if (!f->original || !f->patchable)
            continue;
        struct hcr__patch_target *t = hcr__patch_target_get((void *)f->original, f->name, msg);
        if (!t) {
            rc = hcr__patch_pads_untouched((void *)f->original) ? HCR_ENOMEM : HCR_EFLAGS;
            char inner[HCR__MESSAGE_MAX];
            memcpy(inner, msg->text, sizeof inner);
            inner[sizeof inner - 1] = 0;
            hcr__fail(msg, rc, "%s: cannot redirect %s: %s", path, f->name, inner);
            goto discard;
        }
        sw[nsw++] = (struct switched){t, hcr__patch_target_current(t), (void *)f->entry};
    }

    /* Debuggers and profilers learn about the new code before any call can
       reach it, so a breakpoint set by name before the reload is inserted
       in the new copy in time. Not fatal: the reload works without. */
    debug = register_debug(path, &elf, &linked);

    /* Publish the record first, so a crash in the new code, even on
       another thread right after the switch, is attributed to it. */
    rec->id = reload_count + 1;
    snprintf(rec->path, sizeof rec->path, "%s", path);
    rec->text_lo = linked.text_lo;
    rec->text_hi = linked.text_hi;
    rec->base = linked.base;
    rec->size = linked.size;
    rec->state = HCR__RELOAD_LOADING;
    rec->older = atomic_load(&newest);
    atomic_store(&newest, rec);

    if ((rc = switch_all(sw, nsw, msg)) < 0) {
        /* Some thread may have entered a new copy before the switch was
           undone: the code stays mapped, like every reload's. */
        forget_all(sw, nsw);
        atomic_store(&rec->state, HCR__RELOAD_REVERTED);
        hcr__link_release_tables(&linked);
        goto out;
    }
    reload_count++;
    /* Later reloads of this unit bind to what this one added. A failure
       here only costs a later reload fresh copies, so it is logged. */
    for (size_t i = 0; i < linked.nnew_symbols; i++) {
        const struct hcr__link_symbol *ns = &linked.new_symbols[i];
        if (hcr__process_add_reloaded(proc, linked.home_image, linked.file,
                                      ns->local ? linked.file_name : NULL, ns->name, ns->address,
                                      ns->size, ns->type) < 0)
            hcr__log(NULL, HCR_LOG_WARN, "object: %s: out of memory recording %s", path,
                     ns->name);
    }
    rec->switched = sw;
    rec->nswitched = nsw;
    sw = NULL;
    atomic_store(&rec->state, HCR__RELOAD_LIVE);
    hcr__object_watch_crashes();

    /* Constructors of new functions run once; those the program already
       had ran at its start, on the globals now shared, and do not. */
    for (size_t i = 0; i < linked.nconstructors; i++)
        ((void (*)(void))linked.constructors[i])();
    *stats = (struct hcr__reload_stats){nsw, linked.new_functions, linked.new_variables,
                                        linked.bound, linked.dropped_functions};
    hcr__log(NULL, quiet ? HCR_LOG_DEBUG : HCR_LOG_INFO,
             "object: reload %u of %s: %zu functions redirected, %zu variables kept; new in "
             "this edit: %zu functions, %zu variables%s; not in this edit: %zu functions",
             rec->id, path, nsw, linked.bound, linked.new_functions, linked.new_variables,
             linked.unit_checked || !(linked.new_functions + linked.new_variables)
                 ? ""
                 : " (by the symbol tables: the program has no debug information for the unit)",
             linked.dropped_functions);
    hcr__link_release_tables(&linked);
    rc = 0;
    goto out;

discard:
    hcr__debug_unregister(debug);
    hcr__link_discard(&linked);
    free(rec);
out:
    free(sw);
    free(data);
    return rc;
}

int hcr_object_reload(const char *object_path)
{
    struct hcr__reload_stats stats;
    return hcr__object_reload_stats(object_path, &stats, 0);
}

int hcr__object_reload_stats(const char *object_path, struct hcr__reload_stats *stats, int quiet)
{
    struct hcr__message msg = {{0}};
    *stats = (struct hcr__reload_stats){0};
    if (!object_path || !object_path[0]) {
        pthread_mutex_lock(&reload_lock);
        int rc = hcr__fail(&last_error, HCR_EINVAL, "hcr_object_reload: no object path given");
        pthread_mutex_unlock(&reload_lock);
        return rc;
    }
    pthread_mutex_lock(&reload_lock);
    int rc = reload_locked(object_path, stats, quiet, &msg);
    if (rc < 0) {
        last_error = msg;
        hcr__log(NULL, HCR_LOG_ERROR, "object: reload failed (%s): %s", hcr_error_name(rc),
                 msg.text);
    }
    pthread_mutex_unlock(&reload_lock);
    return rc;
}

int hcr__object_prepare(struct hcr__message *msg)
{
    pthread_mutex_lock(&reload_lock);
    int rc = hcr__process_get(msg) ? 0 : HCR_ENOEXEC;
    pthread_mutex_unlock(&reload_lock);
    return rc;
}

void hcr__object_atfork_prepare(void)
{
    pthread_mutex_lock(&reload_lock);
}

void hcr__object_atfork_release(void)
{
    pthread_mutex_unlock(&reload_lock);
}

const char *hcr_object_error(void)
{
    return last_error.text;
}

const struct hcr__object_record *hcr__object_record_at(uintptr_t pc)
{
    /* Every record's code is still mapped, whatever its state. */
    for (const struct hcr__object_record *r = atomic_load(&newest); r; r = r->older)
        if (pc >= r->text_lo && pc < r->text_hi)
            return r;
    return NULL;
}

unsigned hcr__object_newest_live_id(void)
{
    for (const struct hcr__object_record *r = atomic_load(&newest); r; r = r->older)
        if (atomic_load(&r->state) == HCR__RELOAD_LIVE)
            return r->id;
    return 0;
}

const struct hcr__object_record *hcr__object_live_since(unsigned id)
{
    const struct hcr__object_record *oldest = NULL;
    for (const struct hcr__object_record *r = atomic_load(&newest); r && r->id > id; r = r->older)
        if (atomic_load(&r->state) == HCR__RELOAD_LIVE)
            oldest = r;
    return oldest;
}

int hcr__object_revert_to_before(const struct hcr__object_record *target, struct hcr__message *msg)
{
    pthread_mutex_lock(&reload_lock);
    int rc = 0;
    for (struct hcr__object_record *r = atomic_load(&newest); r; r = r->older) {
        if (atomic_load(&r->state) == HCR__RELOAD_LIVE) {
            for (size_t i = r->nswitched; i-- > 0;) {
                int e = hcr__patch_target_set(r->switched[i].target, r->switched[i].previous, msg);
                if (e < 0 && rc == 0)
                    rc = e;
            }
            atomic_store(&r->state, HCR__RELOAD_REVERTED);
            hcr__log(NULL, HCR_LOG_WARN, "object: reverted reload %u of %s", r->id, r->path);
        }
        if (r == target)
            break;
    }
    pthread_mutex_unlock(&reload_lock);
    return rc;
}

void hcr__object_set_error(const struct hcr__message *msg)
{
    pthread_mutex_lock(&reload_lock);
    last_error = *msg;
    pthread_mutex_unlock(&reload_lock);
}
