/*
 * decode.c (x86-64): where a PC-relative reference in an object's code
 * points, measured from its section. A relocation against a section
 * symbol (gas turns every reference to a static into `.data + addend`)
 * carries, in its addend, the distance from the end of the displacement
 * field to the end of the instruction, which is 4 for most instructions
 * and more when an immediate follows the displacement (`movl $1,
 * x(%rip)`): to know which variable the reference means, the instruction
 * must be decoded. Zydis decodes it; decoding starts at the function that
 * holds the reference, whose first byte begins an instruction.
 */
#include "arch/decode.h"
#include "internal.h"

#include <Zydis/Zydis.h>
#include <elf.h>

int hcr__arch_reloc_is_pc_relative(uint32_t type)
{
    return type == R_X86_64_PC32 || type == R_X86_64_PC64 || type == R_X86_64_PC8 ||
           type == R_X86_64_PC16;
}

int hcr__arch_reloc_target(uint32_t type, const unsigned char *code, size_t code_size,
                           size_t start, uint64_t place, int64_t addend, int64_t *target)
{
    if (!hcr__arch_reloc_is_pc_relative(type)) {
        *target = addend;
        return 0;
    }
    if (type != R_X86_64_PC32 || start > place || place >= code_size)
        return HCR_ENOTSUP;
    ZydisDecoder decoder;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
                                       ZYDIS_STACK_WIDTH_64)))
        return HCR_ENOTSUP;
    size_t at = start;
    while (at <= place) {
        ZydisDecodedInstruction insn;
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, NULL, code + at,
                                                         code_size - at, &insn)))
            return HCR_ENOTSUP;
        size_t end = at + insn.length;
        if (place < end) {
            /* The relocated field must be the instruction's displacement. */
            if (!insn.raw.disp.size || at + insn.raw.disp.offset != place ||
                insn.raw.disp.size != 32)
                return HCR_ENOTSUP;
            *target = addend + (int64_t)(end - place);
            return 0;
        }
        at = end;
    }
    return HCR_ENOTSUP;
}
