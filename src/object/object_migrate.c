/*
 * object_migrate.c: the variables whose layout a reload changed (see
 * object_migrate.h). A variable may move to new storage only when nothing
 * the reload leaves in place can reach the old storage but by naming it,
 * since only the new code names the new storage. What is checked, over
 * the home image (its file: code and initialised data) and the memory of
 * every earlier reload (its code, and its data as it is now):
 *   - no instruction takes the variable's address (`lea`, an immediate, an
 *     8-byte load of a word that holds it, such as a GOT slot): code that
 *     only loads and stores it cannot keep a pointer to it;
 *   - no initialised data or data of an earlier reload holds a pointer
 *     into it (but the variables that move themselves, whose pointers are
 *     rebased);
 *   - a global is named only by code of units this reload replaces (the
 *     compilation unit of each referring instruction, from the image's
 *     debug information; an earlier reload's code by the unit it was
 *     compiled from);
 *   - no other image (a library) refers to a global by name in its dynamic
 *     symbol table while the home image exports it: the dynamic linker
 *     bound that library's references to the old storage.
 * What is not seen: code outside the home image and the reloads that
 * found the variable some other way (dlsym, an address computed from
 * another variable's). A function-local static of the unit, or a file
 * static, cannot be named by those; a global can, and the README says so.
 *
 * The move runs while every other thread is paused, right before the
 * switch (hcr__patch_switch_many's hold), so no call of the old code
 * writes between the copy and the switch. It reads the old storage only:
 * a thread that was inside an old function finishes that call on it, and
 * reverting the reload (a crash under hcr_object_protect) resumes the old
 * code on values the migration never touched.
 */
#include "object/object_migrate.h"
#include "arch/address_refs.h"
#include "migrate/migrate.h"
#include "object/object.h"
#include "object/reloaded.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

/* One block of the old storage of a migration of the reload (a variable,
   or a stored part of one the compiler split), and what the scans found
   about it. */
struct candidate {
    const struct hcr__link_migration *m;
    const char *path;                /* its object */
    uintptr_t lo;
    uint64_t size;
    size_t image;                    /* the image its unit belongs to */
    char why[HCR__MESSAGE_MAX / 2];  /* the first reason it cannot move; "" if none */
};

struct scan {
    struct hcr__process *proc;
    size_t image;
    const struct hcr__migrate_object *objs;
    size_t n;
    struct candidate *c;
    size_t nc;
    const struct hcr__object_record *record; /* the code scanned is this reload's; NULL:
                                                the image's */
    uintptr_t lo, hi;                /* spanning every candidate's old storage */
};

static struct candidate *candidate_at(const struct scan *s, uintptr_t address)
{
    for (size_t i = 0; i < s->nc; i++)
        if (address >= s->c[i].lo && address - s->c[i].lo < s->c[i].size)
            return &s->c[i];
    return NULL;
}

/* Whether some object of the reload was compiled from `unit`. */
static int unit_reloaded(const struct scan *s, const char *unit)
{
    for (size_t i = 0; unit && i < s->n; i++) {
        const struct hcr__link_migrations *m = s->objs[i].linked->migrations;
        if (m && m->unit && !strcmp(m->unit, unit))
            return 1;
    }
    return 0;
}

static int read_word(void *user, uintptr_t address, uint64_t *word)
{
    const struct scan *s = user;
    const struct hcr__proc_image *image = hcr__process_image(s->proc, s->image);
    int known = address >= image->lo && address < image->hi;
    for (const struct hcr__object_record *r = hcr__object_records_newest(); r && !known;
         r = r->older)
        known = address >= (uintptr_t)r->base && address - (uintptr_t)r->base < r->size;
    if (!known)
        return 0; /* not where a GOT slot or a pointer of the unit's would be */
    /* The instruction's operand may point anywhere: let the kernel say
       whether it is mapped rather than fault. */
    struct iovec local = {word, sizeof *word}, remote = {(void *)address, sizeof *word};
    return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)sizeof *word;
}

static int found_ref(void *user, uintptr_t pc, uintptr_t target, enum hcr__ref_kind kind)
{
    struct scan *s = user;
    struct candidate *c = candidate_at(s, target);
    if (!c || c->why[0])
        return 0;
    if (kind == HCR__REF_RETURNED)
        kind = !s->record && hcr__process_returns_nothing(s->proc, s->image, pc)
                   ? HCR__REF_ACCESS
                   : HCR__REF_ADDRESS;
    if (kind == HCR__REF_ADDRESS) {
        snprintf(c->why, sizeof c->why,
                 "its address is taken by the instruction at %#lx (%.*s): a pointer to the old "
                 "storage may be kept where the reload cannot see it",
                 (unsigned long)pc, 96, s->record ? s->record->path : "the program");
        return 0;
    }
    if (c->m->local)
        return 0; /* only the unit can name it, and the unit is what is reloaded */
    char *unit = s->record ? (s->record->unit[0] ? strdup(s->record->unit) : NULL)
                           : hcr__process_unit_at(s->proc, s->image, pc);
    if (!unit_reloaded(s, unit))
        snprintf(c->why, sizeof c->why,
                 "%.*s, which this reload does not replace, refers to it (at %#lx): reload it "
                 "in the same transaction",
                 96, unit ? unit : "code of an unknown unit",
                 (unsigned long)pc);
    free(unit);
    return 0;
}

/* Looks for words in data[0..size) (at run-time `at`, each word moved by
   `bias`) that point into a candidate, outside the candidates' own
   storage. */
static void scan_words(struct scan *s, const unsigned char *data, size_t size, uintptr_t at,
                       uintptr_t bias, const char *where)
{
    for (size_t off = (8 - at % 8) % 8; off + 8 <= size; off += 8) {
        uint64_t w;
        memcpy(&w, data + off, sizeof w);
        struct candidate *c = candidate_at(s, (uintptr_t)w + bias);
        if (!c || c->why[0] || candidate_at(s, at + off))
            continue;
        snprintf(c->why, sizeof c->why,
                 "a pointer to it is stored at %#lx (%.*s): it would keep pointing to the old "
                 "storage",
                 (unsigned long)(at + off), 96, where);
    }
}

/* The home image: its code and its initialised data, from its file. */
static void scan_image(struct scan *s)
{
    const struct hcr__elf *elf = hcr__process_image_elf(s->proc, s->image);
    uintptr_t bias = hcr__process_image(s->proc, s->image)->bias;
    if (!elf) {
        for (size_t i = 0; i < s->nc; i++)
            if (!s->c[i].why[0])
                snprintf(s->c[i].why, sizeof s->c[i].why,
                         "the program's file cannot be read to check who refers to it");
        return;
    }
    s->record = NULL;
    for (size_t i = 1; i < elf->shnum; i++) {
        const Elf64_Shdr *sh = &elf->shdrs[i];
        size_t size;
        const unsigned char *bytes = hcr__elf_section_data(elf, i, &size);
        if (!(sh->sh_flags & SHF_ALLOC) || !bytes || sh->sh_type == SHT_NOBITS)
            continue;
        if (sh->sh_flags & SHF_EXECINSTR)
            hcr__arch_scan_refs(bytes, size, sh->sh_addr + bias, s->lo, s->hi, found_ref,
                                read_word, s);
        else if (sh->sh_type == SHT_PROGBITS || sh->sh_type == SHT_INIT_ARRAY ||
                 sh->sh_type == SHT_FINI_ARRAY || sh->sh_type == SHT_PREINIT_ARRAY)
            scan_words(s, bytes, size, sh->sh_addr + bias, bias, hcr__elf_section_name(elf, i));
    }
}

/* Every earlier reload: its code, and the rest of its mapping as it is
   now (data, GOT). */
static void scan_records(struct scan *s)
{
    for (const struct hcr__object_record *r = hcr__object_records_newest(); r; r = r->older) {
        s->record = r;
        hcr__arch_scan_refs((const unsigned char *)r->text_lo, r->text_hi - r->text_lo,
                            r->text_lo, s->lo, s->hi, found_ref, read_word, s);
        uintptr_t base = (uintptr_t)r->base, end = base + r->size;
        if (r->text_lo > base)
            scan_words(s, (const unsigned char *)base, r->text_lo - base, base, 0, r->path);
        if (end > r->text_hi)
            scan_words(s, (const unsigned char *)r->text_hi, end - r->text_hi, r->text_hi, 0,
                       r->path);
    }
    s->record = NULL;
}

int hcr__object_migrations_check(struct hcr__process *proc, const struct hcr__migrate_object *objs,
                                 size_t n, struct hcr__message *msg)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const struct hcr__link_migrations *m = objs[i].linked->migrations;
        for (size_t j = 0; m && j < m->count; j++)
            total += 1 + m->items[j].nfrom_runs;
    }
    if (!total)
        return 0;
    struct scan s = {.proc = proc, .image = objs[0].linked->home_image, .objs = objs, .n = n,
                     .c = calloc(total, sizeof *s.c)};
    if (!s.c)
        return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", objs[0].path);
    for (size_t i = 0; i < n; i++) {
        const struct hcr__link_migrations *m = objs[i].linked->migrations;
        for (size_t j = 0; m && j < m->count; j++) {
            const struct hcr__link_migration *mg = &m->items[j];
            size_t image = objs[i].linked->home_image;
            if (mg->from_size)
                s.c[s.nc++] = (struct candidate){.m = mg, .path = objs[i].path, .lo = mg->from,
                                                 .size = mg->from_size, .image = image};
            for (size_t r = 0; r < mg->nfrom_runs; r++) {
                const struct hcr__dwarf_piece *run = &mg->from_runs[r];
                s.c[s.nc++] = (struct candidate){
                    .m = mg, .path = objs[i].path, .lo = (uintptr_t)run->address,
                    .size = run->flag_size ? run->flag_size : run->size, .image = image};
            }
        }
    }
    s.lo = UINTPTR_MAX;
    for (size_t i = 0; i < s.nc; i++) {
        if (s.c[i].lo < s.lo)
            s.lo = s.c[i].lo;
        if (s.c[i].lo + s.c[i].size > s.hi)
            s.hi = s.c[i].lo + s.c[i].size;
    }
    /* Each object's candidates live in its own home image; a reload of
       several images' units scans each. */
    for (size_t i = 0; i < n; i++) {
        size_t image = objs[i].linked->home_image, seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= objs[j].linked->home_image == image;
        if (seen)
            continue;
        s.image = image;
        scan_image(&s);
    }
    scan_records(&s);
    /* A library that names a global of the program binds to it through its
       own dynamic relocations, which no scan of the program sees. */
    for (size_t i = 0; i < s.nc; i++) {
        const char *other =
            s.c[i].m->local || s.c[i].why[0]
                ? NULL
                : hcr__process_named_by_other_images(proc, s.c[i].image, s.c[i].m->name);
        if (other)
            snprintf(s.c[i].why, sizeof s.c[i].why,
                     "the library %.*s refers to it by name (its dynamic symbol table), and "
                     "would keep using the old storage",
                     96, other);
    }
    int rc = 0;
    for (size_t i = 0; i < s.nc && rc == 0; i++)
        if (s.c[i].why[0])
            rc = hcr__fail(msg, HCR_ESTATE,
                           "%s: the layout of %s changed, and it cannot move to new storage: %s; "
                           "nothing was changed (keep its layout, or restart to apply)",
                           s.c[i].path, s.c[i].m->name, s.c[i].why);
    free(s.c);
    return rc;
}

int hcr__object_migrations_register(struct hcr__process *proc, const char *path,
                                    const struct hcr__linked *l, struct hcr__message *msg)
{
    const struct hcr__link_migrations *m = l->migrations;
    for (size_t i = 0; i < l->nsplits; i++) {
        /* A split variable, whatever moved of it: its fields, for the next
           reload to find where this one left them. */
        const struct hcr__link_split *sp = &l->splits[i];
        struct hcr__type *type = hcr__type_clone(sp->type);
        if (!type || hcr__reloaded_add_split(proc, l->home_image, l->file, l->file_name, sp->key,
                                             type, sp->runs, sp->nruns) < 0)
            return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory recording %s", path, sp->key);
    }
    for (size_t i = 0; m && i < m->count; i++) {
        const struct hcr__link_migration *mg = &m->items[i];
        if (mg->by_pieces)
            continue; /* registered with its variable, above */
        struct hcr__type *type = hcr__type_clone(mg->to_type);
        if (!type || hcr__reloaded_add(proc, l->home_image, l->file,
                                       mg->local ? l->file_name : NULL, mg->name, mg->to,
                                       mg->to_size, STT_OBJECT, type, 1) < 0)
            return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory recording %s", path, mg->name);
    }
    return 0;
}

struct rebase_all {
    const struct hcr__migrate_object *objs;
    size_t n;
};

/* A pointer read from an old value: into the old storage of a variable
   that moves, it goes to the same field of the new storage (or keeps its
   value when the new layout has no such place); anything else (the heap,
   a function, a variable that stays) is copied as it is. */
static int rebase_pointer(void *user, uintptr_t *value)
{
    const struct rebase_all *a = user;
    for (size_t i = 0; i < a->n; i++) {
        const struct hcr__link_migrations *m = a->objs[i].linked->migrations;
        for (size_t j = 0; m && j < m->count; j++) {
            const struct hcr__link_migration *mg = &m->items[j];
            uint64_t to;
            if (mg->by_pieces) {
                /* A split variable's address is never taken, but a part of
                   one kept whole may be pointed into. */
                for (size_t r = 0; r < mg->nfrom_runs; r++) {
                    const struct hcr__dwarf_piece *run = &mg->from_runs[r];
                    if (run->flag_size || *value < run->address ||
                        *value - run->address >= run->size)
                        continue;
                    if (hcr__migrate_plan_translate(mg->plan,
                                                    run->offset + (*value - run->address), &to))
                        *value = mg->to + (uintptr_t)to;
                    return 1;
                }
                continue;
            }
            /* One past the end is not taken as this variable's: in the
               program's .data the next variable starts there. */
            if (*value < mg->from || *value - mg->from >= mg->from_size)
                continue;
            if (hcr__migrate_plan_translate(mg->plan, *value - mg->from, &to))
                *value = mg->to + (uintptr_t)to;
            return 1;
        }
    }
    return 1;
}

static uint64_t read_number(const unsigned char *at, uint64_t size)
{
    uint64_t v = 0;
    for (uint64_t i = 0; i < size && i < 8; i++)
        v |= (uint64_t)at[i] << (8 * i);
    return v;
}

static void write_number(unsigned char *at, uint64_t size, uint64_t v)
{
    for (uint64_t i = 0; i < size; i++)
        at[i] = i < 8 ? (unsigned char)(v >> (8 * i)) : 0;
}

/* The value a stored part holds, its `size` bytes, into out. */
static void read_run(const struct hcr__dwarf_piece *r, unsigned char *out)
{
    if (!r->flag_size) {
        memcpy(out, (const void *)(uintptr_t)r->address, r->size);
        return;
    }
    uint64_t b = read_number((const unsigned char *)(uintptr_t)r->address, r->flag_size);
    write_number(out, r->size, r->flag_add + b * r->flag_mul);
}

/* Stores the value at `value` into a stored part: 1, or 0 when it is a
   flag and the value is neither of the two it can hold (left as it is). */
static int write_run(const struct hcr__dwarf_piece *r, const unsigned char *value)
{
    if (!r->flag_size) {
        memcpy((void *)(uintptr_t)r->address, value, r->size);
        return 1;
    }
    uint64_t mask = r->size >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * r->size)) - 1;
    uint64_t v = read_number(value, r->size), b;
    if (v == (r->flag_add & mask))
        b = 0;
    else if (v == ((r->flag_add + r->flag_mul) & mask))
        b = 1;
    else
        return 0;
    write_number((unsigned char *)(uintptr_t)r->address, r->flag_size, b);
    return 1;
}

/* Migrates one field of a split variable in the buffers the linker set
   aside (threads are paused: nothing is allocated): the old value gathered
   from its stored parts (the bytes of none unknown: never stored), the new
   one read from its storage (the new initialiser), converted, stored back. */
static void apply_pieces(const struct hcr__link_migration *mg, struct rebase_all *all,
                         struct hcr__migrate_outcome *outcome)
{
    uint64_t from_size = mg->from_type->size;
    unsigned char *from = mg->scratch, *stored = from + from_size, *to = stored + from_size;
    struct hcr__dwarf_piece dest = mg->to_run;
    dest.address = mg->to;
    for (size_t r = 0; r < mg->nfrom_runs; r++)
        read_run(&mg->from_runs[r], from + mg->from_runs[r].offset);
    read_run(&dest, to);
    hcr__migrate_apply_stored(mg->plan, from, stored, to, rebase_pointer, all, outcome);
    if (!write_run(&dest, to) && outcome->unfit++ == 0)
        snprintf(outcome->first_unfit, sizeof outcome->first_unfit,
                 "%s: the new code stores it as one of two values (%llu or %llu), and the old "
                 "one is neither",
                 mg->name, (unsigned long long)dest.flag_add,
                 (unsigned long long)(dest.flag_add + dest.flag_mul));
}

size_t hcr__object_migrations_count(const struct hcr__migrate_object *objs, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += objs[i].linked->migrations ? objs[i].linked->migrations->count : 0;
    return count;
}

void hcr__object_migrations_apply(const struct hcr__migrate_object *objs, size_t n,
                                  struct hcr__migrate_outcome *outcomes)
{
    struct rebase_all all = {objs, n};
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct hcr__link_migrations *m = objs[i].linked->migrations;
        for (size_t j = 0; m && j < m->count; j++, k++) {
            const struct hcr__link_migration *mg = &m->items[j];
            outcomes[k] = (struct hcr__migrate_outcome){0};
            if (mg->by_pieces)
                apply_pieces(mg, &all, &outcomes[k]);
            else
                hcr__migrate_apply(mg->plan, (const void *)mg->from, (void *)mg->to, 1,
                                   rebase_pointer, &all, &outcomes[k]);
        }
    }
}

void hcr__object_migrations_report(const struct hcr__migrate_object *objs, size_t n,
                                   const struct hcr__migrate_outcome *outcomes)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct hcr__linked *l = objs[i].linked;
        for (size_t j = 0; j < l->nsplits; j++)
            if (l->splits[j].lost)
                hcr__log(NULL, HCR_LOG_WARN,
                         "object: %s: %s is bound field by field; the value the program had "
                         "is not used for: %s",
                         objs[i].path, l->splits[j].key, l->splits[j].lost);
        const struct hcr__link_migrations *m = l->migrations;
        for (size_t j = 0; m && j < m->count; j++, k++) {
            const struct hcr__link_migration *mg = &m->items[j];
            const struct hcr__migrate_outcome *o = &outcomes[k];
            const char *loss = hcr__migrate_plan_loss(mg->plan);
            const char *summary = hcr__migrate_plan_summary(mg->plan);
            if (!summary[0])
                summary = "the same type, stored another way (pieces, a flag)";
            hcr__log(NULL, loss || o->unfit ? HCR_LOG_WARN : HCR_LOG_INFO,
                     "object: %s: %s migrated to its new layout: %s%s%s%s", objs[i].path,
                     mg->name, summary,
                     o->unfit ? "; kept the new initialiser where a value did not fit: " : "",
                     o->unfit ? o->first_unfit : "", o->unfit > 1 ? " (and others)" : "");
        }
    }
}

/* Whether `elf` refers to `name` without defining it. */
static int refers_to(const struct hcr__elf *elf, const char *name)
{
    for (size_t k = 1; k < elf->nsyms; k++)
        if (hcr__elf_sym_shndx(elf, k) == SHN_UNDEF &&
            !strcmp(hcr__elf_sym_name(elf, &elf->syms[k]), name))
            return 1;
    return 0;
}

int hcr__object_migrations_bound_early(const struct hcr__migrate_object *objs,
                                       const struct hcr__elf *const *elfs, const unsigned *order,
                                       size_t n, size_t i)
{
    for (size_t j = 0; j < n; j++) {
        const struct hcr__link_migrations *m = objs[j].linked->migrations;
        if (j == i || order[i] > order[j])
            continue;
        for (size_t k = 0; m && k < m->count; k++)
            if (!m->items[k].local && refers_to(elfs[i], m->items[k].name))
                return 1;
    }
    return 0;
}
