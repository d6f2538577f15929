/* mig_split.c: one static clang -O2 splits into pieces, alone in its unit
   so that nothing else of the unit stops a reload: a field inserted
   before another, every field written at run time. clang names the pieces
   by position: `s_inserted.0` (a) and `s_inserted.1` (c) in version 1,
   `s_inserted.0` (a), `s_inserted.1` (b) and `s_inserted.2` (c) in
   versions 2 and 3, so that binding them by name would give b the value of
   c and start c afresh. */
#include "mig.h"

#include <string.h>

/* A static that only ever holds its initialiser and one other value, which
   clang -O2 keeps as a one-byte flag (0 or 5 in version 1, 0 or 7 in
   version 3); version 2 stores two values, so a plain int. */
static int s_mode;

#if MIG_V == 1
void split_mode(int on)
{
    if (on)
        s_mode = 5;
}
#elif MIG_V == 2
void split_mode(int on)
{
    s_mode = on ? 7 : 5;
}
#else
void split_mode(int on)
{
    if (on)
        s_mode = 7;
}
#endif

int split_mode_get(void)
{
    return s_mode;
}

#if MIG_V == 1
static struct inserted { int a; int c; } s_inserted = {1, 3};
#else
static struct inserted { int a; int b; int c; } s_inserted = {1, 2, 3};
#endif

int split_version(void)
{
    return MIG_V;
}

long long split_get(const char *f)
{
    if (!strcmp(f, "a")) return s_inserted.a;
    if (!strcmp(f, "c")) return s_inserted.c;
#if MIG_V > 1
    if (!strcmp(f, "b")) return s_inserted.b;
#endif
    return -1;
}

void split_set(const char *f, long long v)
{
    if (!strcmp(f, "a")) s_inserted.a = (int)v;
    if (!strcmp(f, "c")) s_inserted.c = (int)v;
#if MIG_V > 1
    if (!strcmp(f, "b")) s_inserted.b = (int)v;
#endif
}
