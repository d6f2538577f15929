/*
 * pointers.c: where a pointer into the old version goes in the new one,
 * for state carried across a reload. A value inside one of the old
 * version's variables goes to the same variable of the new version (same
 * key), at the same field and element (migrate_plan's translation); a
 * value that is the entry of one of the old version's functions goes to
 * the new version's function of the same name (and file, for a static
 * one). Anything else (the heap, the host, other libraries, the old
 * version's constants) is left alone. A pointer into the old version that
 * has no place in the new one keeps its value, and the first such is
 * logged: it stays valid while the old version is mapped (two reloads).
 *
 * Each version's indexes (its variables by address, its functions by
 * address and by name) are built when it is prepared, on the watch
 * thread, so that rebasing on the host's thread allocates nothing.
 */
#include "plugin_internal.h"

#include "migrate/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int compare_address(const void *a, const void *b)
{
    const struct hcr__var *x = *(const struct hcr__var *const *)a;
    const struct hcr__var *y = *(const struct hcr__var *const *)b;
    return (x->address > y->address) - (x->address < y->address);
}

static int compare_function_address(const void *a, const void *b)
{
    const struct hcr__function *x = a, *y = b;
    return (x->address > y->address) - (x->address < y->address);
}

static int compare_function_name(const void *a, const void *b)
{
    const struct hcr__function *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Every defined function of a version's symbol table (its dynamic one
   without), sorted by `order`. NULL and *count 0 when it has none. */
static struct hcr__function *functions_of(const struct hcr__elf *elf, size_t *count,
                                           int (*order)(const void *, const void *))
{
    int full = elf->syms != NULL;
    const Elf64_Sym *syms = full ? elf->syms : elf->dynsyms;
    size_t n = full ? elf->nsyms : elf->ndynsyms;
    struct hcr__function *out = n ? malloc(n * sizeof *out) : NULL;
    const char **files = full && n ? calloc(n, sizeof *files) : NULL;
    *count = 0;
    if (!out || (full && !files)) {
        free(out);
        free(files);
        return NULL;
    }
    if (full)
        hcr__elf_sym_files(elf, files);
    for (size_t i = 1; i < n; i++) {
        const Elf64_Sym *s = &syms[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF)
            continue;
        const char *name = full ? hcr__elf_sym_name(elf, s) : hcr__elf_dynsym_name(elf, s);
        if (!name[0])
            continue;
        out[(*count)++] = (struct hcr__function){s->st_value, name, full ? files[i] : NULL};
    }
    free(files);
    if (*count)
        qsort(out, *count, sizeof *out, order);
    return out;
}

int hcr__pointer_index_build(struct hcr__pointer_index *ix, const struct hcr__state_table *vars,
                             const struct hcr__elf *elf)
{
    memset(ix, 0, sizeof *ix);
    size_t n = vars->count;
    ix->by_address = n ? malloc(n * sizeof *ix->by_address) : NULL;
    if (n && !ix->by_address)
        return HCR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        ix->by_address[i] = &vars->vars[i];
    if (n)
        qsort(ix->by_address, n, sizeof *ix->by_address, compare_address);
    ix->count = n;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || ix->by_address[i]->address < ix->lo)
            ix->lo = ix->by_address[i]->address;
        if (ix->by_address[i]->address + ix->by_address[i]->size > ix->hi)
            ix->hi = ix->by_address[i]->address + ix->by_address[i]->size;
    }
    ix->functions_by_address = functions_of(elf, &ix->function_count, compare_function_address);
    size_t again = 0;
    ix->functions_by_name = functions_of(elf, &again, compare_function_name);
    if ((ix->function_count && !ix->functions_by_address) || again != ix->function_count ||
        (again && !ix->functions_by_name)) {
        hcr__pointer_index_free(ix);
        return HCR_ENOMEM;
    }
    return 0;
}

void hcr__pointer_index_free(struct hcr__pointer_index *ix)
{
    free(ix->by_address);
    free(ix->functions_by_address);
    free(ix->functions_by_name);
    memset(ix, 0, sizeof *ix);
}

void hcr__rebase_init(struct hcr__rebase *r, const struct hcr__version *from,
                      const struct hcr__version *to)
{
    memset(r, 0, sizeof *r);
    r->from = from;
    r->to = to;
}

static void keep(struct hcr__rebase *r, uintptr_t value, const char *why)
{
    if (r->kept++ == 0)
        snprintf(r->first_kept, sizeof r->first_kept, "%p (%s)", (void *)value, why);
}

/* The index of the old variable holding `value` (or ending right at it,
   for a pointer one past an array), or -1. */
static long holder(const struct hcr__pointer_index *ix, uintptr_t value)
{
    size_t lo = 0, hi = ix->count;
    while (lo < hi) { /* the last variable starting at or below value */
        size_t mid = lo + (hi - lo) / 2;
        if (ix->by_address[mid]->address <= value)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const struct hcr__var *v = ix->by_address[lo - 1];
    return value - v->address <= v->size ? (long)(lo - 1) : -1;
}

static int rebase_data(struct hcr__rebase *r, uintptr_t *value)
{
    const struct hcr__pointer_index *ix = &r->from->pointers;
    long i = holder(ix, *value);
    if (i < 0)
        return 0; /* runtime data of the old version, not a variable: left alone */
    const struct hcr__var *f = ix->by_address[i];
    const struct hcr__var *t = hcr__state_find(&r->to->vars, f);
    uint64_t offset = *value - f->address, moved;
    if (!t || ((f->flags | t->flags) & HCR__VAR_AMBIGUOUS)) {
        keep(r, *value, "its variable is not in the new version");
        return 0;
    }
    if (f->type && t->type) {
        if (!hcr__migrate_translate(f->type, t->type, offset, &moved)) {
            keep(r, *value, "its field is not in the new layout");
            return 0;
        }
    } else if (f->size == t->size) {
        moved = offset;
    } else {
        keep(r, *value, "its variable changed size and has no debug information");
        return 0;
    }
    *value = t->address + moved;
    return 1;
}

static const struct hcr__function *find_new_function(const struct hcr__rebase *r,
                                                      const struct hcr__function *old)
{
    const struct hcr__pointer_index *ix = &r->to->pointers;
    struct hcr__function like = {0, old->name, NULL};
    const struct hcr__function *hit = bsearch(&like, ix->functions_by_name, ix->function_count,
                                              sizeof like, compare_function_name);
    if (!hit)
        return NULL;
    while (hit > ix->functions_by_name && strcmp(hit[-1].name, old->name) == 0)
        hit--; /* the first of that name */
    for (; hit < ix->functions_by_name + ix->function_count && strcmp(hit->name, old->name) == 0;
         hit++)
        if ((!hit->file && !old->file) || (hit->file && old->file && strcmp(hit->file, old->file) == 0))
            return hit;
    return NULL;
}

static int rebase_function(struct hcr__rebase *r, uintptr_t *value)
{
    const struct hcr__pointer_index *ix = &r->from->pointers;
    struct hcr__function like = {*value - r->from->base, NULL, NULL};
    const struct hcr__function *old =
        ix->function_count ? bsearch(&like, ix->functions_by_address, ix->function_count,
                                     sizeof like, compare_function_address)
                           : NULL;
    if (!old) {
        keep(r, *value, "not the entry of a function of the old version");
        return 0;
    }
    const struct hcr__function *now = find_new_function(r, old);
    if (!now) {
        char why[200];
        snprintf(why, sizeof why, "function %s is not in the new version", old->name);
        keep(r, *value, why);
        return 0;
    }
    *value = r->to->base + now->address;
    return 1;
}

int hcr__rebase_pointer(void *user, uintptr_t *value)
{
    struct hcr__rebase *r = user;
    uintptr_t v = *value;
    const struct hcr__pointer_index *ix = &r->from->pointers;
    if (ix->count && v >= ix->lo && v <= ix->hi)
        r->rebased += rebase_data(r, value);
    else if (v >= r->from->code_lo && v < r->from->code_hi)
        r->rebased += rebase_function(r, value);
    return 1;
}
