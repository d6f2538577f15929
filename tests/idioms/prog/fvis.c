/* fvis.c: idiom 4, a file compiled with -fvisibility=hidden: its functions
   and variables carry no attribute (idioms.h declares them plainly) and
   come out hidden. users.c calls fvis_scale and reads fvis_counter. */
#include "idioms.h"

int fvis_counter = 5;

int fvis_scale(int x)
{
#ifdef HCR_EDIT
    return x * 60;
#else
    return x * 6;
#endif
}

int fvis_bump(void)
{
#ifdef HCR_EDIT
    fvis_counter += 100;
#else
    fvis_counter += 1;
#endif
    return fvis_counter;
}
