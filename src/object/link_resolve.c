/*
 * link_resolve.c: the linker's symbol stage (see link.h). Every symbol of
 * the object is resolved by name: a definition the program already has
 * binds to it (a variable keeps its storage, a function is redirected),
 * others are new; an undefined one is found in the home image, the
 * executable, the dynamic linker's scope or the reloads so far. What
 * names alone cannot bind is left to link_bind.c.
 */
#include "object/link.h"
#include "object/link_internal.h"
#include "object/reloaded.h"
#include "arch/patch.h"
#include "arch/reloc.h"
#include "object/dwarf_statics.h"
#include "object/near_memory.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- symbols -------------------------------------------------------------- */

int hcr__link_is_state(const struct linker *lk, size_t sh)
{
    return sh < lk->elf->shnum && lk->secs[sh].kind == SEC_LOAD && lk->secs[sh].region == R_DATA;
}

/* Reads the function-local statics of the object from its debug
   information, if it has local variables named like gcc names them
   (`name.N`). */
int hcr__link_read_statics(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    int any = 0;
    if (!lk->proc)
        return 0;
    const char *example = NULL;
    for (size_t k = 1; k < elf->nsyms && !any; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        any = ELF64_ST_BIND(s->st_info) == STB_LOCAL && ELF64_ST_TYPE(s->st_info) == STT_OBJECT &&
              hcr__link_is_state(lk, hcr__elf_sym_shndx(elf, k)) && strchr(hcr__elf_sym_name(elf, s), '.');
        example = hcr__elf_sym_name(elf, s);
    }
    if (!any)
        return 0;
    if (hcr__link_dwarf(lk) < 0 || hcr__object_statics(lk->dwarf, &lk->statics, &lk->nstatics) < 0)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory reading debug information",
                         lk->path);
    if (!lk->nstatics && !lk->dwarf)
        return hcr__fail(lk->msg, HCR_EFLAGS,
                         "%s: has function-local statics (%s) but no debug information to tell "
                         "whose they are (gcc renumbers them between builds); build with -g",
                         lk->path, example);
    if (!lk->nstatics)
        return 0; /* none is a function-local static: clang's pieces (link_pieces.c) */
    lk->static_key = calloc(elf->nsyms, sizeof *lk->static_key);
    if (!lk->static_key)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    for (size_t i = 0; i < lk->nstatics; i++)
        if (lk->statics[i].symbol)
            lk->static_key[lk->statics[i].symbol] = lk->statics[i].key;
    return 0;
}

/* The process symbol object symbol k stands for (same name; same source
   file for locals), or NULL. */
static const struct hcr__proc_sym *existing(const struct linker *lk, size_t k)
{
    const Elf64_Sym *s = &lk->elf->syms[k];
    const char *name = hcr__elf_sym_name(lk->elf, s);
    if (!lk->proc || !name[0])
        return NULL;
    int local = ELF64_ST_BIND(s->st_info) == STB_LOCAL;
    const struct hcr__proc_sym *ps;
    if (local && lk->static_key && lk->static_key[k])
        name = lk->static_key[k];
    /* A variable an earlier reload moved to new storage (its layout
       changed) is found there first: the program's symbol still names
       the old storage. */
    if ((!local || lk->file_name) &&
        (ps = hcr__reloaded_find_moved(lk->proc, lk->home, lk->file,
                                       local ? lk->file_name : NULL, name)) != NULL)
        return ps;
    if (local && lk->static_key && lk->static_key[k]) {
        /* A function-local static: by function and name, never by the
           file-wide number in its symbol name. */
        ps = hcr__process_find_local_static(lk->proc, lk->home, lk->file, name);
    } else {
        ps = local ? hcr__process_find_local(lk->proc, lk->home, lk->file, name)
                   : hcr__process_find_global(lk->proc, lk->home, name);
    }
    if (!ps && (!local || lk->file_name))
        ps = hcr__reloaded_find(lk->proc, lk->home, lk->file, local ? lk->file_name : NULL,
                                name);
    return ps;
}

/* The definition the dynamic linker binds `name` to in the global scope,
   or NULL. */
static void *interposed(const char *name)
{
    dlerror();
    void *addr = dlsym(RTLD_DEFAULT, name);
    return addr && !dlerror() ? addr : NULL;
}

static int in_home(const struct linker *lk, uintptr_t address)
{
    return lk->home_image && address >= lk->home_image->lo && address < lk->home_image->hi;
}

/* Resolves an undefined symbol: the home image's globals (hidden ones
   included), then the executable's, then the dynamic linker's global scope
   (default symbol versions, IFUNCs resolved), then a local of the home
   image if exactly one file defines it. */
static int resolve_undefined(struct linker *lk, size_t k)
{
    const Elf64_Sym *s = &lk->elf->syms[k];
    const char *name = hcr__elf_sym_name(lk->elf, s);
    struct lsym *ls = &lk->syms[k];
    if (!strcmp(name, "_GLOBAL_OFFSET_TABLE_")) {
        ls->state = S_GOT_BASE; /* this object's own GOT */
        return 0;
    }
    ls->state = S_EXTERNAL;
    if (!lk->proc)
        return 0; /* the sandbox points it into the mapping after layout */
    const struct hcr__proc_sym *ps = NULL;
    if (lk->home != 0 && ELF64_ST_VISIBILITY(s->st_other) == STV_DEFAULT) {
        /* A library's default-visibility references go where the dynamic
           linker sent them: possibly to the executable's copy of a variable
           (copy relocation) or another interposing definition. */
        void *addr = interposed(name);
        if (addr) {
            ls->address = (uintptr_t)addr;
            ls->far = !in_home(lk, ls->address);
            return 0;
        }
    }
    /* A global an earlier reload (or an earlier object of this one) moved
       to new storage when its layout changed: before the program's own,
       which names the old storage. */
    ps = hcr__reloaded_find_moved(lk->proc, lk->home, HCR__NO_FILE, NULL, name);
    if (!ps)
        ps = hcr__process_find_global(lk->proc, lk->home, name);
    if (!ps && lk->home != 0)
        ps = hcr__process_find_global(lk->proc, 0, name);
    /* A global an earlier reload (or an earlier object of this one) added
       in another file: a function new in one file, called from another. */
    if (!ps)
        ps = hcr__reloaded_find(lk->proc, lk->home, HCR__NO_FILE, NULL, name);
    if (!ps && lk->home != 0)
        ps = hcr__reloaded_find(lk->proc, 0, HCR__NO_FILE, NULL, name);
    if (ps && ps->type == STT_TLS) {
        ls->state = S_TLS;
        ls->address = ps->address;
        ls->tls_image = hcr__process_image(lk->proc, ps->image);
        return 0;
    }
    if (ps && ps->type == STT_GNU_IFUNC) {
        void *(*resolver)(void) = (void *(*)(void))ps->address;
        ls->address = (uintptr_t)resolver();
        ls->far = 1;
        return 0;
    }
    if (ps) {
        ls->address = ps->address;
        ls->far = ps->image != lk->home;
        return 0;
    }
    dlerror();
    void *addr = dlsym(RTLD_DEFAULT, name);
    if (addr && !dlerror()) {
        ls->address = (uintptr_t)addr;
        ls->far = 1;
        return 0;
    }
    if (ELF64_ST_BIND(s->st_info) == STB_WEAK) {
        ls->address = 0;
        ls->far = 1;
        return 0;
    }
    /* Last, a name the static linker made local in the home image (a
       version script, say), if exactly one file has it. */
    size_t count;
    ps = hcr__process_find_local_anywhere(lk->proc, lk->home, name, &count);
    if (ps && ps->type != STT_TLS) {
        ls->address = ps->address;
        return 0;
    }
    if (count > 1)
        return hcr__fail(lk->msg, HCR_ENOSYM,
                         "%s: undefined symbol %s is defined nowhere as a global, and as a "
                         "local in %zu files of %s: cannot tell which",
                         lk->path, name, count, lk->home_image->path);
    return hcr__fail(lk->msg, HCR_ENOSYM,
                     "%s: undefined symbol %s is defined nowhere in the running program or its "
                     "libraries",
                     lk->path, name);
}

/* Resolves symbol k, defined in section sh of the object: a function is a
   new copy (with the program's entry as its original, if it has one); a
   variable the program has binds to its storage (whether it can stay is
   decided by link_migrate.c); a thread-local must exist (HCR_ENOTSUP if new). */
static int resolve_defined(struct linker *lk, size_t k, size_t sh)
{
    const Elf64_Sym *s = &lk->elf->syms[k];
    unsigned type = ELF64_ST_TYPE(s->st_info);
    const char *name = hcr__elf_sym_name(lk->elf, s);
    struct lsym *ls = &lk->syms[k];
    const struct hcr__proc_sym *ps = existing(lk, k);
    if (type == STT_GNU_IFUNC)
        return hcr__fail(lk->msg, HCR_ENOTSUP, "%s: %s is an IFUNC; hcr cannot reload resolvers",
                         lk->path, name);
    if (lk->secs[sh].kind == SEC_TLS || type == STT_TLS) {
        if (!lk->proc) {
            ls->state = S_TLS;
            ls->address = s->st_value;
            return 0;
        }
        if (!ps || ps->type != STT_TLS)
            return hcr__fail(lk->msg, HCR_ENOTSUP,
                             "%s: %s is a new thread-local variable; threads that already run "
                             "have no storage for it (restart the program to add it)",
                             lk->path, name);
        if (ps->size != s->st_size)
            return hcr__fail(lk->msg, HCR_ESTATE,
                             "%s: thread-local variable %s changed size from %llu to %llu "
                             "bytes; its storage in every thread cannot change (restart to "
                             "apply)",
                             lk->path, name, (unsigned long long)ps->size,
                             (unsigned long long)s->st_size);
        ls->state = S_TLS;
        ls->address = ps->address;
        ls->tls_image = hcr__process_image(lk->proc, ps->image);
        lk->secs[sh].has_bound = 1;
        return 0;
    }
    ls->state = S_NEW;
    uint64_t sec_size = lk->elf->shdrs[sh].sh_size;
    if (s->st_value > sec_size || (type == STT_FUNC && s->st_size > sec_size - s->st_value))
        return hcr__fail(lk->msg, HCR_ECORRUPT,
                         "%s: symbol %s (0x%llx bytes at 0x%llx) lies outside its section %s "
                         "(0x%llx bytes)",
                         lk->path, name, (unsigned long long)s->st_size,
                         (unsigned long long)s->st_value, hcr__elf_section_name(lk->elf, sh),
                         (unsigned long long)sec_size);
    if (ps && ELF64_ST_BIND(s->st_info) == STB_WEAK && ps->bind != STB_WEAK &&
        (ps->type == STT_FUNC) == (type == STT_FUNC)) {
        /* The program's definition is strong: another unit's that overrides
           this weak one, or this unit's own before the edit made it weak. */
        ls->strong = ps;
        return 0;
    }
    if (!ps && lk->proc && ELF64_ST_BIND(s->st_info) != STB_LOCAL) {
        /* A static of this file made global is the same function or
           variable. (The other way round, a global made static, is told
           apart from another file's global by the debug information: see
           link_bind.c.) */
        ps = hcr__process_find_local(lk->proc, lk->home, lk->file, name);
    }
    if (type == STT_FUNC) {
        if (ps && ps->type == STT_FUNC)
            ls->original = ps->address, ls->original_size = ps->size;
        return 0;
    }
    if (!hcr__link_is_state(lk, sh) || !ps || ps->type == STT_FUNC || ps->type == STT_TLS)
        return 0;
    int rc = hcr__link_bind_variable(lk, k, ps);
    if (rc < 0)
        return rc;
    if (lk->home != 0 && ELF64_ST_BIND(s->st_info) != STB_LOCAL &&
        ELF64_ST_VISIBILITY(s->st_other) == STV_DEFAULT) {
        /* The executable may hold the live copy of a library's variable
           (copy relocation): the library itself uses that one. */
        void *addr = interposed(name);
        if (addr)
            ls->address = (uintptr_t)addr;
    }
    return 0;
}

/* Resolves every symbol of the object, then marks the data sections that
   stand for one existing variable. 0 or the first error. */
int hcr__link_resolve_symbols(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    for (size_t k = 1; k < elf->nsyms; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        unsigned type = ELF64_ST_TYPE(s->st_info);
        size_t sh = hcr__elf_sym_shndx(elf, k);
        struct lsym *ls = &lk->syms[k];
        int rc = 0;
        if (type == STT_FILE)
            continue;
        if (type == STT_SECTION) {
            ls->state = S_SECTION;
            continue;
        }
        if (sh == SHN_UNDEF) {
            rc = resolve_undefined(lk, k);
        } else if (sh == SHN_ABS) {
            ls->state = S_ABS;
            ls->address = s->st_value;
        } else if (sh == SHN_COMMON) {
            const struct hcr__proc_sym *ps = existing(lk, k);
            if (ps && ps->type != STT_FUNC && ps->type != STT_TLS) {
                ls->state = S_BOUND;
                ls->address = ps->address;
            } else {
                size_t align = s->st_value && s->st_value <= hcr__page_size() ? s->st_value : 8;
                if (align & (align - 1))
                    return hcr__fail(lk->msg, HCR_ECORRUPT,
                                     "%s: common symbol %s has alignment %llu", lk->path,
                                     hcr__elf_sym_name(elf, s), (unsigned long long)s->st_value);
                if (s->st_size > (1u << 30))
                    return hcr__fail(lk->msg, HCR_ECORRUPT, "%s: common symbol %s is too large",
                                     lk->path, hcr__elf_sym_name(elf, s));
                lk->common_size = hcr__align_up(lk->common_size, align);
                ls->state = S_NEW;
                ls->common_offset = lk->common_size + 1;
                lk->common_size += s->st_size;
            }
        } else if (sh >= elf->shnum) {
            return hcr__fail(lk->msg, HCR_ECORRUPT, "%s: symbol %s has reserved section index %zu",
                             lk->path, hcr__elf_sym_name(elf, s), sh);
        } else if (lk->secs[sh].kind == SEC_SKIP) {
            ls->state = S_ABS; /* defined in a section that is not loaded */
            ls->address = 0;
        } else {
            rc = resolve_defined(lk, k, sh);
        }
        if (rc < 0)
            return rc;
    }
    int rc = hcr__link_bind_pieces(lk);
    if (rc < 0 || (rc = hcr__link_bind_by_unit(lk)) < 0 ||
        (rc = hcr__link_compare_layouts(lk)) < 0)
        return rc;
    return hcr__link_bind_sections(lk);
}
