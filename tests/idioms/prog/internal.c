/* internal.c: idiom 2, internal visibility by attribute (hidden, and never
   called from outside the image). users.c calls internal_scale and reads
   internal_counter, which this file writes. */
#include "idioms.h"

INTERNAL int internal_counter = 5;

INTERNAL int internal_scale(int x)
{
#ifdef HCR_EDIT
    return x * 40;
#else
    return x * 4;
#endif
}

int internal_bump(void)
{
#ifdef HCR_EDIT
    internal_counter += 100;
#else
    internal_counter += 1;
#endif
    return internal_counter;
}
