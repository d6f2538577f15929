/*
 * link_migrate.c: the linker's stage that tells whether a variable the
 * program already has kept its layout (see link_internal.h). The types
 * come from two debug informations: the object's, relocated by libdwfl
 * (dwarf_statics.c; opened once per link, hcr__link_dwarf), where each variable's DW_OP_addr leads to its symbol;
 * and the storage's owner's: the registry's copy of the type when an
 * earlier reload placed that storage (reloaded.c), else the running
 * image's debug information, where the variable is found by its run-time
 * address. Equal trees (hcr__type_same) keep the binding; a changed
 * layout, of the same size or not, unbinds the variable: it is laid out
 * in the object's data with the new initialiser, and object_migrate.c
 * decides at commit whether it may move and moves its value.
 *
 * Nothing here maps or writes memory.
 */
#include "object/link_internal.h"
#include "dwarf/statics.h"
#include "migrate/migrate.h"
#include "object/reloaded.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

void hcr__link_migrations_free(struct hcr__link_migrations *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++) {
        hcr__migrate_plan_free(m->items[i].plan);
        free(m->items[i].from_runs);
        free(m->items[i].scratch);
        if (m->items[i].by_pieces)
            free((char *)m->items[i].name);
    }
    free(m->items);
    hcr__types_free(m->object_types);
    hcr__types_free(m->program_types);
    hcr__object_dwarf_close(m->dwarf);
    free(m->unit);
    free(m->program_vars);
    free(m->object_vars);
    free(m);
}

struct object_walk {
    struct linker *lk;
};

/* Gives the variable at `address` of the object's debug information its
   type, through the symbol at that place. */
static int type_of_symbol(void *user, const char *function, const char *variable,
                          uint64_t address, Dwarf_Die *die)
{
    struct linker *lk = ((struct object_walk *)user)->lk;
    struct hcr__link_migrations *m = lk->migrations;
    (void)function, (void)variable;
    size_t k = hcr__object_dwarf_symbol_at(m->dwarf, address);
    if (k && !lk->syms[k].type_tree)
        lk->syms[k].type_tree = hcr__types_of_variable(m->object_types, die);
    return 0;
}

/* Whether variable k is state the stage looks at: data the object defines
   in a writable loaded section (not a common, not thread-local). */
static int is_state_variable(const struct linker *lk, size_t k)
{
    const Elf64_Sym *s = &lk->elf->syms[k];
    unsigned type = ELF64_ST_TYPE(s->st_info);
    return (type == STT_OBJECT || type == STT_NOTYPE) &&
           hcr__link_is_state(lk, hcr__elf_sym_shndx(lk->elf, k));
}

/* The type of the storage variable k is bound to, or NULL. */
static const struct hcr__type *bound_type(struct linker *lk, size_t k)
{
    struct hcr__link_migrations *m = lk->migrations;
    int known;
    const struct hcr__type *t = hcr__reloaded_type_at(lk->syms[k].address, &known);
    if (known)
        return t;
    if (!m->program_types)
        return NULL;
    /* The unit's variables are listed once per reload and searched; only
       a variable outside the unit (a global another file defines) walks
       every unit. */
    if (!m->program_vars_read) {
        m->program_vars_read = 1;
        if (hcr__process_unit_variables(lk->proc, lk->home, lk->file, &m->program_vars,
                                        &m->nprogram_vars) < 0)
            m->nprogram_vars = 0;
    }
    uintptr_t address = lk->syms[k].address;
    size_t lo = 0, hi = m->nprogram_vars;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->program_vars[mid].address < address)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->nprogram_vars && m->program_vars[lo].address == address)
        return hcr__types_of_variable(m->program_types, &m->program_vars[lo].die);
    Dwarf_Die die;
    if (!hcr__process_variable_die(lk->proc, lk->home, HCR__NO_FILE, address, &die))
        return NULL;
    return hcr__types_of_variable(m->program_types, &die);
}

/* The name the registry and messages know variable k by. */
static const char *registry_name(const struct linker *lk, size_t k)
{
    if (lk->static_key && lk->static_key[k])
        return lk->static_key[k];
    return hcr__elf_sym_name(lk->elf, &lk->elf->syms[k]);
}

/* Unbinds variable k, whose layout changed from `from` to `to`, and
   records its migration. 0 or a negative code with lk->msg. */
static int unbind(struct linker *lk, size_t k, const struct hcr__type *from,
                  const struct hcr__type *to)
{
    struct hcr__link_migrations *m = lk->migrations;
    const Elf64_Sym *s = &lk->elf->syms[k];
    const char *name = registry_name(lk, k);
    int local = ELF64_ST_BIND(s->st_info) == STB_LOCAL;
    if (lk->home != 0 && !local && ELF64_ST_VISIBILITY(s->st_other) == STV_DEFAULT)
        return hcr__fail(lk->msg, HCR_ESTATE,
                         "%s: the layout of %s changed, and it cannot move to new storage: it "
                         "is a global of the library %s that other images may refer to by "
                         "name; make it hidden or static, or restart to apply",
                         lk->path, name, lk->home_image->path);
    if (local && !lk->file_name)
        return hcr__fail(lk->msg, HCR_ESTATE,
                         "%s: the layout of %s changed, and the object names no source file "
                         "to register its new storage under; restart to apply",
                         lk->path, name);
    struct hcr__link_migration *grown = hcr__grow(m->items, m->count, &m->cap, sizeof *grown, 8);
    if (!grown)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    m->items = grown;
    struct hcr__link_migration *mg = &m->items[m->count];
    *mg = (struct hcr__link_migration){.name = name, .local = local,
                                       .from = lk->syms[k].address,
                                       .from_size = lk->syms[k].bound_size,
                                       .to_size = s->st_size, .from_type = from, .to_type = to,
                                       .sym = k};
    if (hcr__migrate_plan_build(from, to, name, &mg->plan) < 0)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory migrating %s", lk->path, name);
    m->count++;
    lk->syms[k].state = S_NEW;
    lk->syms[k].address = 0;
    lk->syms[k].migrated = 1;
    return 0;
}

int hcr__link_open_debug(struct linker *lk)
{
    if (lk->migrations)
        return 0;
    struct hcr__link_migrations *m = lk->migrations = calloc(1, sizeof *lk->migrations);
    if (!m || hcr__link_dwarf(lk) < 0)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory reading debug information",
                         lk->path);
    m->dwarf = lk->dwarf; /* the types read from it live as long as the migrations */
    lk->dwarf = NULL;
    if (hcr__types_open_dwarf(hcr__object_dwarf_handle(m->dwarf), &m->object_types) < 0 ||
        hcr__types_open_dwarf(hcr__process_image_dwarf(lk->proc, lk->home), &m->program_types) < 0)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory reading debug information",
                         lk->path);
    return 0;
}

/* Types every variable of the object. 0 or HCR_ENOMEM. */
static int read_types(struct linker *lk)
{
    struct hcr__link_migrations *m = lk->migrations;
    Dwarf_Die cu;
    if (!m->object_types || !hcr__object_dwarf_cu(m->dwarf, &cu))
        return 0;
    if (!m->unit)
        m->unit = hcr__dwarf_cu_path(&cu);
    struct object_walk w = {lk};
    if (!m->object_vars_read)
        return hcr__dwarf_each_static_die(&cu, type_of_symbol, &w);
    for (size_t i = 0; i < m->nobject_vars; i++) /* listed by link_pieces.c */
        type_of_symbol(&w, NULL, NULL, m->object_vars[i].address, &m->object_vars[i].die);
    return 0;
}

int hcr__link_compare_layouts(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    if (!lk->proc)
        return 0;
    int rc = hcr__link_open_debug(lk);
    if (rc < 0)
        return rc;
    if (read_types(lk) < 0)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory reading debug information",
                         lk->path);
    for (size_t k = 1; k < elf->nsyms; k++) {
        struct lsym *ls = &lk->syms[k];
        if (ls->state != S_BOUND || ls->piece || !is_state_variable(lk, k))
            continue; /* a piece was compared field by field (link_pieces.c) */
        const struct hcr__type *to = ls->type_tree, *from = to ? bound_type(lk, k) : NULL;
        uint64_t size = elf->syms[k].st_size;
        if (from && to && hcr__type_same(from, to))
            continue;
        if (from && to) {
            if ((rc = unbind(lk, k, from, to)) < 0)
                return rc;
        } else if (ls->bound_size != size) {
            return hcr__fail(lk->msg, HCR_ESTATE,
                             "%s: variable %s changed size from %llu to %llu bytes, and %s has "
                             "no debug information to migrate it by: its storage in the running "
                             "program cannot grow or shrink (build both with -g, or restart to "
                             "apply)",
                             lk->path, registry_name(lk, k), (unsigned long long)ls->bound_size,
                             (unsigned long long)size, to ? "the program" : "the object");
        }
    }
    /* A type made OPAQUE for want of memory reads as changed: whatever
       was decided from it (here and in link_pieces.c) may be wrong. */
    if (hcr__types_out_of_memory(lk->migrations->object_types) ||
        hcr__types_out_of_memory(lk->migrations->program_types))
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory reading types", lk->path);
    return 0;
}

void hcr__link_place_migrations(struct linker *lk)
{
    struct hcr__link_migrations *m = lk->migrations;
    for (size_t i = 0; m && i < m->count; i++)
        m->items[i].to = lk->syms[m->items[i].sym].address;
}
