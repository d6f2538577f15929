/*
 * link_pieces.c: the linker's stage for variables the compiler split (see
 * link_internal.h and src/dwarf/pieces.h). clang -O2 turns
 * `static struct S {int a; long b; int c;} s`, whose address is never
 * taken, into one local symbol per field it stores, named by position:
 * `s.0` (a) and `s.1` (c) while b, never written, is a constant in the
 * code. The next build numbers them anew: insert a field before c and c
 * is `s.2`, or the new field `s.1`. So a piece is never bound by its name.
 * Both versions' debug information keep `s` whole, with a location saying
 * which bytes of it each symbol holds; with the type trees those bytes
 * are a field path (`s.c`, `arr[2].x`), and each piece of the object is
 * bound to what holds the same field in the running program: the
 * program's piece of it, whatever its name, the bytes of the whole
 * variable when the program kept it whole, or an earlier reload's storage
 * of it (the registry, reloaded.c).
 *
 *   - same path, same type, one place: bound there;
 *   - same path, another type (an int made long long), or held in several
 *     places: the piece gets storage of its own, and the field's value is
 *     migrated into it at commit like any variable's (object_migrate.c);
 *   - a path the old layout lacks, or a field the old version never
 *     stored (only read: a constant in its code, so its initialiser): the
 *     new initialiser;
 *   - a whole variable of the object whose old version was split is one
 *     piece, of path `s`: migrated from the old pieces.
 * Where hcr cannot tell which field a piece holds (bytes that are no one
 * field while the type changed, a location hcr does not read), the reload
 * is refused with HCR_ESTATE naming the object, the variable and the
 * field. So is a symbol bound by name to one of the program's pieces when
 * the object's debug information does not say what it holds.
 *
 * Nothing here maps or writes memory.
 */
#include "object/link_internal.h"
#include "migrate/migrate.h"
#include "object/reloaded.h"
#include "object/unit_vars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The stage's working state. */
struct pieces {
    struct linker *lk;
    struct hcr__unit_vars object, program;
    uintptr_t program_bias;
    struct hcr__dwarf_piece *scratch; /* HCR__PIECES_MAX */
};

void hcr__link_splits_free(struct hcr__link_split *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].runs);
        free(v[i].syms);
        free(v[i].lost);
    }
    free(v);
}

/* What holds a variable in the version the object replaces. */
struct old {
    const struct hcr__type *type;
    const struct hcr__dwarf_piece *runs; /* run-time addresses */
    size_t nruns;
    int whole;                           /* one block: not split */
};

/* ---- deciding one piece --------------------------------------------------- */

/* A variable of the object being bound by its pieces. */
struct binding {
    struct pieces *st;
    struct hcr__unit_var *v;
    const struct old *old;
    int same;                      /* the variable's type did not change */
    int moved_whole;               /* the whole variable migrates: the plan says what was lost */
    struct hcr__link_split *split;
};

/* Refuses the reload over the object's piece k, which holds `field` (a
   path, or a range of bytes) of the variable. */
static int refuse(struct binding *b, size_t k, const char *field, const char *why)
{
    struct linker *lk = b->st->lk;
    return hcr__fail(lk->msg, HCR_ESTATE,
                     "%s: cannot tell which field of %s, which the compiler split into "
                     "pieces, the running program holds for %s (the object's %s): %s; nothing "
                     "was changed (restart to apply the edit)",
                     lk->path, b->v->key, field, hcr__elf_sym_name(lk->elf, &lk->elf->syms[k]),
                     why);
}

/* The object's piece k starts from the new initialiser, in the object's
   own storage. */
static void fresh(struct linker *lk, size_t k)
{
    lk->syms[k].state = S_NEW;
    lk->syms[k].address = 0;
    lk->syms[k].bound_size = 0;
}

static int same_flag(const struct hcr__dwarf_piece *a, const struct hcr__dwarf_piece *b)
{
    return a->flag_size == b->flag_size && a->flag_mul == b->flag_mul &&
           a->flag_add == b->flag_add;
}

/* Records that piece k (run r of the object's variable, `to` its part of
   the new type, `from` the same field's part of the old one at offset
   o_off) moves: its value is gathered at commit from the old runs over
   that field. 0 or a negative code. */
static int move(struct binding *b, size_t k, const struct hcr__dwarf_piece *r,
                const struct hcr__type *from, uint64_t o_off, const struct hcr__type *to,
                const char *field)
{
    struct linker *lk = b->st->lk;
    struct hcr__link_migrations *m = lk->migrations;
    const struct old *old = b->old;
    struct hcr__dwarf_piece *runs = calloc(old->nruns ? old->nruns : 1, sizeof *runs);
    /* The old value, its stored bytes, the new value (object_migrate.c). */
    unsigned char *scratch = calloc(1, 2 * from->size + to->size + 1);
    unsigned char *stored = scratch ? scratch + from->size : NULL;
    struct hcr__link_migration *grown = hcr__grow(m->items, m->count, &m->cap, sizeof *grown, 8);
    int rc = 0;
    if (grown)
        m->items = grown;
    if (!runs || !scratch || !grown) {
        rc = hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
        goto out;
    }
    size_t n = 0;
    uint64_t end = o_off + from->size;
    for (size_t i = 0; i < old->nruns; i++) {
        const struct hcr__dwarf_piece *o = &old->runs[i];
        if (o->offset >= end || o->offset + o->size <= o_off)
            continue;
        struct hcr__dwarf_piece c = *o;
        uint64_t lo = o->offset > o_off ? o->offset : o_off;
        uint64_t hi = o->offset + o->size < end ? o->offset + o->size : end;
        if (o->flag_size && (lo != o->offset || hi != o->offset + o->size)) {
            rc = refuse(b, k, field, "the old version keeps a value across it as one flag");
            goto out;
        }
        if (!o->flag_size)
            c.address += lo - o->offset;
        c.offset = lo - o_off;
        c.size = hi - lo;
        memset(stored + c.offset, 1, c.size);
        runs[n++] = c;
    }
    struct hcr__link_migration *mg = &m->items[m->count];
    *mg = (struct hcr__link_migration){.name = NULL, .local = 1, .from_size = 0,
                                       .to_size = r->size, .from_type = from, .to_type = to,
                                       .sym = k, .from_runs = runs, .nfrom_runs = n,
                                       .to_run = *r, .by_pieces = 1, .scratch = scratch};
    mg->to_run.offset = 0;
    mg->to_run.address = 0;
    if (old->whole) {
        /* The old variable was one block: guard all of it (a pointer to
           the struct reaches this field too). */
        mg->from = old->runs[0].address;
        mg->from_size = old->runs[0].size;
    }
    char *name = strdup(field);
    if (!name || hcr__migrate_plan_build(from, to, field, &mg->plan) < 0) {
        free(name);
        rc = hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory migrating %s", lk->path, field);
        goto out;
    }
    const char *partly = hcr__migrate_partly_stored(mg->plan, stored);
    if (partly) {
        free(name);
        hcr__migrate_plan_free(mg->plan);
        rc = hcr__fail(lk->msg, HCR_ESTATE,
                       "%s: %s cannot be migrated: the old version stores only part of %s; "
                       "nothing was changed (restart to apply the edit)",
                       lk->path, field, partly);
        goto out;
    }
    mg->name = name; /* owned: freed with the migrations (by_pieces) */
    m->count++;
    runs = NULL;
    scratch = NULL;
    fresh(lk, k);
    lk->syms[k].migrated = 1;
out:
    free(runs);
    free(scratch);
    return rc;
}

/* Binds or places piece i of the object's variable (symbol k). */
static int decide(struct binding *b, size_t i, size_t k)
{
    struct linker *lk = b->st->lk;
    const struct hcr__dwarf_piece *r = &b->v->runs[i];
    const struct old *old = b->old;
    struct hcr__type_path path = {.n = 0};
    char field[256];
    const struct hcr__type *to = hcr__type_part_at(b->v->type, r->offset, r->size, &path);
    const struct hcr__type *from;
    uint64_t o_off, o_size;
    if (to)
        hcr__type_path_text(b->v->key, &path, field, sizeof field);
    else
        snprintf(field, sizeof field, "bytes %llu..%llu of %s", (unsigned long long)r->offset,
                 (unsigned long long)(r->offset + r->size - 1), b->v->key);
    if (b->same) {
        from = to;
        o_off = r->offset;
        o_size = r->size;
    } else {
        if (!to)
            return refuse(b, k, field, "those bytes are no one field of its type, which the "
                                       "edit changed");
        from = hcr__type_part_by_path(old->type, &path, &o_off);
        if (!from) {
            fresh(lk, k); /* a field the old layout lacks */
            return 0;
        }
        o_size = from->size;
    }
    const struct hcr__dwarf_piece *only = NULL;
    size_t overlapping = 0;
    for (size_t j = 0; j < old->nruns; j++) {
        const struct hcr__dwarf_piece *o = &old->runs[j];
        if (o->offset < o_off + o_size && o_off < o->offset + o->size) {
            overlapping++;
            only = o;
        }
    }
    if (!overlapping) {
        fresh(lk, k); /* never stored: the old code had its initialiser as a constant */
        return 0;
    }
    int one_place = overlapping == 1 && only->offset <= o_off &&
                    o_off + o_size <= only->offset + only->size;
    int same_type = b->same || hcr__type_same(from, to);
    int same_form = !only->flag_size && !r->flag_size;
    if (one_place && (only->flag_size || r->flag_size))
        same_form = only->offset == o_off && only->size == o_size && o_size == r->size &&
                    same_flag(only, r);
    if (one_place && same_type && same_form) {
        struct hcr__proc_sym ps = {
            .address = (uintptr_t)only->address + (only->flag_size ? 0 : o_off - only->offset),
            .size = r->flag_size ? r->flag_size : r->size};
        return hcr__link_bind_variable(lk, k, &ps);
    }
    if (!to || !from)
        return refuse(b, k, field, "the running program stores those bytes apart, and they are "
                                   "no one field of its type");
    if (path.n == 0)
        b->moved_whole = 1;
    return move(b, k, r, from, o_off, to, field);
}

/* What the old version stored that the new one drops or keeps nowhere
   (a constant of the new code), field by field. */
struct losses {
    struct binding *b;
    char text[512];
    size_t used, leaves;
};

#define LOSS_LEAVES 4096 /* fields looked at per variable */

static void note_loss(struct losses *l, const struct hcr__type_path *path, const char *what)
{
    char field[256];
    if (l->used >= sizeof l->text - 1)
        return;
    hcr__type_path_text(l->b->v->key, path, field, sizeof field);
    int w = snprintf(l->text + l->used, sizeof l->text - l->used, "%s%s (%s)",
                     l->used ? ", " : "", field, what);
    if (w > 0)
        l->used += (size_t)w < sizeof l->text - l->used ? (size_t)w : sizeof l->text - l->used - 1;
}

/* Looks at every field of old type t (at `offset` in the variable, `path`
   to it) inside the old stored part [lo, hi). */
static void walk_losses(struct losses *l, const struct hcr__type *t, uint64_t offset,
                        struct hcr__type_path *path, uint64_t lo, uint64_t hi)
{
    if (offset >= hi || offset + t->size <= lo || ++l->leaves > LOSS_LEAVES ||
        path->n == HCR__TYPE_PATH_MAX)
        return;
    if (t->kind == HCR__TYPE_STRUCT) {
        size_t anonymous = 0;
        for (size_t i = 0; i < t->u.record.count; i++) {
            const struct hcr__type_member *m = &t->u.record.members[i];
            size_t rank = m->name ? 0 : anonymous++;
            if (m->bit_size)
                continue; /* read with its neighbours: not named apart */
            path->steps[path->n++] =
                (struct hcr__type_path_step){.name = m->name, .anonymous = rank};
            walk_losses(l, m->type, offset + m->offset, path, lo, hi);
            path->n--;
        }
        return;
    }
    if (t->kind == HCR__TYPE_ARRAY && t->u.array.element->size) {
        const struct hcr__type *e = t->u.array.element;
        for (uint64_t i = 0; i < t->u.array.count && l->leaves <= LOSS_LEAVES; i++) {
            path->steps[path->n++] = (struct hcr__type_path_step){.index = i, .is_index = 1};
            walk_losses(l, e, offset + i * e->size, path, lo, hi);
            path->n--;
        }
        return;
    }
    if (offset < lo || offset + t->size > hi)
        return; /* a scalar the old version stores only in part: not told */
    const struct binding *b = l->b;
    uint64_t n_off = offset;
    const struct hcr__type *now = b->same ? t : hcr__type_part_by_path(b->v->type, path, &n_off);
    if (!now) {
        note_loss(l, path, "dropped");
        return;
    }
    for (size_t i = 0; i < b->v->nruns; i++)
        if (b->v->runs[i].offset < n_off + now->size &&
            n_off < b->v->runs[i].offset + b->v->runs[i].size)
            return;
    note_loss(l, path, "now a constant of the new code");
}

/* Records in the split what the old version stored that the new one
   drops or keeps nowhere, for the log line at commit (a migrated whole
   variable's plan says it already). 0 or HCR_ENOMEM. */
static int note_losses(struct binding *b)
{
    struct losses l = {.b = b};
    if (b->moved_whole || !b->old->type)
        return 0;
    for (size_t j = 0; j < b->old->nruns; j++) {
        struct hcr__type_path path = {.n = 0};
        const struct hcr__dwarf_piece *o = &b->old->runs[j];
        walk_losses(&l, b->old->type, 0, &path, o->offset, o->offset + o->size);
    }
    if (l.used && !(b->split->lost = strdup(l.text)))
        return hcr__fail(b->st->lk->msg, HCR_ENOMEM, "%s: out of memory", b->st->lk->path);
    return 0;
}

/* ---- the stage -------------------------------------------------------------- */

/* Whether object symbol k is state: a variable in writable loaded data. */
static int is_state_symbol(const struct linker *lk, size_t k)
{
    const Elf64_Sym *s = &lk->elf->syms[k];
    unsigned type = ELF64_ST_TYPE(s->st_info);
    return (type == STT_OBJECT || type == STT_NOTYPE) &&
           hcr__link_is_state(lk, hcr__elf_sym_shndx(lk->elf, k));
}

/* Whether the object has a local state variable with a compiler-made
   name (`s.0`), which may be a piece or a variable kept under another
   name. */
static int has_dotted_state(const struct linker *lk)
{
    for (size_t k = 1; k < lk->elf->nsyms; k++)
        if (ELF64_ST_BIND(lk->elf->syms[k].st_info) == STB_LOCAL && is_state_symbol(lk, k) &&
            strchr(hcr__elf_sym_name(lk->elf, &lk->elf->syms[k]), '.'))
            return 1;
    return 0;
}

static int append_split(struct linker *lk, struct hcr__unit_var *v, const size_t *syms,
                        struct hcr__link_split **out)
{
    struct hcr__link_split *grown =
        hcr__grow(lk->splits, lk->nsplits, &lk->splits_cap, sizeof *grown, 8);
    if (!grown)
        return HCR_ENOMEM;
    lk->splits = grown;
    struct hcr__link_split *s = &lk->splits[lk->nsplits];
    *s = (struct hcr__link_split){.key = strdup(v->key), .type = v->type};
    s->runs = malloc((v->nruns ? v->nruns : 1) * sizeof *s->runs);
    s->syms = malloc((v->nruns ? v->nruns : 1) * sizeof *s->syms);
    if (!s->key || !s->runs || !s->syms) {
        free(s->key);
        free(s->runs);
        free(s->syms);
        return HCR_ENOMEM;
    }
    for (size_t i = 0; i < v->nruns; i++)
        if (syms[i]) {
            s->runs[s->nruns] = v->runs[i];
            s->syms[s->nruns++] = syms[i];
        }
    lk->nsplits++;
    *out = s;
    return 0;
}

/* Binds the object's variable v by its pieces when it is split in either
   version (or kept under another name, or registered split by an earlier
   reload); leaves it to the lookup by name otherwise. */
static int bind_variable(struct pieces *st, struct hcr__unit_var *v, int dotted, int any_split)
{
    struct linker *lk = st->lk;
    struct hcr__link_migrations *m = lk->migrations;
    struct hcr__unit_var *pv = hcr__unit_vars_find(&st->program, v->key);
    struct hcr__reloaded_storage reg;
    int rc, in_registry = 0;
    int split = v->kind == HCR__LOC_PIECES || v->kind == HCR__LOC_INVALID ||
                (pv && (pv->kind == HCR__LOC_PIECES || pv->kind == HCR__LOC_INVALID));
    if (!split && dotted && v->kind == HCR__LOC_ADDRESS && !v->function_local) {
        /* A whole variable under a compiler-made name (`s.0` for `s`). */
        if ((rc = hcr__unit_var_load(v, m->object_types, 0, st->scratch)) < 0)
            return hcr__fail(lk->msg, rc, "%s: out of memory reading debug information",
                             lk->path);
        size_t k = v->nruns ? hcr__object_dwarf_symbol_at(m->dwarf, v->runs[0].address)
                            : 0;
        split = k && strcmp(hcr__elf_sym_name(lk->elf, &lk->elf->syms[k]), v->name) != 0;
    }
    if ((split || any_split) && lk->file_name)
        in_registry = hcr__reloaded_find_storage(lk->proc, lk->home, lk->file, lk->file_name,
                                                 v->key, &reg);
    if (v->external || (!split && !(in_registry && reg.split)))
        return 0;
    if (v->ambiguous || (pv && pv->ambiguous))
        return hcr__fail(lk->msg, HCR_ESTATE,
                         "%s: %s names two variables of %s (statics of two blocks of one "
                         "function), and the compiler split one into pieces: cannot tell which "
                         "is which; nothing was changed (rename one, or restart to apply)",
                         lk->path, v->key, lk->file_name ? lk->file_name : "the unit");
    /* A whole flag is told only with its size. */
    if ((rc = hcr__unit_var_load(v, m->object_types, 0, st->scratch)) < 0)
        return hcr__fail(lk->msg, rc, "%s: out of memory reading debug information", lk->path);
    if (v->kind == HCR__LOC_INVALID) {
        if (!in_registry && !(pv && pv->kind != HCR__LOC_NONE))
            return 0; /* new: its names bind nothing the program has (check_names) */
        return hcr__fail(lk->msg, HCR_ESTATE,
                         "%s: the debug information of the object says where it stores %s in "
                         "a form hcr does not read, so hcr cannot tell which of its fields each "
                         "symbol holds; nothing was changed (restart to apply the edit)",
                         lk->path, v->key);
    }
    if (v->kind != HCR__LOC_PIECES && v->kind != HCR__LOC_ADDRESS)
        return 0; /* no storage, or not the object's to bind */
    size_t *syms = calloc(v->nruns ? v->nruns : 1, sizeof *syms);
    int name_bound = 0;
    if (!syms)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    rc = 0;
    for (size_t i = 0; i < v->nruns && rc == 0; i++) {
        const struct hcr__dwarf_piece *r = &v->runs[i];
        size_t k = hcr__object_dwarf_symbol_at(m->dwarf, r->address);
        if (!k || !is_state_symbol(lk, k))
            continue; /* constant data: the new object's, like any constant */
        uint64_t want = r->flag_size ? r->flag_size : r->size;
        if (lk->elf->syms[k].st_size && lk->elf->syms[k].st_size != want)
            rc = hcr__fail(lk->msg, HCR_ESTATE,
                           "%s: symbol %s holds %llu bytes where the debug information puts "
                           "%llu bytes of %s: cannot tell what it holds; nothing was changed",
                           lk->path, hcr__elf_sym_name(lk->elf, &lk->elf->syms[k]),
                           (unsigned long long)lk->elf->syms[k].st_size,
                           (unsigned long long)want, v->key);
        syms[i] = k;
        name_bound |= lk->syms[k].state == S_BOUND;
        lk->syms[k].piece = 1;
        fresh(lk, k);
    }
    struct old old = {0};
    int have_old = 0;
    if (rc == 0 && in_registry) {
        old = (struct old){reg.type, reg.runs, reg.nruns, !reg.split};
        have_old = 1;
    } else if (rc == 0 && pv) {
        if ((rc = hcr__unit_var_load(pv, m->program_types, st->program_bias, st->scratch)) < 0)
            rc = hcr__fail(lk->msg, rc, "%s: out of memory reading debug information", lk->path);
        else if (pv->kind == HCR__LOC_PIECES || pv->kind == HCR__LOC_ADDRESS)
            old = (struct old){pv->type, pv->runs, pv->nruns, pv->kind == HCR__LOC_ADDRESS},
            have_old = 1;
        else if (pv->kind != HCR__LOC_NONE)
            rc = hcr__fail(lk->msg, HCR_ESTATE,
                           "%s: the running program's debug information says where it stores "
                           "%s in a form hcr does not read, so hcr cannot tell which field each "
                           "piece of it holds; nothing was changed (restart to apply the edit)",
                           lk->path, v->key);
    } else if (rc == 0 && name_bound) {
        rc = hcr__fail(lk->msg, HCR_ESTATE,
                       "%s: %s is split into pieces named by position, and the running program "
                       "has no debug information for %s to say which field its pieces of that "
                       "name hold; nothing was changed (build the program with -g)",
                       lk->path, v->key, lk->file_name ? lk->file_name : "the unit");
    }
    if (rc == 0 && !lk->file_name)
        rc = hcr__fail(lk->msg, HCR_ESTATE,
                       "%s: %s is split into pieces, and the object names no source file to "
                       "register them under; nothing was changed",
                       lk->path, v->key);
    if (rc == 0 && have_old && !old.type)
        rc = hcr__fail(lk->msg, HCR_ESTATE,
                       "%s: %s is split into pieces, and the type the running program has for "
                       "it is unknown: cannot tell which field each piece holds; nothing was "
                       "changed",
                       lk->path, v->key);
    struct binding b = {.st = st, .v = v, .old = &old};
    if (rc == 0 && (rc = append_split(lk, v, syms, &b.split)) < 0)
        rc = hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    if (rc == 0 && have_old) {
        b.same = hcr__type_same(old.type, v->type);
        for (size_t i = 0; i < v->nruns && rc == 0; i++)
            if (syms[i])
                rc = decide(&b, i, syms[i]);
        if (rc == 0)
            rc = note_losses(&b);
    }
    free(syms);
    return rc;
}

/* The last guard: a state symbol of the object that its name bound to
   storage the program's debug information calls a piece of some
   variable, while the object's says nothing of it (it would otherwise be
   bound by position). */
static int check_names(struct pieces *st)
{
    struct linker *lk = st->lk;
    for (size_t i = 0; i < st->program.n; i++) {
        struct hcr__unit_var *pv = &st->program.v[i];
        if (pv->kind != HCR__LOC_PIECES && pv->kind != HCR__LOC_INVALID)
            continue;
        int rc = hcr__unit_var_load(pv, lk->migrations->program_types, st->program_bias,
                                    st->scratch);
        if (rc < 0)
            return hcr__fail(lk->msg, rc, "%s: out of memory reading debug information",
                             lk->path);
        if (pv->kind != HCR__LOC_PIECES)
            continue;
        for (size_t k = 1; k < lk->elf->nsyms; k++) {
            const struct lsym *ls = &lk->syms[k];
            if (ls->state != S_BOUND || ls->piece || !is_state_symbol(lk, k))
                continue;
            for (size_t j = 0; j < pv->nruns; j++) {
                const struct hcr__dwarf_piece *r = &pv->runs[j];
                uint64_t bytes = r->flag_size ? r->flag_size : r->size;
                if (ls->address < r->address || ls->address - r->address >= bytes)
                    continue;
                const char *name = hcr__elf_sym_name(lk->elf, &lk->elf->syms[k]);
                return hcr__fail(lk->msg, HCR_ESTATE,
                                 "%s: %s is bound by its name to storage that holds bytes "
                                 "%llu..%llu of %s in the running program, but the object's "
                                 "debug information does not say which field its %s holds: "
                                 "they may be different fields; nothing was changed (build "
                                 "with -g)",
                                 lk->path, name, (unsigned long long)r->offset,
                                 (unsigned long long)(r->offset + r->size - 1), pv->key, name);
            }
        }
    }
    return 0;
}

int hcr__link_bind_pieces(struct linker *lk)
{
    if (!lk->proc)
        return 0;
    int rc = hcr__link_open_debug(lk);
    if (rc < 0)
        return rc;
    struct hcr__link_migrations *m = lk->migrations;
    Dwarf_Die cu, program_cu;
    int object_debug = m->object_types && hcr__object_dwarf_cu(m->dwarf, &cu);
    struct pieces st = {.lk = lk, .scratch = malloc(HCR__PIECES_MAX * sizeof *st.scratch)};
    if (!st.scratch)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    if (m->program_types && hcr__process_unit_cu(lk->proc, lk->home, lk->file, &program_cu)) {
        st.program_bias = hcr__process_image(lk->proc, lk->home)->bias;
        rc = hcr__unit_vars_list(&program_cu, &st.program, st.scratch);
    }
    if (rc == 0 && object_debug)
        rc = hcr__unit_vars_list(&cu, &st.object, st.scratch);
    /* Both lists by place, for the layout comparison that follows. */
    if (rc == 0 && st.program.v && !m->program_vars_read &&
        (rc = hcr__unit_vars_by_place(&st.program, st.program_bias, &m->program_vars,
                                      &m->nprogram_vars)) == 0)
        m->program_vars_read = 1;
    if (rc == 0 && object_debug && !m->object_vars_read &&
        (rc = hcr__unit_vars_by_place(&st.object, 0, &m->object_vars, &m->nobject_vars)) == 0)
        m->object_vars_read = 1;
    if (rc < 0)
        rc = hcr__fail(lk->msg, rc, "%s: out of memory reading debug information", lk->path);
    int dotted = has_dotted_state(lk), any_split = hcr__reloaded_any_split();
    for (size_t i = 0; rc == 0 && i < st.object.n; i++)
        rc = bind_variable(&st, &st.object.v[i], dotted, any_split);
    if (rc == 0)
        rc = check_names(&st);
    hcr__unit_vars_free(&st.object);
    hcr__unit_vars_free(&st.program);
    free(st.scratch);
    return rc;
}

void hcr__link_place_pieces(struct linker *lk)
{
    for (size_t i = 0; i < lk->nsplits; i++)
        for (size_t j = 0; j < lk->splits[i].nruns; j++)
            lk->splits[i].runs[j].address = lk->syms[lk->splits[i].syms[j]].address;
}
