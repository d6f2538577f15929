/* strong.c: idiom 5, the strong definitions that override weak.c's. */
#include "idioms.h"

int weak_shared = 40;

int weak_overridden(void)
{
#ifdef HCR_EDIT
    return 200;
#else
    return 20;
#endif
}

int strong_shared(void)
{
#ifdef HCR_EDIT
    return weak_shared + 1000000;
#else
    return weak_shared;
#endif
}
