/* mig_global.c: a global whose layout changes; mig_user.c names it too. */
#include "mig.h"

#include <string.h>

#if MIG_V == 1
struct gstate { int a; int b; } gstate = {1, 2};
#else
struct gstate { int b; int added; int a; } gstate = {20, 30, 10};
#endif

int global_version(void)
{
    return MIG_V;
}

long long global_get(const char *f)
{
    if (!strcmp(f, "a")) return gstate.a;
    if (!strcmp(f, "b")) return gstate.b;
#if MIG_V > 1
    if (!strcmp(f, "added")) return gstate.added;
#endif
    return -1;
}

void global_set(const char *f, long long v)
{
    if (!strcmp(f, "a")) gstate.a = (int)v;
    if (!strcmp(f, "b")) gstate.b = (int)v;
}
