/* mig_escape.c: a file static whose address is kept in a global, which
   another unit reads: the static cannot move. */
#include "mig.h"

#if MIG_V == 1
static struct esc { int a; } s_escaped = {5};
#else
static struct esc { int z; int a; } s_escaped = {0, 5};
#endif

int *escape_pointer = &s_escaped.a;

int escape_version(void)
{
    return MIG_V;
}

int escape_read(void)
{
    return s_escaped.a;
}
