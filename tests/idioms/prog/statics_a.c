/* statics_a.c: idiom 8, a static function, a file static and a
   function-local static with the same names as statics_b.c's. */
#include "idioms.h"

static int count;

static int step(void)
{
#ifdef HCR_EDIT
    return 10;
#else
    return 1;
#endif
}

int statics_a_bump(void)
{
    static int calls;
    count += step();
    return ++calls;
}

int statics_a_count(void)
{
    return count;
}
