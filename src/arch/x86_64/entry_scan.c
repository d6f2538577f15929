/*
 * entry_scan.c (x86-64): whether a function built without hot-patch pads
 * can have its first bytes replaced by `jmp rel32` (E9 + 4 bytes), and
 * where. The jump goes at the entry, or right after an endbr64 there, so
 * indirect calls under CET still land on one.
 *
 * The patcher writes the jump while every other thread is paused and
 * checks that none of them is stopped inside the replaced bytes (see
 * src/object/thread_pause.c), and that no stack holds an address inside
 * them (the return address of a call made from the first bytes, a program
 * counter a signal frame saved). What it cannot see from the paused
 * threads, this scan sees in the code, decoded with Zydis:
 *   - a jump of the function back into the replaced bytes (a loop whose
 *     head is the entry, as gcc -O2 makes them): the thread would leave
 *     the old version in the middle of a call;
 *   - a function shorter than the jump: the jump would overwrite the next
 *     function;
 *   - an int3 there (a debugger's breakpoint): the debugger would later
 *     put back the byte it saved over the jump.
 * Computed jumps (switch tables) are not followed: compilers point them at
 * case labels, which follow the dispatch and so never lie at the entry.
 */
#include "arch/patch.h"
#include "hcr.h"

#include <Zydis/Zydis.h>
#include <stdio.h>
#include <string.h>

#define OP_JMP_REL32 0xe9

/* Fills why[] and returns it. */
static const char *say(char *why, size_t size, const char *fmt, long a, long b)
{
    snprintf(why, size, fmt, a, b);
    return why;
}

const char *hcr__arch_site_problem(const unsigned char *code, size_t size, int (*traced)(void),
                                   struct hcr__arch_site *site, char *why, size_t why_size)
{
    ZydisDecoder decoder;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
                                       ZYDIS_STACK_WIDTH_64)))
        return "the instruction decoder cannot start";
    site->offset = 0;
    site->returns = 0;
    size_t at = 0, end_of_jump = HCR__PATCH_JUMP_BYTES;
    int first = 1;
    while (at < size) {
        ZydisDecodedInstruction insn;
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, NULL, code + at, size - at,
                                                         &insn)))
            return say(why, why_size, "has bytes at +%#lx that do not decode as an instruction",
                       (long)at, 0);
        if (first && insn.mnemonic == ZYDIS_MNEMONIC_ENDBR64) {
            site->offset = insn.length;
            end_of_jump = site->offset + HCR__PATCH_JUMP_BYTES;
        }
        first = 0;
        size_t next = at + insn.length;
        if (at < end_of_jump && insn.mnemonic == ZYDIS_MNEMONIC_INT3)
            return say(why, why_size,
                       traced && traced() ? "has a debugger's breakpoint at +%#lx, in the bytes the "
                                "redirecting jump replaces"
                              : "has an int3 at +%#lx, in the bytes the redirecting jump "
                                "replaces",
                       (long)at, 0);
        if (insn.meta.category == ZYDIS_CATEGORY_CALL && next > site->offset &&
            next < end_of_jump)
            site->returns |= 1u << (next - site->offset);
        if ((insn.attributes & ZYDIS_ATTRIB_IS_RELATIVE) && insn.raw.imm[0].is_relative &&
            (insn.meta.category == ZYDIS_CATEGORY_COND_BR ||
             insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
             insn.meta.category == ZYDIS_CATEGORY_CALL)) {
            long target = (long)next + (long)insn.raw.imm[0].value.s;
            int is_call = insn.meta.category == ZYDIS_CATEGORY_CALL;
            /* A call to the entry is a recursive call: it may run the new
               version. Any other way into the first bytes may not. */
            if (target >= 0 && (size_t)target < end_of_jump &&
                !(is_call && ((size_t)target == 0 || (size_t)target == site->offset)))
                return say(why, why_size,
                           "has a jump at +%#lx back to +%#lx, in the bytes the redirecting "
                           "jump replaces (a loop starts at its entry)",
                           (long)at, target);
        }
        at = next;
    }
    if (size < end_of_jump)
        return say(why, why_size, "is %ld bytes long, shorter than the %ld-byte redirecting jump",
                   (long)size, (long)end_of_jump);
    return NULL;
}

int hcr__arch_site_jump(unsigned char out[HCR__PATCH_JUMP_BYTES], uintptr_t site,
                        uintptr_t target)
{
    int64_t d = (int64_t)(target - (site + HCR__PATCH_JUMP_BYTES));
    if (d < INT32_MIN || d > INT32_MAX)
        return HCR_ERANGE;
    int32_t d32 = (int32_t)d;
    out[0] = OP_JMP_REL32;
    memcpy(out + 1, &d32, 4);
    return 0;
}
