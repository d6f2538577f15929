/* mig_libglobal.c: a global whose layout changes, named by the library
   mig_libuser.c as well as by this unit (see mig.h). */
#include "mig.h"

#if MIG_V == 1
struct lib_named { int x; } lib_named = {5};
#else
struct lib_named { int w; int x; } lib_named = {1, 5};
#endif

int libglobal_version(void)
{
    return MIG_V;
}

long long libglobal_get(void)
{
    return lib_named.x;
}
