/* inline_a.c: idiom 16, a user of inline.h's static inline. Unchanged
   itself: its edit is the header's. */
#include "idioms.h"
#include "inline.h"

static int total;

int inline_a_add(int x)
{
    total += inline_step(x);
    return total;
}
