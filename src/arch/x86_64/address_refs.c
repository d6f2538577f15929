/*
 * address_refs.c (x86-64): references to a data range in code (see
 * src/arch/address_refs.h), decoded with Zydis. A reference is a memory
 * operand addressed from RIP or from an absolute displacement (non-PIE
 * code, with or without an index register: `mov tab(,%rax,4)` reads an
 * element), or an immediate (non-PIE `mov $var, %edi`). What counts as
 * taking the address: `lea`, an immediate, and an 8-byte load from a word
 * that holds an address in the range (a GOT slot, or a pointer variable
 * already aimed there). Register-based accesses through a pointer are not
 * references: they need the address taken first, which is what is found.
 *
 * One `lea` is an access all the same: the static linker rewrites a load
 * of the address from the GOT (`mov x@GOTPCREL(%rip), %rax`) into
 * `lea x(%rip), %rax`, and -O0 code indexes arrays and reaches fields the
 * same way. When the straight line of code after the `lea` only uses the
 * register as the base or index of memory operands until it overwrites
 * it, no copy of the address survives, and the `lea` is an access.
 */
#include "arch/address_refs.h"

#include <Zydis/Zydis.h>

static int in_range(uint64_t v, uintptr_t lo, uintptr_t hi)
{
    return v >= lo && v < hi;
}

/* The kind of reference operand op of insn makes to [lo, hi), or -1;
   *to the address it refers to. */
static int operand_ref(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *op,
                       uintptr_t pc, uintptr_t lo, uintptr_t hi, hcr__ref_read_fn read,
                       void *user, uintptr_t *to)
{
    if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        *to = (uintptr_t)op->imm.value.u;
        return in_range(op->imm.value.u, lo, hi) ? HCR__REF_ADDRESS : -1;
    }
    if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->mem.segment == ZYDIS_REGISTER_FS ||
        op->mem.segment == ZYDIS_REGISTER_GS)
        return -1;
    uint64_t target;
    if (op->mem.base == ZYDIS_REGISTER_RIP)
        target = pc + insn->length + (uint64_t)op->mem.disp.value;
    else if (op->mem.base == ZYDIS_REGISTER_NONE && op->mem.disp.has_displacement)
        target = (uint64_t)op->mem.disp.value; /* absolute, maybe plus an index */
    else
        return -1;
    int agen = insn->mnemonic == ZYDIS_MNEMONIC_LEA || op->mem.type == ZYDIS_MEMOP_TYPE_AGEN;
    *to = (uintptr_t)target;
    if (in_range(target, lo, hi))
        return agen ? HCR__REF_ADDRESS : HCR__REF_ACCESS;
    uint64_t word;
    if (!agen && read && op->size == 64 && op->mem.index == ZYDIS_REGISTER_NONE &&
        read(user, (uintptr_t)target, &word) && in_range(word, lo, hi)) {
        *to = (uintptr_t)word;
        return HCR__REF_ADDRESS;
    }
    return -1;
}

#define REFS_FOLLOW 12 /* instructions followed after an lea */

/* Whether the address an lea put in `reg` is only dereferenced in the
   instructions at code[at..size) before reg is overwritten, with no jump
   or call in between: HCR__REF_ACCESS if so, HCR__REF_RETURNED when a
   return comes first with reg a return register (another register is dead
   at a return, or restored), else HCR__REF_ADDRESS. */
static int only_dereferenced(const ZydisDecoder *decoder, const unsigned char *code, size_t size,
                             size_t at, ZydisRegister reg)
{
    for (int n = 0; n < REFS_FOLLOW && at < size; n++) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(decoder, code + at, size - at, &insn, ops)))
            return 0;
        switch (insn.meta.category) {
        case ZYDIS_CATEGORY_RET:
            return reg == ZYDIS_REGISTER_RAX || reg == ZYDIS_REGISTER_RDX ? HCR__REF_RETURNED
                                                                          : HCR__REF_ACCESS;
        case ZYDIS_CATEGORY_CALL:
        case ZYDIS_CATEGORY_COND_BR:
        case ZYDIS_CATEGORY_UNCOND_BR:
        case ZYDIS_CATEGORY_SYSCALL:
        case ZYDIS_CATEGORY_INTERRUPT:
            return HCR__REF_ADDRESS;
        default:
            break;
        }
        int overwritten = 0;
        for (unsigned i = 0; i < insn.operand_count; i++) {
            const ZydisDecodedOperand *op = &ops[i];
            if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
                int uses = op->mem.base == reg || op->mem.index == reg;
                if (uses && (op->mem.type == ZYDIS_MEMOP_TYPE_AGEN ||
                             insn.mnemonic == ZYDIS_MNEMONIC_LEA))
                    return HCR__REF_ADDRESS; /* a derived address */
                continue;
            }
            if (op->type != ZYDIS_OPERAND_TYPE_REGISTER ||
                ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, op->reg.value) != reg)
                continue;
            if (op->actions & ZYDIS_OPERAND_ACTION_MASK_READ)
                return HCR__REF_ADDRESS; /* the address becomes a value */
            /* Writing the 32-bit register clears the upper half too. */
            if ((op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) && op->size >= 32)
                overwritten = 1;
        }
        if (overwritten)
            return HCR__REF_ACCESS;
        at += insn.length;
    }
    return HCR__REF_ADDRESS;
}

int hcr__arch_scan_refs(const unsigned char *code, size_t size, uintptr_t runtime, uintptr_t lo,
                        uintptr_t hi, hcr__ref_fn found, hcr__ref_read_fn read, void *user)
{
    ZydisDecoder decoder;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
                                       ZYDIS_STACK_WIDTH_64)))
        return 0;
    size_t at = 0;
    while (at < size) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code + at, size - at, &insn, ops))) {
            at++;
            continue;
        }
        uintptr_t pc = runtime + at;
        int kind = -1;
        uintptr_t target = 0;
        for (unsigned i = 0; i < insn.operand_count_visible; i++) {
            uintptr_t to;
            int k = operand_ref(&insn, &ops[i], pc, lo, hi, read, user, &to);
            if (k > kind) {
                kind = k; /* an address outweighs an access */
                target = to;
            }
        }
        if (kind == HCR__REF_ADDRESS && insn.mnemonic == ZYDIS_MNEMONIC_LEA &&
            ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER && ops[0].size == 64)
            kind = only_dereferenced(&decoder, code, size, at + insn.length, ops[0].reg.value);
        if (kind >= 0) {
            int rc = found(user, pc, target, (enum hcr__ref_kind)kind);
            if (rc)
                return rc;
        }
        at += insn.length;
    }
    return 0;
}
