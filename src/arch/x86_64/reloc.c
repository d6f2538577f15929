/*
 * x86_64/reloc.c: x86-64 relocation arithmetic for the object linker
 * (psABI, "Relocation Types"), and the PLT stub. Every write is checked
 * against the section's end and the field's range before a byte changes.
 * GOT-relative loads are never relaxed: the GOT entries hcr builds are real,
 * so the unrelaxed instruction is always correct.
 */
#include "arch/reloc.h"
#include "internal.h"

#include <elf.h>
#include <string.h>

unsigned hcr__arch_machine(void)
{
    return EM_X86_64;
}

/* The psABI's SHN_X86_64_LCOMMON, which <elf.h> lacks. */
#define SHN_LARGE_COMMON 0xff02

int hcr__arch_is_large_common(size_t shndx)
{
    return shndx == SHN_LARGE_COMMON;
}

/* One row per supported type: name and need. */
struct reloc_type {
    uint32_t type;
    const char *name;
    enum hcr__reloc_need need;
};

static const struct reloc_type types[] = {
    {R_X86_64_NONE, "R_X86_64_NONE", HCR__NEED_NONE},
    {R_X86_64_64, "R_X86_64_64", HCR__NEED_NONE},
    {R_X86_64_PC32, "R_X86_64_PC32", HCR__NEED_NONE},
    {R_X86_64_PLT32, "R_X86_64_PLT32", HCR__NEED_PLT},
    {R_X86_64_32, "R_X86_64_32", HCR__NEED_NONE},
    {R_X86_64_32S, "R_X86_64_32S", HCR__NEED_NONE},
    {R_X86_64_PC64, "R_X86_64_PC64", HCR__NEED_NONE},
    {R_X86_64_SIZE32, "R_X86_64_SIZE32", HCR__NEED_NONE},
    {R_X86_64_SIZE64, "R_X86_64_SIZE64", HCR__NEED_NONE},
    {R_X86_64_GOTPCREL, "R_X86_64_GOTPCREL", HCR__NEED_GOT},
    {R_X86_64_GOTPCRELX, "R_X86_64_GOTPCRELX", HCR__NEED_GOT},
    {R_X86_64_REX_GOTPCRELX, "R_X86_64_REX_GOTPCRELX", HCR__NEED_GOT},
    {R_X86_64_GOTPCREL64, "R_X86_64_GOTPCREL64", HCR__NEED_GOT},
    {R_X86_64_GOTTPOFF, "R_X86_64_GOTTPOFF", HCR__NEED_GOT_TPOFF},
    {R_X86_64_TPOFF32, "R_X86_64_TPOFF32", HCR__NEED_TLS_OFFSET},
    {R_X86_64_TPOFF64, "R_X86_64_TPOFF64", HCR__NEED_TLS_OFFSET},
    {R_X86_64_TLSGD, "R_X86_64_TLSGD", HCR__NEED_TLSGD},
    {R_X86_64_TLSLD, "R_X86_64_TLSLD", HCR__NEED_TLSLD},
    {R_X86_64_DTPOFF32, "R_X86_64_DTPOFF32", HCR__NEED_TLS_OFFSET},
    {R_X86_64_DTPOFF64, "R_X86_64_DTPOFF64", HCR__NEED_TLS_OFFSET},
};

static const struct reloc_type *find_type(uint32_t type)
{
    for (size_t i = 0; i < HCR__ARRAY_SIZE(types); i++)
        if (types[i].type == type)
            return &types[i];
    return NULL;
}

const char *hcr__arch_reloc_name(uint32_t type)
{
    const struct reloc_type *t = find_type(type);
    return t ? t->name : NULL;
}

int hcr__arch_reloc_need(uint32_t type, enum hcr__reloc_need *need)
{
    const struct reloc_type *t = find_type(type);
    if (!t)
        return HCR_ERELOC;
    *need = t->need;
    return 0;
}

/* Writes the low `width` bytes of value little-endian, after checking the
   room left in the section. */
static int put(unsigned char *loc, size_t room, size_t width, uint64_t value)
{
    if (width > room)
        return HCR_ETRUNC;
    memcpy(loc, &value, width); /* x86-64 is little-endian */
    return 0;
}

static int put_s32(unsigned char *loc, size_t room, int64_t value)
{
    if (value < INT32_MIN || value > INT32_MAX)
        return HCR_ERANGE;
    return put(loc, room, 4, (uint64_t)value);
}

static int put_u32(unsigned char *loc, size_t room, uint64_t value)
{
    if (value > UINT32_MAX)
        return HCR_ERANGE;
    return put(loc, room, 4, value);
}

int hcr__arch_reloc_apply(unsigned char *loc, size_t room, uint32_t type,
                          const struct hcr__reloc_value *v)
{
    /* Unsigned arithmetic wraps as the psABI formulas expect; signed fields
       are checked after converting the wrapped result back. */
    uint64_t a = (uint64_t)v->A;
    switch (type) {
    case R_X86_64_NONE:
        return 0;
    case R_X86_64_64:
        return put(loc, room, 8, v->S + a);
    case R_X86_64_PC32:
        return put_s32(loc, room, (int64_t)(v->S + a - v->P));
    case R_X86_64_PLT32:
        return put_s32(loc, room, (int64_t)(v->L + a - v->P));
    case R_X86_64_32:
        return put_u32(loc, room, v->S + a);
    case R_X86_64_32S:
        return put_s32(loc, room, (int64_t)(v->S + a));
    case R_X86_64_PC64:
        return put(loc, room, 8, v->S + a - v->P);
    case R_X86_64_SIZE32:
        return put_u32(loc, room, v->Z + a);
    case R_X86_64_SIZE64:
        return put(loc, room, 8, v->Z + a);
    case R_X86_64_GOTPCREL:
    case R_X86_64_GOTPCRELX:
    case R_X86_64_REX_GOTPCRELX:
    case R_X86_64_GOTTPOFF:
    case R_X86_64_TLSGD:
    case R_X86_64_TLSLD:
        return put_s32(loc, room, (int64_t)(v->G + a - v->P));
    case R_X86_64_GOTPCREL64:
        return put(loc, room, 8, v->G + a - v->P);
    case R_X86_64_TPOFF32:
        return put_s32(loc, room, v->tpoff + v->A);
    case R_X86_64_TPOFF64:
        return put(loc, room, 8, (uint64_t)v->tpoff + a);
    case R_X86_64_DTPOFF32:
        return put_s32(loc, room, v->dtpoff + v->A);
    case R_X86_64_DTPOFF64:
        return put(loc, room, 8, (uint64_t)v->dtpoff + a);
    }
    return HCR_ERELOC;
}

void hcr__arch_plt_write(unsigned char *stub, uint64_t stub_addr, uint64_t got_entry)
{
    /* jmp *disp32(%rip), then two int3 bytes as padding. */
    int32_t disp = (int32_t)(int64_t)(got_entry - (stub_addr + 6));
    stub[0] = 0xff;
    stub[1] = 0x25;
    memcpy(stub + 2, &disp, 4);
    stub[6] = 0xcc;
    stub[7] = 0xcc;
}

uintptr_t hcr__arch_thread_pointer(void)
{
    uintptr_t tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    return tp;
}
