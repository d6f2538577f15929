/*
 * link_layout.c: the linker's memory (see link.h). The object is laid out
 * as three page-aligned regions: text (sections, then PLT stubs; mapped
 * read-execute), read-only (constant sections, relocated read-only data,
 * .init_array, then the GOT; read-only), and data (writable sections of
 * new variables; read-write). Every page is written while read-write and
 * only then made executable, never both at once.
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

/* ---- layout and mapping -------------------------------------------------------- */

/* Gives each loaded section its place in its region, maps the whole object
   (near the home image, or anywhere in the sandbox), copies the section
   contents and computes every symbol's address. 0 or an error. */
int hcr__link_layout(struct linker *lk)
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
        *size = hcr__align_up(*size, align);
        s->offset = *size;
        *size += sh->sh_size;
    }
    lk->plt_offset = hcr__align_up(lk->region_size[R_TEXT], 16);
    lk->region_size[R_TEXT] = lk->plt_offset + lk->plt_size;
    lk->got_offset = hcr__align_up(lk->region_size[R_RODATA], 16);
    lk->region_size[R_RODATA] = lk->got_offset + lk->got_size;
    lk->common_offset = hcr__align_up(lk->region_size[R_DATA], 64);
    lk->region_size[R_DATA] = lk->common_offset + lk->common_size;
    size_t total = 0;
    for (int r = R_TEXT; r < R_COUNT; r++) {
        lk->region_offset[r] = total;
        total += hcr__align_up(lk->region_size[r], hcr__page_size());
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



/* Makes text read-execute, constants and the GOT read-only; data stays
   read-write. */
int hcr__link_protect(struct linker *lk)
{
    static const int prot[R_COUNT] = {0, PROT_READ | PROT_EXEC, PROT_READ, PROT_READ | PROT_WRITE};
    for (int r = R_TEXT; r < R_COUNT; r++) {
        size_t size = hcr__align_up(lk->region_size[r], hcr__page_size());
        if (size && mprotect(lk->map + lk->region_offset[r], size, prot[r]) < 0)
            return hcr__fail(lk->msg, -errno, "%s: mprotect of the loaded code failed: %s",
                             lk->path, strerror(errno));
    }
    return 0;
}
