/*
 * load_edits.c: two edits to the program headers of a version's copy
 * (never of the build output) that spare the loader every TLB flush.
 *
 * A TLB flush caused by the watch thread interrupts every other CPU that
 * runs a thread of the process, the host's among them, and costs most on
 * a virtual machine. glibc's dlopen causes two:
 *   - it protects the RELRO range (GOT, .data.rel.ro) with mprotect once
 *     relocated;
 *   - it reads .dynamic, then writes the load bias into its entries. The
 *     read maps the file's page, so the write must replace a present page
 *     with a private copy (copy-on-write), and flush. Relocations write to
 *     the same page (.dynamic lies between .init_array and .got), so
 *     sparing only the .dynamic write changes nothing.
 * The edits:
 *   - PT_GNU_RELRO gets a type of hcr's own (HCR__PT_RELRO_LIFTED), which
 *     the loader ignores and state.c still reads as runtime data;
 *   - the bytes of .dynamic are also written into the padding after a
 *     read-only segment, in the same page, and PT_DYNAMIC points there,
 *     without PF_W. glibc 2.35 and later then read the entries in place
 *     and write none; the first touch of the data page is a relocation's
 *     write, which needs no flush. The .dynamic section header follows,
 *     for debuggers.
 * bench/plugin measures what they save. hcr_options.exact_copy turns both
 * off.
 */
#include "plugin_internal.h"

#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether the loader leaves a read-only PT_DYNAMIC unwritten (glibc 2.35
   added that); an older one would write it and fault. */
static int loader_reads_dynamic_in_place(void)
{
    static _Atomic int answer = -1; /* plugins open on any thread */
    if (answer < 0) {
        unsigned major = 0, minor = 0;
        answer = sscanf(gnu_get_libc_version(), "%u.%u", &major, &minor) == 2 &&
                 (major > 2 || (major == 2 && minor >= 35));
    }
    return answer;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* Whether [lo, lo+len) and [olo, olo+olen) intersect, without computing
   an end that could wrap (a segment's offset and size are not bounded by
   the reader). */
static int overlaps(uint64_t lo, uint64_t len, uint64_t olo, uint64_t olen)
{
    if (!len || !olen)
        return 0;
    return lo < olo ? olo - lo < len : lo - olo < olen;
}

/* Whether the file bytes [at, at+len) are used by nothing: no header or
   table, no segment's file image, no section's contents. */
static int file_range_unused(const struct hcr__elf *elf, uint64_t at, uint64_t len)
{
    const Elf64_Ehdr *eh = elf->ehdr;
    if (overlaps(at, len, 0, sizeof *eh) ||
        overlaps(at, len, eh->e_phoff, elf->phnum * sizeof(Elf64_Phdr)) ||
        (elf->shdrs && overlaps(at, len, eh->e_shoff, elf->shnum * sizeof(Elf64_Shdr))))
        return 0;
    for (size_t i = 0; i < elf->phnum; i++)
        if (elf->phdrs[i].p_type == PT_LOAD &&
            overlaps(at, len, elf->phdrs[i].p_offset, elf->phdrs[i].p_filesz))
            return 0;
    for (size_t i = 0; i < elf->shnum; i++) {
        const Elf64_Shdr *sh = &elf->shdrs[i];
        if (sh->sh_type != SHT_NOBITS && overlaps(at, len, sh->sh_offset, sh->sh_size))
            return 0;
    }
    return 1;
}

/* Whether no PT_LOAD but `host` maps any page of [vaddr, vaddr+len). */
static int pages_only_of(const struct hcr__elf *elf, size_t host, uint64_t vaddr, uint64_t len,
                         uint64_t page)
{
    uint64_t lo = vaddr & ~(page - 1), hi = align_up(vaddr + len, page);
    for (size_t i = 0; i < elf->phnum; i++) {
        const Elf64_Phdr *ph = &elf->phdrs[i];
        if (i == host || ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        if (ph->p_vaddr > UINT64_MAX / 4 || ph->p_memsz > UINT64_MAX / 4)
            return 0;
        uint64_t olo = ph->p_vaddr & ~(page - 1), ohi = align_up(ph->p_vaddr + ph->p_memsz, page);
        if (overlaps(lo, hi - lo, olo, ohi - olo))
            return 0;
    }
    return 1;
}

int hcr__dynamic_move_plan(const struct hcr__elf *elf, uint64_t page,
                           struct hcr__dynamic_move *move)
{
    const Elf64_Phdr *dyn = NULL;
    for (size_t i = 0; i < elf->phnum; i++)
        if (elf->phdrs[i].p_type == PT_DYNAMIC) {
            dyn = &elf->phdrs[i];
            move->dynamic = i;
        }
    if (!dyn || dyn->p_filesz == 0 || dyn->p_filesz != dyn->p_memsz || dyn->p_filesz > page ||
        dyn->p_offset > elf->size || dyn->p_filesz > elf->size - dyn->p_offset)
        return 0;
    uint64_t len = dyn->p_filesz;
    for (size_t i = 0; i < elf->phnum; i++) {
        const Elf64_Phdr *ph = &elf->phdrs[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || ph->p_filesz != ph->p_memsz ||
            ph->p_offset > elf->size || ph->p_filesz > elf->size - ph->p_offset ||
            ph->p_vaddr > UINT64_MAX / 2 || (ph->p_vaddr - ph->p_offset) % page != 0)
            continue;
        uint64_t end = ph->p_offset + ph->p_filesz;
        uint64_t at = align_up(end, 8);
        /* In the page the segment's mapping ends in, and in the file. */
        if (at + len > align_up(end, page) || at + len > elf->size)
            continue;
        uint64_t vaddr = ph->p_vaddr + (at - ph->p_offset);
        if (!file_range_unused(elf, at, len) || !pages_only_of(elf, i, vaddr, len, page))
            continue;
        move->host = i;
        move->offset = at;
        move->vaddr = vaddr;
        return 1;
    }
    return 0;
}

/* Points the .dynamic section header at the new place too. gdb compares
   the loader's l_ld with that section's address to check it has the right
   file, and otherwise places the library's symbols wrongly. */
static int move_dynamic_section(struct hcr__version *v, const Elf64_Phdr *dyn,
                                const struct hcr__dynamic_move *move, const char *src)
{
    const struct hcr__elf *elf = &v->elf;
    for (size_t i = 0; i < elf->shnum; i++) {
        Elf64_Shdr sh = elf->shdrs[i];
        if (sh.sh_type != SHT_DYNAMIC || sh.sh_addr != dyn->p_vaddr)
            continue;
        sh.sh_addr = move->vaddr;
        sh.sh_offset = move->offset;
        return hcr__snapshot_patch(&v->snapshot, (off_t)(elf->ehdr->e_shoff + i * sizeof sh), &sh,
                                   sizeof sh, src, &v->message);
    }
    return 0;
}

int hcr__load_edits_apply(struct hcr__version *v, const char *src)
{
    const struct hcr__elf *elf = &v->elf;
    if (elf->phnum == 0)
        return 0;
    struct hcr__dynamic_move move;
    long page = sysconf(_SC_PAGESIZE);
    int moving = loader_reads_dynamic_in_place() && page > 0 &&
                 hcr__dynamic_move_plan(elf, (uint64_t)page, &move);
    size_t table_size = elf->phnum * sizeof(Elf64_Phdr);
    Elf64_Phdr *table = malloc(table_size);
    if (!table)
        return hcr__fail(&v->message, HCR_ENOMEM, "%s: out of memory", src);
    memcpy(table, elf->phdrs, table_size);
    int changed = 0;
    for (size_t i = 0; i < elf->phnum; i++)
        if (table[i].p_type == PT_GNU_RELRO) {
            table[i].p_type = HCR__PT_RELRO_LIFTED;
            changed = 1;
        }
    int rc = 0;
    if (moving) {
        Elf64_Phdr *dyn = &table[move.dynamic], *host = &table[move.host];
        /* The entries first: they are read from the old place, which the
           write cannot reach (file_range_unused). */
        rc = hcr__snapshot_patch(&v->snapshot, (off_t)move.offset, elf->data + dyn->p_offset,
                                 dyn->p_filesz, src, &v->message);
        if (rc == 0)
            rc = move_dynamic_section(v, dyn, &move, src);
        host->p_filesz = host->p_memsz = move.offset + dyn->p_filesz - host->p_offset;
        dyn->p_offset = move.offset;
        dyn->p_vaddr = dyn->p_paddr = move.vaddr;
        dyn->p_flags = PF_R;
        changed = 1;
    }
    /* One write for the whole table: elf->phdrs may be a mapping of the
       copy, which this write changes under it. */
    if (rc == 0 && changed)
        rc = hcr__snapshot_patch(&v->snapshot, (off_t)elf->ehdr->e_phoff, table, table_size, src,
                                 &v->message);
    free(table);
    return rc;
}
