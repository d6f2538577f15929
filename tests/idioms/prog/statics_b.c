/* statics_b.c: idiom 8, the same names as statics_a.c's, other values. */
#include "idioms.h"

static int count = 1000;

static int step(void)
{
#ifdef HCR_EDIT
    return 20;
#else
    return 2;
#endif
}

int statics_b_bump(void)
{
    static int calls = 500;
    count += step();
    return ++calls;
}

int statics_b_count(void)
{
    return count;
}
