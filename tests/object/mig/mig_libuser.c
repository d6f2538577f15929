/* mig_libuser.c: a shared library that names a global of the program
   (mig_libglobal.c's lib_named): the dynamic linker binds its reference to
   the program's definition, through the library's own GOT. */
#include "mig.h"

extern struct lib_named_v1 { int x; } lib_named;

long long libuser_read(void)
{
    return lib_named.x;
}
