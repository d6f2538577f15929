/*
 * elf_header.c: the first stage of the ELF reader (elf_internal.h): what
 * the file is. Identification (magic, class, data encoding, version), then
 * the machine and the type the caller asked for, each refused with a
 * message naming what the file is instead; and the names of machines and
 * types those messages use.
 */
#include "elf/elf_internal.h"

#include <stdint.h>
#include <string.h>

/* The machines named in messages ("built for AArch64"). Which machine this
   process is, is src/arch's business (hcr__arch_machine): this is the ELF
   specification's list of e_machine values, and the one place outside
   src/arch/x86_64 that names EM_X86_64. */
static const struct {
    unsigned machine;
    const char *name;
} machine_names[] = {
    {EM_X86_64, "x86-64"},   {EM_386, "i386"},     {EM_AARCH64, "AArch64"},
    {EM_ARM, "ARM"},         {EM_RISCV, "RISC-V"}, {EM_PPC64, "PowerPC64"},
    {EM_PPC, "PowerPC"},     {EM_S390, "s390"},    {EM_MIPS, "MIPS"},
    {EM_SPARCV9, "SPARC64"}, {EM_IA_64, "IA-64"},  {258 /* EM_LOONGARCH */, "LoongArch"},
};

const char *hcr__elf_machine_name(unsigned machine)
{
    for (size_t i = 0; i < HCR__ARRAY_SIZE(machine_names); i++)
        if (machine_names[i].machine == machine)
            return machine_names[i].name;
    return NULL;
}

/* What an e_type value means, for messages. */
static const char *type_description(unsigned type)
{
    switch (type) {
    case ET_REL:
        return "a relocatable object (ET_REL)";
    case ET_DYN:
        return "a shared object (ET_DYN)";
    case ET_EXEC:
        return "an executable (ET_EXEC)";
    case ET_CORE:
        return "a core dump (ET_CORE)";
    }
    return "of an unknown ELF type";
}

int hcr__elf_header_check(struct hcr__elf *e, unsigned machine, unsigned type,
                          struct hcr__message *msg)
{
    const unsigned char *d = e->data;
    const Elf64_Ehdr *h;

    if (e->size == 0)
        return hcr__fail(msg, HCR_ENOEXEC, "%s: file is empty", e->name);
    if (!d)
        return hcr__fail(msg, HCR_EINVAL, "%s: no data for %zu bytes", e->name, e->size);
    if ((uintptr_t)d % _Alignof(Elf64_Ehdr) != 0)
        return hcr__fail(msg, HCR_EINVAL, "%s: the file's bytes are not 8-byte aligned in memory",
                         e->name);
    if (memcmp(d, ELFMAG, e->size < SELFMAG ? e->size : SELFMAG) != 0)
        return hcr__fail(msg, HCR_ENOEXEC, "%s: not an ELF file (it does not start with \\177ELF)",
                         e->name);
    if (e->size >= EI_NIDENT) {
        if (d[EI_CLASS] == ELFCLASS32)
            return hcr__fail(msg, HCR_ENOEXEC,
                             "%s: a 32-bit ELF file (ELFCLASS32); hcr needs 64-bit code", e->name);
        if (d[EI_CLASS] != ELFCLASS64)
            return hcr__fail(msg, HCR_ENOEXEC, "%s: unknown ELF class %u", e->name, d[EI_CLASS]);
        if (d[EI_DATA] == ELFDATA2MSB)
            return hcr__fail(
                msg, HCR_ENOEXEC,
                "%s: a big-endian ELF file (ELFDATA2MSB); this process is little-endian", e->name);
        if (d[EI_DATA] != ELFDATA2LSB)
            return hcr__fail(msg, HCR_ENOEXEC, "%s: unknown ELF data encoding %u", e->name,
                             d[EI_DATA]);
        if (d[EI_VERSION] != EV_CURRENT)
            return hcr__fail(msg, HCR_ENOEXEC, "%s: unknown ELF version %u", e->name,
                             d[EI_VERSION]);
    }
    if (e->size < sizeof(Elf64_Ehdr))
        return hcr__fail(msg, HCR_ETRUNC,
                         "%s: file is truncated: it has %zu bytes, an ELF header needs %zu",
                         e->name, e->size, sizeof(Elf64_Ehdr));

    h = (const Elf64_Ehdr *)d;
    if (h->e_version != EV_CURRENT)
        return hcr__fail(msg, HCR_ENOEXEC, "%s: unknown ELF version %u in e_version", e->name,
                         h->e_version);
    if (machine && h->e_machine != machine) {
        const char *have = hcr__elf_machine_name(h->e_machine);
        const char *want = hcr__elf_machine_name(machine);
        return hcr__fail(msg, HCR_EARCH, "%s: built for %s (e_machine %u), this process is %s",
                         e->name, have ? have : "another machine", h->e_machine,
                         want ? want : "another machine");
    }
    if (type && h->e_type != type)
        return hcr__fail(msg, HCR_ENOEXEC, "%s: is %s, expected %s", e->name,
                         type_description(h->e_type), type_description(type));
    if (h->e_ehsize != sizeof(Elf64_Ehdr))
        return hcr__fail(msg, HCR_ECORRUPT, "%s: e_ehsize is %u, a 64-bit ELF header has %zu bytes",
                         e->name, h->e_ehsize, sizeof(Elf64_Ehdr));
    e->ehdr = h;
    return 0;
}
