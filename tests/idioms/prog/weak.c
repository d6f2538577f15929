/* weak.c: idiom 5, weak definitions. weak_only and weak_only_count have no
   other definition; weak_overridden and weak_shared are overridden by the
   strong definitions of strong.c, so the program never runs or stores into
   this file's copies: its own references go to strong.c's. */
#include "idioms.h"

WEAK int weak_only_count = 3;
WEAK int weak_shared = -1;

WEAK int weak_only(void)
{
#ifdef HCR_EDIT
    return 2;
#else
    return 1;
#endif
}

int weak_only_bump(void)
{
#ifdef HCR_EDIT
    weak_only_count += 100;
#else
    weak_only_count += 1;
#endif
    return weak_only_count;
}

WEAK int weak_overridden(void)
{
#ifdef HCR_EDIT
    return -2;
#else
    return -1;
#endif
}

int weak_calls_overridden(void)
{
    return weak_overridden();
}

int weak_add_shared(int n)
{
#ifdef HCR_EDIT
    weak_shared += n * 100;
#else
    weak_shared += n;
#endif
    return weak_shared;
}
