/*
 * patch.c (x86-64): the byte-level scheme that redirects a live function
 * entry. With -fpatchable-function-entry=9,5 every function E looks like
 *
 *     E-5: 90 90 90 90 90    never executed (the previous function ended)
 *     E+0: 90 90 90 90       executed on every call
 *     E+4: body
 *
 * Redirecting E writes `E9 rel32` (jmp to the function's trampoline) into
 * E-5..E-1 first, which is safe because no thread runs those bytes, and then
 * turns two entry nops into the short jump `EB disp8` back to E-5, one byte
 * at a time, second byte first:
 *
 *   at E+0 (no breakpoint there): E+1 = F9 (stc), then E+0 = EB. EB F9 is
 *     jmp -7 -> E-5. A thread that already ran E+0 as a nop executes stc: it
 *     only sets the carry flag, and flags are dead at a function entry.
 *   at E+1 (a debugger's int3, CC, sits on E+0): E+2 = F8 (clc), then
 *     E+1 = EB. EB F8 at E+1 is jmp -8 -> E-5. The debugger restores its
 *     saved 90 at E+0 when it removes the breakpoint, which leaves the jump
 *     at E+1 intact; our writes never touch a byte holding its CC.
 *
 * Each write is a single byte, hence atomic, and every mix of old and new
 * bytes a thread can observe decodes to nops, stc/clc or the complete jump.
 * E-5..E+3 lie in one 16-byte block (functions are 16-aligned and E = 16k+5),
 * so a CPU never decodes the new EB with a stale second byte; for pads laid
 * out otherwise the patcher serialises every CPU before the last write
 * (hcr__arch_pads_straddle).
 *
 * Making the entry run its own body again writes one byte back: E+0 = 90 (a
 * stc or clc stays behind at E+1/E+2, harmless), or E+1 = 90 for a jump at
 * E+1. One case needs care: a debugger inserted its breakpoint on E+0 while
 * our EB was there, so it will restore EB; we then turn the jump's second
 * byte into 00, and `EB 00` (jmp to the next instruction) runs on into the
 * nops. hcr remembers in hcr__arch_entry which byte E+0 holds underneath any
 * breakpoint, which tells these cases apart.
 *
 * The trampoline is `FF 25 disp32` (jmp *slot(%rip)) padded with int3.
 */
#include "arch/patch.h"
#include "hcr.h"

#include <string.h>

#define OP_NOP 0x90
#define OP_INT3 0xcc
#define OP_JMP_REL32 0xe9
#define OP_JMP_REL8 0xeb
#define OP_STC 0xf9
#define OP_CLC 0xf8
/* disp8 of the short jump back to E-5 from E+0 (ends at E+2) and E+1. */
#define DISP_FROM_0 ((unsigned char)0xf9) /* -7 */
#define DISP_FROM_1 ((unsigned char)0xf8) /* -8 */
#define DISP_NEXT 0x00                     /* jmp +0: fall through */

int hcr__arch_pads_untouched(const unsigned char *entry, int (*traced)(void))
{
    for (int i = -HCR__PATCH_PRE_BYTES; i < HCR__PATCH_ENTRY_BYTES; i++)
        if (entry[i] != OP_NOP && !(i == 0 && entry[i] == OP_INT3 && traced && traced()))
            return 0;
    return 1;
}

const char *hcr__arch_pads_problem(const unsigned char *entry, size_t before, size_t after)
{
    static const unsigned char endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
    if (after >= sizeof endbr64 && !memcmp(entry, endbr64, sizeof endbr64))
        return "starts with endbr64 before its patchable nops (built with -fcf-protection); "
               "build with -fcf-protection=none (hcr's reload flags)";
    if (before < HCR__PATCH_PRE_BYTES || after < HCR__PATCH_ENTRY_BYTES ||
        !hcr__arch_pads_untouched(entry, NULL))
        return "does not have 5 one-byte nops before and 4 at its entry; build with gcc and "
               HCR__ARCH_PATCH_FLAG " exactly (clang puts one 4-byte nop at the entry, which "
               "cannot be patched byte by byte)";
    return NULL;
}

void hcr__arch_entry_init(struct hcr__arch_entry *state)
{
    state->under_breakpoint = OP_NOP;
}

/* Stores the rel32 from the end of an instruction at `end` to `target`. */
static int put_rel32(unsigned char *out, uintptr_t end, uintptr_t target)
{
    int64_t d = (int64_t)(target - end);
    if (d < INT32_MIN || d > INT32_MAX)
        return HCR_ERANGE;
    int32_t d32 = (int32_t)d;
    memcpy(out, &d32, 4);
    return 0;
}

int hcr__arch_pre_jump(unsigned char out[HCR__PATCH_PRE_BYTES], uintptr_t entry, uintptr_t target)
{
    out[0] = OP_JMP_REL32;
    return put_rel32(out + 1, entry, target); /* the jump ends at the entry */
}

int hcr__arch_trampoline(unsigned char out[HCR__PATCH_TRAMPOLINE_SIZE], uintptr_t at,
                         uintptr_t slot)
{
    out[0] = 0xff;
    out[1] = 0x25;
    memset(out + 6, OP_INT3, HCR__PATCH_TRAMPOLINE_SIZE - 6);
    return put_rel32(out + 2, at + 6, slot);
}

int hcr__arch_pads_straddle(uintptr_t entry)
{
    uintptr_t first = entry - HCR__PATCH_PRE_BYTES, last = entry + HCR__PATCH_ENTRY_BYTES - 1;
    return first / 16 != last / 16;
}

int hcr__arch_entry_redirected(const struct hcr__arch_entry *state, const unsigned char *live)
{
    unsigned char b0 = live[0] == OP_INT3 ? state->under_breakpoint : live[0];
    if (b0 == OP_JMP_REL8)
        return live[1] == DISP_FROM_0;
    return b0 == OP_NOP && live[1] == OP_JMP_REL8 && live[2] == DISP_FROM_1;
}

static void add_write(struct hcr__arch_write *writes, size_t *count, int offset,
                      unsigned char value)
{
    writes[*count].offset = offset;
    writes[*count].value = value;
    ++*count;
}

int hcr__arch_plan_entry(const struct hcr__arch_entry *state, const unsigned char *live,
                         int redirect, int (*traced)(void),
                         struct hcr__arch_write writes[HCR__PATCH_MAX_WRITES], size_t *count,
                         struct hcr__arch_entry *next)
{
    unsigned char b0 = live[0], b1 = live[1], b2 = live[2];
    *count = 0;
    *next = *state;
    int breakpoint = b0 == OP_INT3;
    if (breakpoint && !traced())
        return HCR_EBUSY; /* an int3 nobody will ever restore */
    if (!breakpoint && b0 != state->under_breakpoint)
        return HCR_EBUSY;
    if (b0 == OP_JMP_REL8 || (breakpoint && state->under_breakpoint == OP_JMP_REL8)) {
        /* Our jump at E+0, live or under a breakpoint: switch its disp8. */
        if (b1 != DISP_FROM_0 && b1 != DISP_NEXT)
            return HCR_EBUSY;
        if (redirect && b1 != DISP_FROM_0)
            add_write(writes, count, 1, DISP_FROM_0);
        if (!redirect && b1 != DISP_NEXT) {
            if (breakpoint) {
                add_write(writes, count, 1, DISP_NEXT);
            } else {
                add_write(writes, count, 0, OP_NOP);
                next->under_breakpoint = OP_NOP;
            }
        }
        return 0;
    }
    /* E+0 is a nop, live or under a breakpoint. */
    if (b1 == OP_JMP_REL8) {
        if (b2 != DISP_FROM_1)
            return HCR_EBUSY;
        if (!redirect)
            add_write(writes, count, 1, OP_NOP);
        return 0;
    }
    if (b1 != OP_NOP && b1 != OP_STC)
        return HCR_EBUSY;
    if (!redirect)
        return 0;
    if (breakpoint) {
        if (b2 != OP_NOP && b2 != OP_CLC)
            return HCR_EBUSY;
        if (b2 != OP_CLC)
            add_write(writes, count, 2, OP_CLC);
        add_write(writes, count, 1, OP_JMP_REL8);
    } else {
        if (b1 != OP_STC)
            add_write(writes, count, 1, OP_STC);
        add_write(writes, count, 0, OP_JMP_REL8);
        next->under_breakpoint = OP_JMP_REL8;
    }
    return 0;
}
