/* inline_b.c: idiom 16, the other user of inline.h's static inline. */
#include "idioms.h"
#include "inline.h"

static int total = 1000;

int inline_b_add(int x)
{
    total += inline_step(x);
    return total;
}
