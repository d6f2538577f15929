/*
 * test_patch_bytes.c: the x86-64 entry scheme on a model of the pad bytes,
 * with a model debugger that saves the entry byte, puts an int3 there and
 * restores the saved byte later. Checks that every state a thread can see
 * decodes to "run the body" or "jump to the pre-entry pad", that hcr never
 * writes over a breakpoint byte, and that a debugger restoring its byte
 * never undoes hcr's choice.
 */
#include "arch/patch.h"
#include "harness.h"
#include "hcr.h"

#include <stdint.h>

enum { BAD, BODY, REDIRECT };

struct model {
    unsigned char b[HCR__PATCH_PRE_BYTES + HCR__PATCH_ENTRY_BYTES];
    struct hcr__arch_entry state;
    int breakpoint;      /* the model debugger has its int3 on the entry */
    unsigned char saved; /* the byte it will restore */
};

static unsigned char *at(struct model *m, int offset)
{
    return &m->b[HCR__PATCH_PRE_BYTES + offset];
}

/* What a thread starting at entry + pc does, with the breakpoint stepped
   over as a debugger does (its saved byte in place of the int3). */
static int walk(const struct model *m, int pc)
{
    unsigned char b[sizeof m->b];
    memcpy(b, m->b, sizeof b);
    if (m->breakpoint)
        b[HCR__PATCH_PRE_BYTES] = m->saved;
    for (int steps = 0; steps < 16; steps++) {
        if (pc == -HCR__PATCH_PRE_BYTES)
            return REDIRECT;
        if (pc == HCR__PATCH_ENTRY_BYTES)
            return BODY;
        if (pc < 0 || pc > HCR__PATCH_ENTRY_BYTES)
            return BAD;
        unsigned char op = b[HCR__PATCH_PRE_BYTES + pc];
        if (op == 0x90 || op == 0xf8 || op == 0xf9)
            pc++;
        else if (op == 0xeb && pc + 1 < HCR__PATCH_ENTRY_BYTES)
            pc = pc + 2 + (signed char)b[HCR__PATCH_PRE_BYTES + pc + 1];
        else
            return BAD;
    }
    return BAD;
}

static int traced_yes(void) { return 1; }
static int traced_no(void) { return 0; }

/* Plans and applies one switch; checks each intermediate state. Returns
   the planner's code. */
static int apply(struct model *m, int redirect, int (*traced)(void))
{
    struct hcr__arch_write w[HCR__PATCH_MAX_WRITES];
    struct hcr__arch_entry next;
    size_t n;
    unsigned char live[HCR__PATCH_ENTRY_BYTES];
    memcpy(live, at(m, 0), sizeof live);
    int rc = hcr__arch_plan_entry(&m->state, live, redirect, traced, w, &n, &next);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int before_at_1 = walk(m, 1); /* a thread that ran entry+0 as one byte */
        unsigned char first = m->breakpoint ? m->saved : *at(m, 0);
        CHECK(w[i].offset >= 0 && w[i].offset < HCR__PATCH_ENTRY_BYTES);
        CHECK(*at(m, w[i].offset) != 0xcc); /* never over the debugger's byte */
        *at(m, w[i].offset) = w[i].value;
        CHECK(walk(m, 0) != BAD);
        if ((first == 0x90 || first == 0xf9 || first == 0xf8) && before_at_1 != BAD)
            CHECK(walk(m, 1) != BAD);
    }
    m->state = next;
    CHECK_EQ(walk(m, 0), redirect ? REDIRECT : BODY);
    CHECK_EQ(hcr__arch_entry_redirected(&m->state, at(m, 0)), redirect);
    return 0;
}

static void model_init(struct model *m)
{
    memset(m->b, 0x90, sizeof m->b);
    CHECK(hcr__arch_pads_untouched(at(m, 0), NULL));
    hcr__arch_entry_init(&m->state);
    m->breakpoint = 0;
    /* The pre-entry jump: written once, never executed before the entry
       jumps to it. */
    CHECK_EQ(hcr__arch_pre_jump(m->b, 0x1000, 0x2000), 0);
    CHECK_EQ(m->b[0], 0xe9);
    int32_t d;
    memcpy(&d, m->b + 1, 4);
    CHECK_EQ(d, 0x1000);
    CHECK(!hcr__arch_pads_untouched(at(m, 0), NULL));
}

static void debugger_insert(struct model *m)
{
    m->saved = *at(m, 0);
    *at(m, 0) = 0xcc;
    m->breakpoint = 1;
}

static void debugger_remove(struct model *m)
{
    *at(m, 0) = m->saved;
    m->breakpoint = 0;
}

TEST(redirect_and_restore_without_debugger)
{
    struct model m;
    model_init(&m);
    CHECK_EQ(walk(&m, 0), BODY);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(apply(&m, 1, traced_no), 0);
        CHECK_EQ(*at(&m, 0), 0xeb);
        CHECK_EQ(*at(&m, 1), 0xf9);
        CHECK_EQ(apply(&m, 1, traced_no), 0); /* already: no writes */
        CHECK_EQ(apply(&m, 0, traced_no), 0);
        CHECK_EQ(*at(&m, 0), 0x90);
    }
}

TEST(breakpoint_before_first_redirect)
{
    struct model m;
    model_init(&m);
    debugger_insert(&m);
    CHECK_EQ(apply(&m, 1, traced_yes), 0);
    CHECK_EQ(*at(&m, 0), 0xcc); /* the jump went to entry+1 */
    CHECK_EQ(*at(&m, 1), 0xeb);
    debugger_remove(&m);
    CHECK_EQ(walk(&m, 0), REDIRECT); /* restoring 90 left the redirect */
    CHECK_EQ(apply(&m, 0, traced_yes), 0);
    CHECK_EQ(walk(&m, 0), BODY);
    CHECK_EQ(apply(&m, 1, traced_no), 0);
    debugger_insert(&m);
    CHECK_EQ(apply(&m, 0, traced_yes), 0);
    debugger_remove(&m);
    CHECK_EQ(walk(&m, 0), BODY);
}

TEST(breakpoint_over_an_active_redirect)
{
    struct model m;
    model_init(&m);
    CHECK_EQ(apply(&m, 1, traced_no), 0);
    debugger_insert(&m); /* saves our EB */
    CHECK_EQ(apply(&m, 0, traced_yes), 0);
    CHECK_EQ(*at(&m, 1), 0x00); /* EB 00: falls through */
    debugger_remove(&m);
    CHECK_EQ(walk(&m, 0), BODY);
    CHECK_EQ(apply(&m, 1, traced_no), 0);
    debugger_insert(&m);
    CHECK_EQ(apply(&m, 0, traced_yes), 0);
    CHECK_EQ(apply(&m, 1, traced_yes), 0);
    debugger_remove(&m);
    CHECK_EQ(walk(&m, 0), REDIRECT);
    CHECK_EQ(apply(&m, 0, traced_no), 0);
    CHECK_EQ(walk(&m, 0), BODY);
}

TEST(foreign_bytes_are_refused)
{
    struct model m;
    model_init(&m);
    debugger_insert(&m);
    CHECK_EQ(apply(&m, 1, traced_no), HCR_EBUSY); /* int3 without a debugger */
    unsigned char fresh[9];
    memset(fresh, 0x90, sizeof fresh);
    fresh[5] = 0xcc;
    CHECK(hcr__arch_pads_untouched(fresh + 5, traced_yes));
    CHECK(!hcr__arch_pads_untouched(fresh + 5, traced_no));
    CHECK(!hcr__arch_pads_untouched(fresh + 5, NULL));
    debugger_remove(&m);
    *at(&m, 0) = 0x0f;
    *at(&m, 1) = 0x1f; /* a multi-byte nop, as another compiler emits */
    CHECK_EQ(apply(&m, 1, traced_no), HCR_EBUSY);
    CHECK(!hcr__arch_pads_untouched(at(&m, 0), NULL));
}

TEST(trampoline_encoding)
{
    unsigned char t[HCR__PATCH_TRAMPOLINE_SIZE];
    CHECK_EQ(hcr__arch_trampoline(t, 0x10000, 0x9000), 0);
    CHECK_EQ(t[0], 0xff);
    CHECK_EQ(t[1], 0x25);
    int32_t d;
    memcpy(&d, t + 2, 4);
    CHECK_EQ(d, 0x9000 - 0x10006);
    CHECK_EQ(hcr__arch_trampoline(t, 0x10000, (uintptr_t)0x10000 + ((uintptr_t)3 << 30)),
             HCR_ERANGE);
    unsigned char j[HCR__PATCH_PRE_BYTES];
    CHECK_EQ(hcr__arch_pre_jump(j, (uintptr_t)5 << 32, 0x1000), HCR_ERANGE);
}

TEST(pads_straddling_fetch_blocks)
{
    CHECK(!hcr__arch_pads_straddle(0x1005)); /* the compiler's layout */
    CHECK(!hcr__arch_pads_straddle(0x100c));
    CHECK(hcr__arch_pads_straddle(0x100d)); /* entry at 16k + 13 */
    CHECK(hcr__arch_pads_straddle(0x1014)); /* entry at 16k + 4 */
}
