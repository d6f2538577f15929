/* mig_user.c: another unit that names mig_global.c's global, and reads a
   pointer mig_escape.c keeps to its file static. */
#include "mig.h"

#if MIG_V == 1
extern struct gstate { int a; int b; } gstate;
#else
extern struct gstate { int b; int added; int a; } gstate;
#endif

int user_version(void)
{
    return MIG_V;
}

long long user_read(void)
{
    return gstate.a * 1000LL + gstate.b + (MIG_V - 1) * 1000000LL;
}

int escape_through_pointer(void)
{
    return *escape_pointer;
}
