/*
 * link.c: the object linker (see link.h). Stages, each a function below:
 * classify sections, find the unit's home (image and source file), read the
 * names of function-local statics from the debug information, resolve every
 * symbol (by name here; what names alone cannot bind, in link_bind.c), plan
 * GOT entries and PLT stubs, lay out and map, copy, relocate,
 * collect functions, constructors and new symbols, protect. Memory is laid out
 * as three page-aligned regions: text (sections, then PLT stubs; mapped
 * read-execute), read-only (constant sections, relocated read-only data,
 * .init_array, then the GOT; read-only), and data (writable sections of new
 * variables; read-write). Every page is written while read-write and only
 * then made executable, never both at once.
 */
#include "object/link.h"
#include "object/link_internal.h"
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

#define MAX_MAPPING ((size_t)256 << 20) /* no translation unit needs more */

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* ---- sections ----------------------------------------------------------- */

/* Decides which sections are loaded and into which region. Writable data
   sections are candidates for binding; .data.rel.ro, .init_array and
   .fini_array are writable only for the dynamic linker's sake: they hold
   constants, so the new version's contents are loaded read-only. */
static int classify_sections(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    for (size_t i = 1; i < elf->shnum; i++) {
        const Elf64_Shdr *sh = &elf->shdrs[i];
        const char *name = hcr__elf_section_name(elf, i);
        struct lsec *s = &lk->secs[i];
        if (starts_with(name, ".gnu.lto_"))
            return hcr__fail(lk->msg, HCR_EFLAGS,
                             "%s: built with -flto: the object holds compiler IR, not code; "
                             "build reloadable files without -flto",
                             lk->path);
        if (!strcmp(name, "__patchable_function_entries")) {
            lk->patchable_sec = i;
            continue;
        }
        if (!(sh->sh_flags & SHF_ALLOC) || sh->sh_type == SHT_GROUP)
            continue;
        if (sh->sh_flags & SHF_TLS) {
            s->kind = SEC_TLS;
            continue;
        }
        if (sh->sh_addralign > hcr__page_size())
            return hcr__fail(lk->msg, HCR_ENOTSUP,
                             "%s: section %s asks for %llu-byte alignment; hcr places sections "
                             "with at most page alignment",
                             lk->path, name, (unsigned long long)sh->sh_addralign);
        if (sh->sh_type == SHT_FINI_ARRAY || sh->sh_type == SHT_PREINIT_ARRAY ||
            starts_with(name, ".fini_array") || starts_with(name, ".ctors") ||
            starts_with(name, ".dtors"))
            continue; /* destructors never run for reloaded code */
        s->kind = SEC_LOAD;
        if (sh->sh_flags & SHF_EXECINSTR)
            s->region = R_TEXT;
        else if ((sh->sh_flags & SHF_WRITE) && !starts_with(name, ".data.rel.ro") &&
                 sh->sh_type != SHT_INIT_ARRAY && !starts_with(name, ".init_array"))
            s->region = R_DATA;
        else
            s->region = R_RODATA;
    }
    /* Count the symbols defined in each section, for binding decisions. */
    for (size_t k = 1; k < elf->nsyms; k++) {
        unsigned type = ELF64_ST_TYPE(elf->syms[k].st_info);
        size_t sh = hcr__elf_sym_shndx(elf, k);
        if (type == STT_SECTION || type == STT_FILE || sh == SHN_UNDEF || sh >= elf->shnum)
            continue;
        if (!lk->secs[sh].nsyms)
            lk->secs[sh].first_sym = k;
        lk->secs[sh].nsyms++;
    }
    return 0;
}

/* ---- home: the image and source file the unit belongs to --------------- */

/* The image that defines the most of the object's globals (functions
   only, or variables only), counted over the first few that some image
   defines: a hidden name can exist in several images, each its own, so one
   match alone does not decide. 1 and *image if any image defines one, 0 if
   none, HCR_ENOMEM. */
static int image_of_globals(const struct linker *lk, int functions, size_t *image)
{
    enum { SAMPLE = 16 };
    const struct hcr__elf *elf = lk->elf;
    size_t nimages = hcr__process_image_count(lk->proc), sampled = 0;
    size_t *count = calloc(nimages ? nimages : 1, sizeof *count);
    if (!count)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    for (size_t k = 1; k < elf->nsyms && sampled < SAMPLE; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        size_t sh = hcr__elf_sym_shndx(elf, k);
        if (ELF64_ST_BIND(s->st_info) == STB_LOCAL || sh == SHN_UNDEF || sh >= elf->shnum ||
            (ELF64_ST_TYPE(s->st_info) == STT_FUNC) != functions)
            continue;
        int any = 0;
        for (size_t i = 0; i < nimages; i++)
            if (hcr__process_find_global(lk->proc, i, hcr__elf_sym_name(elf, s))) {
                count[i]++;
                any = 1;
            }
        sampled += any;
    }
    size_t best = 0;
    for (size_t i = 1; i < nimages; i++)
        if (count[i] > count[best])
            best = i;
    *image = best;
    int found = nimages && count[best] > 0;
    free(count);
    return found;
}

/* Decides the image and source file the object's unit belongs to: the
   image of its global functions (of its variables if it has none: the
   executable may hold a copy of a library's variable), then the file group
   of its STT_FILE name there. */
static int find_home(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    lk->home = 0;
    if (!lk->proc)
        return 0;
    size_t nimages = hcr__process_image_count(lk->proc);
    int found = image_of_globals(lk, 1, &lk->home);
    if (found == 0)
        found = image_of_globals(lk, 0, &lk->home);
    if (found < 0)
        return found;
    const char *file = NULL;
    for (size_t k = 1; k < elf->nsyms; k++)
        if (ELF64_ST_TYPE(elf->syms[k].st_info) == STT_FILE) {
            file = hcr__elf_sym_name(elf, &elf->syms[k]);
            break;
        }
    lk->home_image = hcr__process_image(lk->proc, lk->home);
    lk->file_name = file && file[0] ? file : NULL;
    if (!file || !file[0])
        return 0; /* no locals can be matched: every static is new */
    int rc = hcr__process_find_file(lk->proc, lk->home, file, lk->path, lk->elf, &lk->file,
                                    lk->msg);
    if (rc < 0)
        return rc;
    if (!found && lk->file == HCR__NO_FILE) {
        /* No global matched: look for the file in the other images. */
        for (size_t i = 1; i < nimages && lk->file == HCR__NO_FILE; i++) {
            rc = hcr__process_find_file(lk->proc, i, file, lk->path, lk->elf, &lk->file, lk->msg);
            if (rc < 0)
                return rc;
            if (lk->file != HCR__NO_FILE) {
                lk->home = i;
                lk->home_image = hcr__process_image(lk->proc, i);
            }
        }
    }
    if (!found && lk->file == HCR__NO_FILE)
        hcr__log(NULL, HCR_LOG_WARN,
                 "object: %s defines nothing the program has (source %s): its code is new and "
                 "only reachable through new references",
                 lk->path, file);
    return 0;
}

/* ---- symbols -------------------------------------------------------------- */

int hcr__link_is_state(const struct linker *lk, size_t sh)
{
    return sh < lk->elf->shnum && lk->secs[sh].kind == SEC_LOAD && lk->secs[sh].region == R_DATA;
}

/* Reads the function-local statics of the object from its debug
   information, if it has local variables named like gcc names them
   (`name.N`). */
static int read_statics(struct linker *lk)
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
    if (hcr__object_statics(lk->path, elf, &lk->statics, &lk->nstatics) < 0)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory reading debug information",
                         lk->path);
    if (!lk->nstatics)
        return hcr__fail(lk->msg, HCR_EFLAGS,
                         "%s: has function-local statics (%s) but no debug information to tell "
                         "whose they are (gcc renumbers them between builds); build with -g",
                         lk->path, example);
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
    if (local && lk->static_key && lk->static_key[k]) {
        /* A function-local static: by function and name, never by the
           file-wide number in its symbol name. */
        name = lk->static_key[k];
        ps = hcr__process_find_local_static(lk->proc, lk->home, lk->file, name);
    } else {
        ps = local ? hcr__process_find_local(lk->proc, lk->home, lk->file, name)
                   : hcr__process_find_global(lk->proc, lk->home, name);
    }
    if (!ps && (!local || lk->file_name))
        ps = hcr__process_find_reloaded(lk->proc, lk->home, lk->file,
                                        local ? lk->file_name : NULL, name);
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
    ps = hcr__process_find_global(lk->proc, lk->home, name);
    if (!ps && lk->home != 0)
        ps = hcr__process_find_global(lk->proc, 0, name);
    /* A global an earlier reload (or an earlier object of this one) added
       in another file: a function new in one file, called from another. */
    if (!ps)
        ps = hcr__process_find_reloaded(lk->proc, lk->home, HCR__NO_FILE, NULL, name);
    if (!ps && lk->home != 0)
        ps = hcr__process_find_reloaded(lk->proc, 0, HCR__NO_FILE, NULL, name);
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
   variable the program has binds to its storage (HCR_ESTATE if its size
   changed); a thread-local must exist (HCR_ENOTSUP if new). */
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
            ls->original = ps->address;
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
static int resolve_symbols(struct linker *lk)
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
                lk->common_size = align_up(lk->common_size, align);
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
    int rc = hcr__link_bind_by_unit(lk);
    if (rc < 0)
        return rc;
    return hcr__link_bind_sections(lk);
}

/* ---- planning GOT entries and PLT stubs ------------------------------------ */

/* A relocation against a section symbol reaches its target by addend alone.
   For a section that mixes variables of the program with others, the
   variable an addend means cannot be known (a PC-relative addend also
   carries the distance to the end of the instruction), so hcr refuses the
   object instead of guessing. */
static int check_section_ref(struct linker *lk, size_t k, size_t target_sec)
{
    size_t sh = hcr__elf_sym_shndx(lk->elf, k);
    if (sh == SHN_UNDEF || sh >= lk->elf->shnum)
        return hcr__fail(lk->msg, HCR_ECORRUPT, "%s: section symbol %zu has no section", lk->path,
                         k);
    const struct lsec *s = &lk->secs[sh];
    if ((s->kind == SEC_LOAD && s->has_bound) || s->kind == SEC_TLS)
        return hcr__fail(lk->msg, HCR_EFLAGS,
                         "%s: %s refers to variables of section %s by offset, and that section "
                         "holds several variables of the running program; build with "
                         "-fdata-sections (hcr's reload flags)",
                         lk->path, hcr__elf_section_name(lk->elf, target_sec),
                         hcr__elf_section_name(lk->elf, sh));
    return 0;
}

/* Reserves `size` bytes of GOT, aligned to `size` (8 for an address or TLS
   offset, 16 for a module/offset pair). Returns the offset plus one: the
   slot fields use 0 for "none yet". */
static uint32_t reserve_got(struct linker *lk, size_t size)
{
    lk->got_size = align_up(lk->got_size, size);
    uint32_t slot = (uint32_t)lk->got_size + 1;
    lk->got_size += size;
    return slot;
}

/* The next relocation section after section *i whose target section is
   loaded: its entries, their count and the target's index. NULL when none
   is left. Start with *i = 0. */
static const Elf64_Rela *next_loaded_relas(const struct linker *lk, size_t *i, size_t *n,
                                           size_t *target)
{
    const struct hcr__elf *elf = lk->elf;
    while (++*i < elf->shnum) {
        const Elf64_Rela *rel = hcr__elf_rela(elf, *i, n);
        if (!rel)
            continue;
        *target = elf->shdrs[*i].sh_info;
        if (*target < elf->shnum && lk->secs[*target].kind == SEC_LOAD)
            return rel;
    }
    return NULL;
}

/* Walks every relocation of a loaded section once to check its type and
   count what it needs: GOT entries, TLS pairs, PLT stubs for calls to
   targets outside the home image. 0 or the first error. */
static int plan(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    size_t i = 0, n, target;
    const Elf64_Rela *rel;
    while ((rel = next_loaded_relas(lk, &i, &n, &target)) != NULL) {
        if (elf->shdrs[i].sh_link != elf->symtab_shndx)
            return hcr__fail(lk->msg, HCR_ECORRUPT, "%s: %s does not use the symbol table",
                             lk->path, hcr__elf_section_name(elf, i));
        for (size_t r = 0; r < n; r++) {
            uint32_t type = (uint32_t)ELF64_R_TYPE(rel[r].r_info);
            size_t k = ELF64_R_SYM(rel[r].r_info);
            enum hcr__reloc_need need;
            if (hcr__arch_reloc_need(type, &need) < 0)
                return hcr__fail(lk->msg, HCR_ERELOC,
                                 "%s: relocation type %u against %s in %s is not supported by "
                                 "hcr",
                                 lk->path, type,
                                 ELF64_R_SYM(rel[r].r_info) < elf->nsyms
                                     ? hcr__link_sym_name(lk, ELF64_R_SYM(rel[r].r_info))
                                     : "?",
                                 hcr__elf_section_name(elf, i));
            if (k == 0 || k >= elf->nsyms) {
                if (need != HCR__NEED_NONE)
                    return hcr__fail(lk->msg, HCR_ECORRUPT,
                                     "%s: relocation %zu of %s needs a symbol", lk->path, r,
                                     hcr__elf_section_name(elf, i));
                continue;
            }
            struct lsym *ls = &lk->syms[k];
            if (ls->state == S_SECTION) {
                int rc = check_section_ref(lk, k, target);
                if (rc < 0)
                    return rc;
            }
            int tls = ls->state == S_TLS;
            switch (need) {
            case HCR__NEED_GOT:
                if (!ls->got)
                    ls->got = reserve_got(lk, 8);
                break;
            case HCR__NEED_PLT:
                if (ls->far && !ls->plt) {
                    if (!ls->got)
                        ls->got = reserve_got(lk, 8);
                    ls->plt = (uint32_t)lk->plt_size + 1;
                    lk->plt_size += HCR__ARCH_PLT_SIZE;
                }
                break;
            case HCR__NEED_GOT_TPOFF:
            case HCR__NEED_TLSGD:
            case HCR__NEED_TLS_OFFSET:
                if (!tls)
                    return hcr__fail(lk->msg, HCR_ECORRUPT,
                                     "%s: thread-local relocation %s against %s, which is not "
                                     "thread-local",
                                     lk->path, hcr__arch_reloc_name(type), hcr__link_sym_name(lk, k));
                if (need == HCR__NEED_GOT_TPOFF && !ls->got_tpoff) {
                    if (lk->proc && !ls->tls_image->tls_static)
                        return hcr__fail(lk->msg, HCR_ENOTSUP,
                                         "%s: %s uses the initial-exec TLS model for %s, which "
                                         "lives in a library's dynamic TLS",
                                         lk->path, hcr__arch_reloc_name(type), hcr__link_sym_name(lk, k));
                    ls->got_tpoff = reserve_got(lk, 8);
                }
                if (need == HCR__NEED_TLSGD && !ls->tlsgd)
                    ls->tlsgd = reserve_got(lk, 16);
                break;
            case HCR__NEED_TLSLD:
                if (!lk->tlsld)
                    lk->tlsld = reserve_got(lk, 16);
                break;
            case HCR__NEED_NONE:
                break;
            }
        }
    }
    return 0;
}

/* ---- layout and mapping -------------------------------------------------------- */

/* Gives each loaded section its place in its region, maps the whole object
   (near the home image, or anywhere in the sandbox), copies the section
   contents and computes every symbol's address. 0 or an error. */
static int layout(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    for (size_t i = 1; i < elf->shnum; i++) {
        struct lsec *s = &lk->secs[i];
        if (s->kind != SEC_LOAD)
            continue;
        const Elf64_Shdr *sh = &elf->shdrs[i];
        size_t align = sh->sh_addralign ? sh->sh_addralign : 1;
        if (align & (align - 1))
            return hcr__fail(lk->msg, HCR_ECORRUPT, "%s: section %s has alignment %zu", lk->path,
                             hcr__elf_section_name(elf, i), align);
        if (sh->sh_size > (1ull << 30))
            return hcr__fail(lk->msg, HCR_ENOTSUP, "%s: section %s is larger than 1 GiB",
                             lk->path, hcr__elf_section_name(elf, i));
        size_t *size = &lk->region_size[s->region];
        *size = align_up(*size, align);
        s->offset = *size;
        *size += sh->sh_size;
    }
    lk->plt_offset = align_up(lk->region_size[R_TEXT], 16);
    lk->region_size[R_TEXT] = lk->plt_offset + lk->plt_size;
    lk->got_offset = align_up(lk->region_size[R_RODATA], 16);
    lk->region_size[R_RODATA] = lk->got_offset + lk->got_size;
    lk->common_offset = align_up(lk->region_size[R_DATA], 64);
    lk->region_size[R_DATA] = lk->common_offset + lk->common_size;
    size_t total = 0;
    for (int r = R_TEXT; r < R_COUNT; r++) {
        lk->region_offset[r] = total;
        total += align_up(lk->region_size[r], hcr__page_size());
    }
    if (total == 0)
        total = hcr__page_size();
    if (total > MAX_MAPPING)
        return hcr__fail(lk->msg, HCR_ENOTSUP,
                         "%s: the object needs %zu bytes of memory, more than hcr places for one "
                         "translation unit (%zu)",
                         lk->path, total, (size_t)MAX_MAPPING);
    lk->map_size = total;
    if (lk->proc) {
        struct hcr__message why;
        void *p = hcr__near_map(lk->home_image->lo, lk->home_image->hi, total, &why);
        if (!p)
            return hcr__fail(lk->msg, HCR_ENOMEM,
                             "%s: no room for its %zu bytes within 32-bit reach of %s: %s",
                             lk->path, total, lk->home_image->path, why.text);
        lk->map = p;
        lk->near = 1;
    } else {
        void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return hcr__fail(lk->msg, HCR_ENOMEM, "%s: cannot map %zu bytes", lk->path, total);
        lk->map = p;
    }
    uintptr_t base = (uintptr_t)lk->map;
    for (size_t i = 1; i < elf->shnum; i++) {
        struct lsec *s = &lk->secs[i];
        if (s->kind != SEC_LOAD)
            continue;
        s->address = base + lk->region_offset[s->region] + s->offset;
        size_t size;
        const void *data = hcr__elf_section_data(elf, i, &size);
        if (data && elf->shdrs[i].sh_type != SHT_NOBITS)
            memcpy((void *)s->address, data, size);
    }
    /* Symbol addresses now that sections have theirs. */
    for (size_t k = 1; k < elf->nsyms; k++) {
        struct lsym *ls = &lk->syms[k];
        size_t sh = hcr__elf_sym_shndx(elf, k);
        if (ls->state == S_SECTION) {
            ls->address = sh < elf->shnum ? lk->secs[sh].address : 0;
        } else if (ls->state == S_GOT_BASE) {
            ls->address = base + lk->region_offset[R_RODATA] + lk->got_offset;
        } else if (ls->state == S_NEW) {
            if (ls->common_offset)
                ls->address = base + lk->region_offset[R_DATA] + lk->common_offset +
                              ls->common_offset - 1;
            else
                ls->address = lk->secs[sh].address + elf->syms[k].st_value;
        }
    }
    return 0;
}

static uintptr_t got_entry(const struct linker *lk, uint32_t slot)
{
    return (uintptr_t)lk->map + lk->region_offset[R_RODATA] + lk->got_offset + slot - 1;
}

static int64_t tpoff_of(const struct linker *lk, const struct lsym *ls)
{
    if (!lk->proc || !ls->tls_image)
        return (int64_t)ls->address;
    return (int64_t)ls->tls_image->tls_tpoff + (int64_t)ls->address;
}

/* Fills the GOT and writes the PLT stubs. */
static void fill_got(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    for (size_t k = 1; k < elf->nsyms; k++) {
        const struct lsym *ls = &lk->syms[k];
        if (ls->got)
            *(uint64_t *)got_entry(lk, ls->got) = ls->address;
        if (ls->got_tpoff)
            *(int64_t *)got_entry(lk, ls->got_tpoff) = tpoff_of(lk, ls);
        if (ls->tlsgd) {
            uint64_t *pair = (uint64_t *)got_entry(lk, ls->tlsgd);
            pair[0] = ls->tls_image ? ls->tls_image->tls_modid : 0;
            pair[1] = ls->address;
        }
        if (ls->plt) {
            uintptr_t stub = (uintptr_t)lk->map + lk->region_offset[R_TEXT] + lk->plt_offset +
                             ls->plt - 1;
            hcr__arch_plt_write((unsigned char *)stub, stub, got_entry(lk, ls->got));
        }
    }
    if (lk->tlsld) {
        uint64_t *pair = (uint64_t *)got_entry(lk, lk->tlsld);
        pair[0] = lk->home_image ? lk->home_image->tls_modid : 0;
        pair[1] = 0;
    }
}

/* ---- relocation ----------------------------------------------------------------- */

/* Applies every relocation of every loaded section through the arch file,
   each write checked against its section and its field. 0 or an error
   naming the relocation, its place and its symbol. */
static int relocate(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    size_t i = 0, n, target;
    const Elf64_Rela *rel;
    while ((rel = next_loaded_relas(lk, &i, &n, &target)) != NULL) {
        const Elf64_Shdr *tsh = &elf->shdrs[target];
        if (tsh->sh_type == SHT_NOBITS && n)
            return hcr__fail(lk->msg, HCR_ECORRUPT, "%s: relocations for %s, which has no bytes",
                             lk->path, hcr__elf_section_name(elf, target));
        unsigned char *sec = (unsigned char *)lk->secs[target].address;
        for (size_t r = 0; r < n; r++) {
            uint32_t type = (uint32_t)ELF64_R_TYPE(rel[r].r_info);
            size_t k = ELF64_R_SYM(rel[r].r_info);
            if (rel[r].r_offset >= tsh->sh_size)
                return hcr__fail(lk->msg, HCR_ECORRUPT,
                                 "%s: relocation at offset 0x%llx lies outside %s (0x%llx bytes)",
                                 lk->path, (unsigned long long)rel[r].r_offset,
                                 hcr__elf_section_name(elf, target),
                                 (unsigned long long)tsh->sh_size);
            const struct lsym *ls = k && k < elf->nsyms ? &lk->syms[k] : NULL;
            struct hcr__reloc_value v = {
                .S = ls ? ls->address : 0,
                .A = rel[r].r_addend,
                .P = (uintptr_t)sec + rel[r].r_offset,
            };
            v.L = v.S;
            if (ls) {
                v.Z = elf->syms[k].st_size;
                if (ls->plt && !hcr__arch_fits_pc32((int64_t)(v.S + (uint64_t)v.A - v.P)))
                    v.L = (uintptr_t)lk->map + lk->region_offset[R_TEXT] + lk->plt_offset +
                          ls->plt - 1;
                enum hcr__reloc_need need = HCR__NEED_NONE;
                hcr__arch_reloc_need(type, &need);
                if (need == HCR__NEED_GOT)
                    v.G = got_entry(lk, ls->got);
                else if (need == HCR__NEED_GOT_TPOFF)
                    v.G = got_entry(lk, ls->got_tpoff);
                else if (need == HCR__NEED_TLSGD)
                    v.G = got_entry(lk, ls->tlsgd);
                else if (need == HCR__NEED_TLSLD)
                    v.G = got_entry(lk, lk->tlsld);
                if (ls->state == S_TLS) {
                    v.tpoff = tpoff_of(lk, ls);
                    v.dtpoff = (int64_t)ls->address;
                }
            }
            int rc = hcr__arch_reloc_apply(sec + rel[r].r_offset,
                                           tsh->sh_size - rel[r].r_offset, type, &v);
            if (rc == HCR_ERANGE)
                return hcr__fail(lk->msg, HCR_ERELOC,
                                 "%s: %s at %s+0x%llx against %s: the target is out of the "
                                 "field's reach",
                                 lk->path, hcr__arch_reloc_name(type),
                                 hcr__elf_section_name(elf, target),
                                 (unsigned long long)rel[r].r_offset, ls ? hcr__link_sym_name(lk, k) : "0");
            if (rc < 0)
                return hcr__fail(lk->msg, rc == HCR_ETRUNC ? HCR_ECORRUPT : rc,
                                 "%s: %s at %s+0x%llx does not fit in the section", lk->path,
                                 hcr__arch_reloc_name(type) ? hcr__arch_reloc_name(type) : "?",
                                 hcr__elf_section_name(elf, target),
                                 (unsigned long long)rel[r].r_offset);
        }
    }
    return 0;
}

/* ---- functions and constructors ------------------------------------------------------ */

/* A function symbol's place, for finding the function after a pad. */
struct func_place {
    size_t shndx;
    uint64_t value;
    size_t sym;
};

static int compare_place(const void *a, const void *b)
{
    const struct func_place *x = a, *y = b;
    if (x->shndx != y->shndx)
        return x->shndx < y->shndx ? -1 : 1;
    return (x->value > y->value) - (x->value < y->value);
}

/* Marks the entries listed in __patchable_function_entries (one section,
   or one per function with some compilers): their relocations point at
   each function's first padding byte. Functions are looked up by place in
   a sorted table, so this stays linear-logarithmic in the object's size. */
static int mark_patchable(struct linker *lk, unsigned char *patchable)
{
    const struct hcr__elf *elf = lk->elf;
    if (!lk->patchable_sec)
        return 0;
    size_t n = 0;
    struct func_place *places = malloc(elf->nsyms * sizeof *places);
    if (!places)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    for (size_t f = 1; f < elf->nsyms; f++)
        if (ELF64_ST_TYPE(elf->syms[f].st_info) == STT_FUNC)
            places[n++] = (struct func_place){hcr__elf_sym_shndx(elf, f), elf->syms[f].st_value, f};
    qsort(places, n, sizeof *places, compare_place);
    for (size_t i = 1; i < elf->shnum; i++) {
        size_t count;
        const Elf64_Rela *rel = hcr__elf_rela(elf, i, &count);
        size_t target = elf->shdrs[i].sh_info;
        if (!rel || target >= elf->shnum ||
            strcmp(hcr__elf_section_name(elf, target), "__patchable_function_entries"))
            continue;
        for (size_t r = 0; r < count; r++) {
            size_t k = ELF64_R_SYM(rel[r].r_info);
            if (!k || k >= elf->nsyms)
                continue;
            size_t sh = hcr__elf_sym_shndx(elf, k);
            if (sh >= elf->shnum || lk->secs[sh].kind != SEC_LOAD)
                continue;
            struct func_place key = {sh, elf->syms[k].st_value + (uint64_t)rel[r].r_addend +
                                                   HCR__PATCH_PRE_BYTES, 0};
            const struct func_place *hit = bsearch(&key, places, n, sizeof *places, compare_place);
            if (!hit)
                continue;
            /* Aliases share the place: mark every one of them. */
            while (hit > places && !compare_place(hit - 1, &key))
                hit--;
            for (; hit < places + n && !compare_place(hit, &key); hit++)
                patchable[hit->sym] = 1;
        }
    }
    free(places);
    return 0;
}

/* Lists the object's functions with their new entries and originals, and
   checks that every function to redirect has untouched hot-patch pads
   (HCR_EFLAGS otherwise). */
static int collect_functions(struct linker *lk, struct hcr__linked *out)
{
    const struct hcr__elf *elf = lk->elf;
    size_t count = 0;
    for (size_t k = 1; k < elf->nsyms; k++)
        if (ELF64_ST_TYPE(elf->syms[k].st_info) == STT_FUNC && lk->syms[k].state == S_NEW)
            count++;
    unsigned char *patchable = calloc(elf->nsyms, 1);
    out->functions = calloc(count ? count : 1, sizeof *out->functions);
    if (!patchable || !out->functions) {
        free(patchable);
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    }
    if (count && !lk->patchable_sec && lk->proc) {
        free(patchable);
        return hcr__fail(lk->msg, HCR_EFLAGS,
                         "%s: built without " HCR__ARCH_PATCH_FLAG " (no "
                         "__patchable_function_entries section): its functions cannot be "
                         "redirected; use hcr's reload flags (pkg-config --variable=reload_cflags "
                         "hcr)",
                         lk->path);
    }
    int rc = mark_patchable(lk, patchable);
    for (size_t k = 1; k < elf->nsyms && rc == 0; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        struct lsym *ls = &lk->syms[k];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || ls->state != S_NEW)
            continue;
        struct hcr__link_function *f = &out->functions[out->nfunctions++];
        ls->function = out->nfunctions;
        f->name = hcr__elf_sym_name(elf, s);
        f->entry = ls->address;
        f->size = s->st_size;
        f->original = ls->original;
        f->patchable = patchable[k];
        if (!f->patchable && f->original) {
            /* Split-off cold parts are entered only from their own
               function, which is redirected; they need no entry patch. */
            if (strstr(f->name, ".cold")) {
                f->original = 0;
                continue;
            }
            rc = hcr__fail(lk->msg, HCR_EFLAGS,
                           "%s: function %s has no hot-patch padding (built without "
                           HCR__ARCH_PATCH_FLAG ", or marked "
                           "no_patchable_function_entry); it cannot be redirected",
                           lk->path, f->name);
            break;
        }
        if (f->patchable) {
            size_t sh = hcr__elf_sym_shndx(elf, k);
            uint64_t off = s->st_value;
            const unsigned char *entry = (const unsigned char *)ls->address;
            uint64_t room = elf->shdrs[sh].sh_size;
            const char *problem =
                hcr__arch_pads_problem(entry, (size_t)off, off < room ? (size_t)(room - off) : 0);
            if (problem) {
                rc = hcr__fail(lk->msg, HCR_EFLAGS, "%s: function %s %s", lk->path, f->name,
                               problem);
                break;
            }
        }
    }
    free(patchable);
    return rc;
}

/* Lists what the object adds to the program: new functions with
   hot-patch pads and new variables, for later reloads to bind to. */
static int collect_new_symbols(struct linker *lk, struct hcr__linked *out)
{
    const struct hcr__elf *elf = lk->elf;
    if (!lk->proc)
        return 0;
    out->new_symbols = calloc(elf->nsyms, sizeof *out->new_symbols);
    if (!out->new_symbols)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    for (size_t k = 1; k < elf->nsyms; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        const struct lsym *ls = &lk->syms[k];
        unsigned type = ELF64_ST_TYPE(s->st_info);
        size_t sh = hcr__elf_sym_shndx(elf, k);
        int local = ELF64_ST_BIND(s->st_info) == STB_LOCAL;
        const char *name = hcr__elf_sym_name(elf, s);
        if (ls->state != S_NEW || !name[0] || (local && !lk->file_name))
            continue;
        if (type == STT_FUNC) {
            if (ls->original)
                continue;
            if (!ls->function || !out->functions[ls->function - 1].patchable)
                continue;
        } else if (!ls->common_offset && !hcr__link_is_state(lk, sh)) {
            continue;
        }
        if (lk->static_key && lk->static_key[k])
            name = lk->static_key[k];
        out->new_symbols[out->nnew_symbols++] = (struct hcr__link_symbol){
            .name = name, .local = local, .address = ls->address, .size = s->st_size,
            .type = type};
    }
    out->file = lk->file;
    out->file_name = lk->file_name;
    return 0;
}

/* The priority of an .init_array section as the static linker orders
   them: `.init_array.NNNNN` by its number, the plain section last. */
static unsigned long init_priority(const char *name)
{
    const char *dot = starts_with(name, ".init_array.") ? name + strlen(".init_array.") : NULL;
    char *end;
    unsigned long priority = dot ? strtoul(dot, &end, 10) : 65535;
    return dot && (end == dot || *end) ? 65535 : priority;
}

struct init_section {
    unsigned long priority;
    size_t index;
};

static int compare_init(const void *a, const void *b)
{
    const struct init_section *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Lists the .init_array entries that point to new functions, sections in
   priority order: a function the program already has already ran as a
   constructor, on the globals it set up, and is not run again. */
static int collect_constructors(struct linker *lk, struct hcr__linked *out)
{
    const struct hcr__elf *elf = lk->elf;
    size_t count = 0, nsections = 0;
    for (size_t i = 1; i < elf->shnum; i++)
        if (lk->secs[i].kind == SEC_LOAD && elf->shdrs[i].sh_type == SHT_INIT_ARRAY) {
            count += elf->shdrs[i].sh_size / 8;
            nsections++;
        }
    if (!count)
        return 0;
    struct init_section *order = calloc(nsections, sizeof *order);
    out->constructors = calloc(count, sizeof *out->constructors);
    if (!order || !out->constructors) {
        free(order);
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    }
    nsections = 0;
    for (size_t i = 1; i < elf->shnum; i++)
        if (lk->secs[i].kind == SEC_LOAD && elf->shdrs[i].sh_type == SHT_INIT_ARRAY)
            order[nsections++] =
                (struct init_section){init_priority(hcr__elf_section_name(elf, i)), i};
    qsort(order, nsections, sizeof *order, compare_init);
    uintptr_t text_lo = (uintptr_t)lk->map + lk->region_offset[R_TEXT];
    uintptr_t text_hi = text_lo + lk->region_size[R_TEXT];
    int rc = 0;
    for (size_t o = 0; o < nsections && rc == 0; o++) {
        size_t i = order[o].index;
        const unsigned char *entries = (const unsigned char *)lk->secs[i].address;
        for (size_t e = 0; e < elf->shdrs[i].sh_size / 8 && rc == 0; e++) {
            uint64_t fn;
            memcpy(&fn, entries + 8 * e, sizeof fn); /* the section may be unaligned */
            int known = fn == 0 || fn == UINT64_MAX;
            if (!known && (fn < text_lo || fn >= text_hi)) {
                rc = hcr__fail(lk->msg, HCR_ECORRUPT,
                               "%s: constructor %zu of %s points outside the object's code",
                               lk->path, e, hcr__elf_section_name(elf, i));
                break;
            }
            for (size_t f = 0; f < out->nfunctions && !known; f++)
                if (out->functions[f].entry == fn && out->functions[f].original)
                    known = 1;
            if (!known)
                out->constructors[out->nconstructors++] = fn;
        }
    }
    free(order);
    return rc;
}

/* Makes text read-execute, constants and the GOT read-only; data stays
   read-write. */
static int protect(struct linker *lk)
{
    static const int prot[R_COUNT] = {0, PROT_READ | PROT_EXEC, PROT_READ, PROT_READ | PROT_WRITE};
    for (int r = R_TEXT; r < R_COUNT; r++) {
        size_t size = align_up(lk->region_size[r], hcr__page_size());
        if (size && mprotect(lk->map + lk->region_offset[r], size, prot[r]) < 0)
            return hcr__fail(lk->msg, -errno, "%s: mprotect of the loaded code failed: %s",
                             lk->path, strerror(errno));
    }
    return 0;
}

/* ---- the whole link --------------------------------------------------------------------- */

int hcr__link(struct hcr__linked *out, const struct hcr__elf *elf, const char *object_path,
              struct hcr__process *process, struct hcr__message *msg)
{
    memset(out, 0, sizeof *out);
    struct linker lk = {.elf = elf, .path = object_path, .proc = process, .msg = msg};
    int rc;
    if (elf->ehdr->e_type != ET_REL || !elf->shdrs)
        return hcr__fail(msg, HCR_ENOEXEC, "%s: not a relocatable object", object_path);
    if (!elf->syms)
        return hcr__fail(msg, HCR_ENOEXEC, "%s: has no symbol table", object_path);
    lk.secs = calloc(elf->shnum, sizeof *lk.secs);
    lk.syms = calloc(elf->nsyms, sizeof *lk.syms);
    if (!lk.secs || !lk.syms) {
        rc = hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", object_path);
        goto fail;
    }
    if ((rc = classify_sections(&lk)) < 0 || (rc = find_home(&lk)) < 0 ||
        (rc = read_statics(&lk)) < 0 || (rc = resolve_symbols(&lk)) < 0 || (rc = plan(&lk)) < 0 ||
        (rc = layout(&lk)) < 0)
        goto fail;
    if (!process) {
        /* Sandbox: undefined symbols point into the mapping. */
        for (size_t k = 1; k < elf->nsyms; k++)
            if (lk.syms[k].state == S_EXTERNAL)
                lk.syms[k].address = (uintptr_t)lk.map;
    }
    fill_got(&lk);
    if ((rc = relocate(&lk)) < 0 || (rc = collect_functions(&lk, out)) < 0 ||
        (rc = collect_constructors(&lk, out)) < 0 || (rc = collect_new_symbols(&lk, out)) < 0 ||
        (rc = protect(&lk)) < 0)
        goto fail;
    out->base = lk.map;
    out->size = lk.map_size;
    out->near = lk.near;
    out->text_lo = (uintptr_t)lk.map + lk.region_offset[R_TEXT];
    out->text_hi = out->text_lo + lk.region_size[R_TEXT];
    out->nsections = elf->shnum;
    out->section_address = calloc(elf->shnum, sizeof *out->section_address);
    if (!out->section_address) {
        rc = hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", object_path);
        goto fail;
    }
    for (size_t i = 1; i < elf->shnum; i++) {
        if (lk.secs[i].kind == SEC_LOAD || lk.secs[i].kind == SEC_BOUND)
            out->section_address[i] = lk.secs[i].address;
        if (lk.secs[i].kind == SEC_LOAD && !strcmp(hcr__elf_section_name(elf, i), ".eh_frame")) {
            out->eh_frame = (const void *)lk.secs[i].address;
            out->eh_frame_size = elf->shdrs[i].sh_size;
        }
    }
    for (size_t k = 1; k < elf->nsyms; k++) {
        out->bound += lk.syms[k].state == S_BOUND;
        if (hcr__link_is_unbound_candidate(&lk, k))
            ++*(ELF64_ST_TYPE(elf->syms[k].st_info) == STT_FUNC ? &out->new_functions
                                                                 : &out->new_variables);
    }
    out->unit_checked = lk.unit_checked;
    if ((rc = hcr__link_check_dropped(&lk, &out->dropped_functions)) < 0)
        goto fail;
    out->home_image = lk.home;
    out->statics = lk.statics; /* new_symbols may point at their keys */
    out->nstatics = lk.nstatics;
    free(lk.static_key);
    free(lk.secs);
    free(lk.syms);
    return 0;
fail:
    out->base = lk.map;
    out->size = lk.map_size;
    out->near = lk.near;
    hcr__link_discard(out);
    hcr__local_statics_free(lk.statics, lk.nstatics);
    free(lk.static_key);
    free(lk.secs);
    free(lk.syms);
    return rc;
}

void hcr__link_release_tables(struct hcr__linked *l)
{
    free(l->functions);
    free(l->constructors);
    free(l->section_address);
    free(l->new_symbols);
    hcr__local_statics_free(l->statics, l->nstatics);
    l->statics = NULL;
    l->nstatics = 0;
    l->new_symbols = NULL;
    l->nnew_symbols = 0;
    l->functions = NULL;
    l->constructors = NULL;
    l->section_address = NULL;
    l->nfunctions = l->nconstructors = l->nsections = 0;
}

void hcr__link_discard(struct hcr__linked *l)
{
    hcr__link_release_tables(l);
    if (l->base) {
        if (l->near)
            hcr__near_unmap(l->base, l->size);
        else
            munmap(l->base, l->size);
    }
    l->base = NULL;
}
