/*
 * object_api.c: object mode's public face. hcr_object_reload runs one
 * reload as a transaction: read and validate each object, link it beside
 * the image (link.c), find or create the identity of every function it
 * changes (patch.h), then make the new entries current one by one; any
 * failure puts back what was done, in reverse, and unmaps the new code, so
 * the program keeps running its previous code. What went live is kept as
 * a record (records.c), which the crash guard (object_guard.c) reads too.
 */
#include "object/object.h"
#include "arch/reloc.h"
#include "elf/elf_file.h"
#include "object/debug.h"
#include "object/link.h"
#include "object/object_migrate.h"
#include "object/patch.h"
#include "object/reloaded.h"
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

/* Unregisters the new entries from their identities before their memory is
   unmapped after a failed commit. */
static void forget_all(struct hcr__switched *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hcr__patch_target_forget(s[i].target, s[i].entry);
}

/* Registers the linked object with gdb, perf and the unwinder. The image,
   or NULL (logged) when that failed. */
static struct hcr__debug_image *register_debug(const char *path, const struct hcr__elf *elf,
                                               const struct hcr__linked *linked,
                                               unsigned char **file)
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
                                    linked->eh_frame, linked->eh_frame_size, *file, &msg);
    } else {
        hcr__fail(&msg, HCR_ENOMEM, "%s: out of memory", path);
    }
    free(fns);
    if (image)
        *file = NULL; /* the image's now: gdb's symbol file */
    if (!image)
        hcr__log(NULL, HCR_LOG_WARN, "object: %s: invisible to debuggers: %s", path, msg.text);
    return image;
}

/* One object of a reload, linked and ready to switch in. */
struct prepared {
    const char *path;
    unsigned char *data;         /* the file; the linked tables point into it; NULL
                                    once it is gdb's symbol file (the debug image's) */
    struct hcr__elf elf;
    struct hcr__linked linked;
    int is_linked;
    int ready;                   /* prepared */
    unsigned seq;                /* the order it was prepared in */
    struct hcr__switched *sw;
    size_t nsw;
    struct hcr__object_record *rec;
    struct hcr__debug_image *debug;
};

/* Reads, links and finds the identity of every function `p->path`
   changes, and registers the new symbols so that the next objects of the
   same reload bind to them. Nothing of the running program changes. 0, or
   a negative code with msg; what was done is undone by discard(). */
static int prepare(struct prepared *p, struct hcr__process *proc, struct hcr__message *msg)
{
    size_t size = 0;
    int rc;
    if ((rc = read_object(p->path, &p->data, &size, msg)) < 0)
        return rc;
    if (size >= 4 && !memcmp(p->data, "BC\xc0\xde", 4))
        return hcr__fail(msg, HCR_EFLAGS,
                         "%s: is LLVM bitcode (built with -flto), not machine code; build the "
                         "unit without -flto", p->path);
    if ((rc = hcr__elf_open(&p->elf, p->path, p->data, size, hcr__arch_machine(), ET_REL,
                            msg)) < 0)
        return rc;
    if ((rc = hcr__link(&p->linked, &p->elf, p->path, proc, msg)) < 0)
        return rc;
    p->is_linked = 1;
    const struct hcr__linked *l = &p->linked;
    p->sw = calloc(l->nfunctions ? l->nfunctions : 1, sizeof *p->sw);
    p->rec = calloc(1, sizeof *p->rec);
    if (!p->sw || !p->rec)
        return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", p->path);
    for (size_t i = 0; i < l->nfunctions; i++) {
        const struct hcr__link_function *f = &l->functions[i];
        if (!f->original)
            continue;
        struct hcr__patch_target *t;
        rc = hcr__patch_target_get((void *)f->original, f->original_size, f->name, &t, msg);
        if (rc < 0) {
            char inner[HCR__MESSAGE_MAX];
            memcpy(inner, msg->text, sizeof inner);
            inner[sizeof inner - 1] = 0;
            return hcr__fail(msg, rc, "%s: %s", p->path, inner); /* inner names the function */
        }
        p->sw[p->nsw++] = (struct hcr__switched){t, hcr__patch_target_current(t),
                                                 (void *)f->entry, f->size, !f->patchable};
    }
    for (size_t i = 0; i < l->nnew_symbols; i++) {
        const struct hcr__link_symbol *ns = &l->new_symbols[i];
        /* With its type, so that a later reload that changes its layout
           migrates it. */
        struct hcr__type *type = ns->type_tree ? hcr__type_clone(ns->type_tree) : NULL;
        if ((ns->type_tree && !type) ||
            hcr__reloaded_add(proc, l->home_image, l->file, ns->local ? l->file_name : NULL,
                              ns->name, ns->address, ns->size, ns->type, type, 0) < 0)
            return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory recording %s", p->path,
                             ns->name);
    }
    return hcr__object_migrations_register(proc, p->path, l, msg);
}

/* Undoes prepare() of an object that never went live (or was not
   prepared); *p is left ready for another prepare(). */
static void discard(struct prepared *p)
{
    hcr__debug_unregister(p->debug);
    if (p->is_linked)
        hcr__link_discard(&p->linked);
    free(p->rec);
    free(p->sw);
    free(p->data);
    *p = (struct prepared){.path = p->path};
}

/* Prepares every object. One that names a symbol only a later object of
   the same reload adds (a function new in one file, called from another)
   fails with HCR_ENOSYM at first, and is tried again once the others are
   prepared: the order of the objects does not matter. 0, or the error of
   an object that cannot be prepared (for HCR_ENOSYM, once no object is
   left that could still add the symbol). */
static int prepare_all(struct prepared *ps, const struct hcr__reload_item *items, size_t n,
                       const size_t *order, struct hcr__process *proc, struct hcr__message *msg)
{
    for (size_t i = 0; i < n; i++)
        ps[i].path = items[i].object;
    size_t left = n;
    unsigned seq = 0;
    for (;;) {
        size_t progress = 0;
        int rc = 0;
        for (size_t o = 0; o < n; o++) {
            size_t i = order[o];
            if (ps[i].ready)
                continue;
            rc = prepare(&ps[i], proc, msg);
            if (rc == 0) {
                ps[i].ready = 1;
                ps[i].seq = seq++;
                progress++;
                continue;
            }
            discard(&ps[i]);
            if (rc != HCR_ENOSYM)
                return rc;
        }
        left -= progress;
        if (!left)
            return 0;
        if (!progress)
            return rc;
    }
}

/* The values of the variables that move, for the patcher's hold. */
struct moving {
    const struct hcr__migrate_object *objs;
    size_t n;
    struct hcr__migrate_outcome *outcomes;
};

static void move_values(void *user)
{
    struct moving *mv = user;
    hcr__object_migrations_apply(mv->objs, mv->n, mv->outcomes);
}

/* Makes the new entry of every switched function of the n objects current,
   as one change of the patcher: all or none; with `hold`, the values move
   while the other threads are paused for it. 0 or the error. */
static int switch_all(struct prepared *ps, size_t n, const struct hcr__patch_hold *hold,
                      struct hcr__message *msg)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ps[i].nsw;
    struct hcr__patch_switch *sw = malloc((total ? total : 1) * sizeof *sw);
    if (!sw)
        return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", ps[0].path);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ps[i].nsw; j++)
            sw[k++] = (struct hcr__patch_switch){ps[i].sw[j].target, ps[i].sw[j].entry,
                                                 ps[i].sw[j].size, ps[i].sw[j].no_pads};
    int rc = hcr__patch_switch_many(sw, total, hold, msg);
    free(sw);
    return rc;
}

/* Publishes the record of a prepared object, so that a crash in its code,
   even on another thread right after the switch, is attributed to it. */
static void publish(struct prepared *p, unsigned id, const char *source, size_t mark)
{
    struct hcr__object_record *rec = p->rec;
    rec->id = id;
    snprintf(rec->path, sizeof rec->path, "%s", p->path);
    snprintf(rec->source, sizeof rec->source, "%s", source ? source : "");
    const struct hcr__link_migrations *m = p->linked.migrations;
    snprintf(rec->unit, sizeof rec->unit, "%s", m && m->unit ? m->unit : "");
    rec->registry_mark = mark;
    rec->text_lo = p->linked.text_lo;
    rec->text_hi = p->linked.text_hi;
    rec->base = p->linked.base;
    rec->size = p->linked.size;
    hcr__object_record_publish(rec);
}

/* Withdraws a published object whose reload failed to switch (nothing of
   it went live): its record says it was reverted, and its code stays
   mapped like that of any record. */
static void unswitch(struct prepared *p)
{
    forget_all(p->sw, p->nsw);
    atomic_store(&p->rec->state, HCR__RELOAD_REVERTED);
    hcr__link_release_tables(&p->linked);
    free(p->sw);
    free(p->data);
}

/* The report line of one object that went live. */
static void report(const struct prepared *p, int quiet)
{
    const struct hcr__linked *l = &p->linked;
    hcr__log(NULL, quiet ? HCR_LOG_DEBUG : HCR_LOG_INFO,
             "object: reload %u of %s: %zu functions redirected, %zu variables kept; new in "
             "this edit: %zu functions, %zu variables%s; not in this edit: %zu functions",
             p->rec->id, p->path, p->nsw, l->bound, l->new_functions, l->new_variables,
             l->unit_checked || !(l->new_functions + l->new_variables)
                 ? ""
                 : " (by the symbol tables: the program has no debug information for the unit)",
             l->dropped_functions);
}

/* Keeps the constructors of the new functions of every object, in order,
   for running once the object lock is released. */
static int keep_constructors(struct hcr__reload_item *items, const struct prepared *ps, size_t n,
                             uintptr_t **out, size_t *count, struct hcr__message *msg)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ps[i].linked.nconstructors;
    *out = NULL;
    *count = 0;
    if (!total)
        return 0;
    if (!(*out = malloc(total * sizeof **out)))
        return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", items[0].object);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < ps[i].linked.nconstructors; c++)
            (*out)[(*count)++] = ps[i].linked.constructors[c];
    return 0;
}

/* The objects as the migration's checks see them; *early says whether
   one bound by name to the old storage of a global another object moves
   (it was linked first). */
static void migrate_view(const struct prepared *ps, size_t n, struct hcr__migrate_object *objs,
                         const struct hcr__elf **elfs, unsigned *seq, int *early)
{
    for (size_t i = 0; i < n; i++) {
        objs[i] = (struct hcr__migrate_object){ps[i].path, &ps[i].linked};
        elfs[i] = &ps[i].elf;
        seq[i] = ps[i].seq;
    }
    *early = 0;
    for (size_t i = 0; i < n && !*early; i++)
        *early = hcr__object_migrations_bound_early(objs, elfs, seq, n, i);
}

/* Prepares the n objects, and once more, those that move globals first,
   when an object that names such a global was linked before the move was
   registered. 0, or the error with everything undone. */
static int prepare_batch(struct prepared *ps, const struct hcr__reload_item *items, size_t n,
                         struct hcr__process *proc, struct hcr__migrate_object *objs,
                         size_t mark, struct hcr__message *msg)
{
    size_t *order = calloc(n, sizeof *order);
    const struct hcr__elf **elfs = calloc(n, sizeof *elfs);
    unsigned *seq = calloc(n, sizeof *seq);
    int rc = order && elfs && seq ? 0 : hcr__fail(msg, HCR_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (order)
            order[i] = i;
    int early = 0;
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        if ((rc = prepare_all(ps, items, n, order, proc, msg)) < 0)
            break;
        migrate_view(ps, n, objs, elfs, seq, &early);
        if (!early || pass == 1)
            break;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (ps[i].linked.migrations && ps[i].linked.migrations->count)
                order[k++] = i;
        for (size_t i = 0; i < n; i++)
            if (!ps[i].linked.migrations || !ps[i].linked.migrations->count)
                order[k++] = i;
        for (size_t i = 0; i < n; i++)
            discard(&ps[i]);
        hcr__reloaded_truncate(mark);
    }
    if (rc == 0 && early)
        rc = hcr__fail(msg, HCR_ESTATE,
                       "%s: the objects of this reload move globals that each other names, and "
                       "no order links every one after the move it needs; reload them apart",
                       items[0].object);
    if (rc == 0)
        rc = hcr__object_migrations_check(proc, objs, n, msg);
    free(order);
    free(elfs);
    free(seq);
    return rc;
}

/* The reload as a transaction over n objects: all are prepared before any
   is switched in, and all are switched in or none. */
static int reload_locked(struct hcr__reload_item *items, size_t n, int quiet, uintptr_t **ctors,
                         size_t *nctors, struct hcr__message *msg)
{
    struct prepared *ps = calloc(n, sizeof *ps);
    struct hcr__migrate_object *objs = calloc(n, sizeof *objs);
    if (!ps || !objs) {
        free(ps);
        free(objs);
        return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", items[0].object);
    }
    struct hcr__process *proc = hcr__process_get(msg);
    size_t mark = hcr__reloaded_count();
    int rc = proc ? prepare_batch(ps, items, n, proc, objs, mark, msg) : HCR_ENOEXEC;
    if (rc == 0)
        rc = keep_constructors(items, ps, n, ctors, nctors, msg);
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            discard(&ps[i]);
        hcr__reloaded_truncate(mark);
        free(ps);
        free(objs);
        return rc;
    }
    /* The values move with every other thread paused, right before the
       switch: no call of the old code writes between the copy and the
       switch, and one that was running finishes on the old storage
       (hcr.h section 9). */
    struct moving mv = {objs, n, NULL};
    size_t moves = hcr__object_migrations_count(objs, n);
    if (moves && !(mv.outcomes = calloc(moves, sizeof *mv.outcomes)))
        rc = hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", items[0].object);
    struct hcr__patch_hold hold = {move_values, &mv};
    if (rc == 0) {
        /* Debuggers and profilers learn about the new code before any call
           can reach it, so a breakpoint set by name before the reload is
           inserted in the new copy in time. Not fatal: the reload works
           without. The object's bytes become gdb's symbol file: nothing
           reads them as the object after this. */
        for (size_t i = 0; i < n; i++)
            ps[i].debug = register_debug(ps[i].path, &ps[i].elf, &ps[i].linked, &ps[i].data);
        for (size_t i = 0; i < n; i++)
            publish(&ps[i], hcr__object_records_next_id() + (unsigned)i, items[i].source, mark);
        if ((rc = switch_all(ps, n, moves ? &hold : NULL, msg)) < 0)
            /* switch_all switched nothing. */
            for (size_t i = n; i-- > 0;)
                unswitch(&ps[i]);
    } else {
        for (size_t i = 0; i < n; i++)
            discard(&ps[i]);
    }
    if (rc < 0) {
        hcr__reloaded_truncate(mark);
        free(*ctors);
        *ctors = NULL;
        *nctors = 0;
        free(mv.outcomes);
        free(objs);
        free(ps);
        return rc;
    }
    hcr__object_migrations_report(objs, n, mv.outcomes);
    free(mv.outcomes);
    free(objs);
    hcr__object_records_count_live((unsigned)n);
    for (size_t i = 0; i < n; i++) {
        struct prepared *p = &ps[i];
        const struct hcr__linked *l = &p->linked;
        items[i].stats = (struct hcr__reload_stats){p->nsw, l->new_functions, l->new_variables,
                                                    l->bound, l->dropped_functions};
        report(p, quiet);
        p->rec->switched = p->sw;
        p->rec->nswitched = p->nsw;
        atomic_store(&p->rec->state, HCR__RELOAD_LIVE);
        hcr__link_release_tables(&p->linked);
        free(p->data);
    }
    free(ps);
    hcr__object_guard_report_crashes();
    return 0;
}

int hcr_object_reload(const char *object_path)
{
    struct hcr__reload_item item = {object_path, NULL, {0}};
    return hcr__object_reload_batch(&item, 1, 0);
}

int hcr__object_reload_batch(struct hcr__reload_item *items, size_t n, int quiet)
{
    struct hcr__message msg = {{0}};
    for (size_t i = 0; i < n; i++)
        items[i].stats = (struct hcr__reload_stats){0};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!items[i].object || !items[i].object[0])
            rc = hcr__fail(&msg, HCR_EINVAL, "hcr_object_reload: no object path given");
    if (n == 0)
        rc = hcr__fail(&msg, HCR_EINVAL, "hcr_object_reload: no object given");
    uintptr_t *ctors = NULL;
    size_t nctors = 0;
    hcr__object_lock();
    if (rc == 0)
        rc = reload_locked(items, n, quiet, &ctors, &nctors, &msg);
    if (rc < 0) {
        hcr__object_set_error_locked(&msg);
        hcr__log(NULL, HCR_LOG_ERROR, "object: reload failed (%s): %s", hcr_error_name(rc),
                 msg.text);
    }
    hcr__object_unlock();
    /* Constructors of new functions run once, with no lock of hcr's held:
       they are user code, and may reload or crash. Those the program
       already had ran at its start, on the globals now shared, and do not. */
    for (size_t i = 0; i < nctors; i++)
        ((void (*)(void))ctors[i])();
    free(ctors);
    return rc;
}

int hcr__object_prepare(struct hcr__message *msg)
{
    hcr__object_lock();
    int rc = hcr__process_get(msg) ? 0 : HCR_ENOEXEC;
    hcr__object_unlock();
    return rc;
}
