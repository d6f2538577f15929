/* A guest driven by a command in ctx->userdata (struct nest_command): step,
   crash with every callee-saved register clobbered, fail, or update another
   plugin from inside its own step. For the tests of the per-frame path's
   guard: what it saves, and frames inside frames. */
#include "hcr.h"
#include "nest.h"

/* Fills rbx, rbp and r12-r15 with garbage, then faults. Assembly: the
   compiler would save and restore the registers it is told are used. */
#if defined(__x86_64__)
__asm__(".text\n"
        ".type clobber_and_crash, @function\n"
        "clobber_and_crash:\n"
        "  movabs $0x5a5a5a5a5a5a5a01, %rbx\n"
        "  movabs $0x5a5a5a5a5a5a5a02, %rbp\n"
        "  movabs $0x5a5a5a5a5a5a5a03, %r12\n"
        "  movabs $0x5a5a5a5a5a5a5a04, %r13\n"
        "  movabs $0x5a5a5a5a5a5a5a05, %r14\n"
        "  movabs $0x5a5a5a5a5a5a5a06, %r15\n"
        "  xorl %eax, %eax\n"
        "  movq (%rax), %rax\n"
        "  ud2\n"
        ".size clobber_and_crash, .-clobber_and_crash\n");
void clobber_and_crash(void);
#else
static void clobber_and_crash(void)
{
    *(volatile int *)0 = 1;
}
#endif

HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op)
{
    struct nest_command *c = ctx->userdata;
    if (op != HCR_STEP || !c)
        return 0;
    c->steps++;
    switch (c->action) {
    case NEST_CRASH:
        clobber_and_crash();
        return 0;
    case NEST_FAIL:
        return -5;
    case NEST_UPDATE_INNER:
        c->inner_result = hcr_plugin_update(c->inner);
        return 1;
    case NEST_UPDATE_INNER_THEN_CRASH:
        c->inner_result = hcr_plugin_update(c->inner);
        clobber_and_crash();
        return 0;
    default:
        return 1;
    }
}
