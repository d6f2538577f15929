/* interp_const.c: idiom 10, the threaded interpreter of interp.c with a
   const table of label addresses (.data.rel.ro, a constant of the unit). */
#include "idioms.h"

static long steps;

int interp_const_run(const unsigned char *code)
{
    static const void *const handlers[] = {
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

long interp_const_steps(void)
{
    return steps;
}
