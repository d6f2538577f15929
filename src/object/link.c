/*
 * link.c: the object linker (see link.h): the whole link, and its first
 * stages. In order: classify sections and find the unit's home (image and
 * source file), here; read the names of function-local statics and
 * resolve every symbol (link_resolve.c, then link_pieces.c for variables
 * the compiler split and link_bind.c for what names alone cannot bind); plan GOT entries and PLT stubs (link_plan.c); lay
 * out, map and copy (link_layout.c); fill the GOT and relocate
 * (link_plan.c); collect functions, constructors and new symbols
 * (link_collect.c); protect (link_layout.c).
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

/* ---- debug information --------------------------------------------------- */

int hcr__link_dwarf(struct linker *lk)
{
    if (lk->dwarf_opened)
        return 0;
    lk->dwarf_opened = 1;
    return hcr__object_dwarf_open(lk->path, lk->elf, &lk->dwarf);
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
        if (hcr__starts_with(name, ".gnu.lto_"))
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
            hcr__starts_with(name, ".fini_array") || hcr__starts_with(name, ".ctors") ||
            hcr__starts_with(name, ".dtors"))
            continue; /* destructors never run for reloaded code */
        s->kind = SEC_LOAD;
        if (sh->sh_flags & SHF_EXECINSTR)
            s->region = R_TEXT;
        else if ((sh->sh_flags & SHF_WRITE) && !hcr__starts_with(name, ".data.rel.ro") &&
                 sh->sh_type != SHT_INIT_ARRAY && !hcr__starts_with(name, ".init_array"))
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
        (rc = hcr__link_read_statics(&lk)) < 0 || (rc = hcr__link_resolve_symbols(&lk)) < 0 ||
        (rc = hcr__link_plan(&lk)) < 0 || (rc = hcr__link_layout(&lk)) < 0)
        goto fail;
    if (!process) {
        /* Sandbox: undefined symbols point into the mapping. */
        for (size_t k = 1; k < elf->nsyms; k++)
            if (lk.syms[k].state == S_EXTERNAL)
                lk.syms[k].address = (uintptr_t)lk.map;
    }
    hcr__link_place_migrations(&lk);
    hcr__link_place_pieces(&lk);
    hcr__link_fill_got(&lk);
    if ((rc = hcr__link_relocate(&lk)) < 0 || (rc = hcr__link_collect_functions(&lk, out)) < 0 ||
        (rc = hcr__link_collect_constructors(&lk, out)) < 0 ||
        (rc = hcr__link_collect_new_symbols(&lk, out)) < 0 || (rc = hcr__link_protect(&lk)) < 0)
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
    out->migrations = lk.migrations; /* new_symbols may point at their types */
    out->splits = lk.splits;         /* their types too */
    out->nsplits = lk.nsplits;
    hcr__object_dwarf_close(lk.dwarf);
    free(lk.static_key);
    free(lk.secs);
    free(lk.syms);
    return 0;
fail:
    out->base = lk.map;
    out->size = lk.map_size;
    out->near = lk.near;
    hcr__link_discard(out);
    hcr__link_migrations_free(lk.migrations);
    hcr__link_splits_free(lk.splits, lk.nsplits);
    hcr__local_statics_free(lk.statics, lk.nstatics);
    hcr__object_dwarf_close(lk.dwarf);
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
    hcr__link_migrations_free(l->migrations);
    hcr__link_splits_free(l->splits, l->nsplits);
    l->migrations = NULL;
    l->splits = NULL;
    l->nsplits = 0;
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

