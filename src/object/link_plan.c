/*
 * link_plan.c: the linker's relocation stages (see link.h): before layout,
 * plan what each relocation needs (GOT entries, TLS pairs, PLT stubs for
 * far calls); after it, fill the GOT and stubs and apply every relocation
 * through the machine's arithmetic (arch/reloc.h).
 */
#include "object/link.h"
#include "object/link_internal.h"
#include "arch/decode.h"
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

/* ---- planning GOT entries and PLT stubs ------------------------------------ */

/* A relocation against a section symbol reaches its target by addend alone.
   A loaded section that mixes variables of the program with new ones is
   resolved reference by reference at relocation (section_ref); a
   thread-local section that does cannot be, since the new variables would
   need a TLS block of their own. */
static int check_section_ref(struct linker *lk, size_t k, size_t target_sec)
{
    size_t sh = hcr__elf_sym_shndx(lk->elf, k);
    if (sh == SHN_UNDEF || sh >= lk->elf->shnum)
        return hcr__fail(lk->msg, HCR_ECORRUPT, "%s: section symbol %zu has no section", lk->path,
                         k);
    if (lk->secs[sh].kind == SEC_TLS)
        return hcr__fail(lk->msg, HCR_EFLAGS,
                         "%s: %s refers to thread-local variables of section %s by offset, and "
                         "that section holds several variables of the running program; build "
                         "with -fdata-sections (hcr's reload flags)",
                         lk->path, hcr__elf_section_name(lk->elf, target_sec),
                         hcr__elf_section_name(lk->elf, sh));
    return 0;
}

/* Reserves `size` bytes of GOT, aligned to `size` (8 for an address or TLS
   offset, 16 for a module/offset pair). Returns the offset plus one: the
   slot fields use 0 for "none yet". */
static uint32_t reserve_got(struct linker *lk, size_t size)
{
    lk->got_size = hcr__align_up(lk->got_size, size);
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
int hcr__link_plan(struct linker *lk)
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
void hcr__link_fill_got(struct linker *lk)
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

/* The offset in section `sec` of the function of the object that holds
   `offset`, or 0: an instruction starts there. */
static uint64_t function_start(const struct hcr__elf *elf, size_t sec, uint64_t offset)
{
    uint64_t best = 0;
    for (size_t k = 1; k < elf->nsyms; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && hcr__elf_sym_shndx(elf, k) == sec &&
            s->st_value <= offset && s->st_value > best)
            best = s->st_value;
    }
    return best;
}

/* The variable of the object in section sh whose bytes hold `offset`, or 0. */
static size_t variable_at(const struct hcr__elf *elf, size_t sh, int64_t offset)
{
    for (size_t k = 1; k < elf->nsyms; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        if (ELF64_ST_TYPE(s->st_info) == STT_OBJECT && hcr__elf_sym_shndx(elf, k) == sh &&
            offset >= (int64_t)s->st_value &&
            offset < (int64_t)(s->st_value + (s->st_size ? s->st_size : 1)))
            return k;
    }
    return 0;
}

/* The symbol value of a reference to section symbol k, applied in section
   `target` at rel: for a section that holds variables of the program as
   well as new ones, the instruction is decoded to learn which variable the
   addend means, and a bound one's reference goes to the program's
   storage. 0 and *S, or HCR_ENOTSUP naming the reference. */
static int section_ref(const struct linker *lk, size_t k, size_t target, const Elf64_Rela *rel,
                       uint64_t *S)
{
    const struct hcr__elf *elf = lk->elf;
    size_t sh = hcr__elf_sym_shndx(elf, k);
    *S = lk->syms[k].address;
    if (sh >= elf->shnum || lk->secs[sh].kind != SEC_LOAD || !lk->secs[sh].has_bound)
        return 0;
    uint32_t type = (uint32_t)ELF64_R_TYPE(rel->r_info);
    size_t size = 0;
    const unsigned char *code = hcr__elf_section_data(elf, target, &size);
    int64_t offset;
    int rc = code ? hcr__arch_reloc_target(type, code, size,
                                            function_start(elf, target, rel->r_offset),
                                            rel->r_offset, rel->r_addend, &offset)
                  : HCR_ENOTSUP;
    size_t var = rc == 0 ? variable_at(elf, sh, offset) : 0;
    if (!var)
        return hcr__fail(lk->msg, HCR_ENOTSUP,
                         "%s: %s+0x%llx refers to section %s by offset, which holds several "
                         "variables of the running program, and hcr cannot tell which one it "
                         "means; build with -fdata-sections",
                         lk->path, hcr__elf_section_name(elf, target),
                         (unsigned long long)rel->r_offset, hcr__elf_section_name(elf, sh));
    if (lk->syms[var].state == S_BOUND)
        *S = lk->syms[var].address - elf->syms[var].st_value;
    return 0;
}

/* Applies every relocation of every loaded section through the arch file,
   each write checked against its section and its field. 0 or an error
   naming the relocation, its place and its symbol. */
int hcr__link_relocate(struct linker *lk)
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
            if (ls && ls->state == S_SECTION) {
                int e = section_ref(lk, k, target, &rel[r], &v.S);
                if (e < 0)
                    return e;
            }
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
