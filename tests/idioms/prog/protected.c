/* protected.c: idiom 3, protected visibility by attribute (exported, but
   references from inside the image are never interposed). users.c calls
   protected_scale and reads protected_counter, which this file writes. */
#include "idioms.h"

PROTECTED int protected_counter = 5;

PROTECTED int protected_scale(int x)
{
#ifdef HCR_EDIT
    return x * 50;
#else
    return x * 5;
#endif
}

int protected_bump(void)
{
#ifdef HCR_EDIT
    protected_counter += 100;
#else
    protected_counter += 1;
#endif
    return protected_counter;
}
