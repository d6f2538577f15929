/* interp.c: idiom 10, a threaded interpreter: each handler jumps to the
   next through a table of label addresses (computed goto). The table is
   written as interpreters commonly write it: an array of pointers to const,
   itself writable (in .data, not .rodata); interp_const.c has a const one. */
#include "idioms.h"

static long steps;

int interp_run(const unsigned char *code)
{
    static const void *handlers[] = {
        [INTERP_END] = &&op_end, [INTERP_ADD] = &&op_add, [INTERP_MUL] = &&op_mul};
    const unsigned char *pc = code;
    int acc = 0;
    goto *handlers[*pc++];
op_add:
    steps++;
#ifdef HCR_EDIT
    acc += 10;
#else
    acc += 1;
#endif
    goto *handlers[*pc++];
op_mul:
    steps++;
#ifdef HCR_EDIT
    acc *= 3;
#else
    acc *= 2;
#endif
    goto *handlers[*pc++];
op_end:
    return acc;
}

long interp_steps(void)
{
    return steps;
}
