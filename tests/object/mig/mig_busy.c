/* mig_busy.c: a counter whose struct gains a field, bumped by a busy
   thread while the reload moves it (see mig.h). The unit has many other
   functions, so that switching them all takes a while: a write of the old
   code between the copy of the value and the switch would be lost. */
#include "mig.h"

#if MIG_V == 1
static struct busy { int count; } s_busy;
#else
static struct busy { int added; int count; } s_busy = {64, 0};
#endif

/* Functions the reload switches too (none is called), each long enough
   for the jump of a build without pads: defined before busy_bump, so that
   busy_bump is among the last switched. */
#define BUSY_FILLER(n)                                                                             \
    int busy_filler_##n(int x);                                                                    \
    int busy_filler_##n(int x)                                                                     \
    {                                                                                              \
        return (x * (n + 3) + MIG_V) ^ (x >> (n % 5 + 1));                                         \
    }
#define BUSY_FILLERS10(t)                                                                          \
    BUSY_FILLER(t##0) BUSY_FILLER(t##1) BUSY_FILLER(t##2) BUSY_FILLER(t##3) BUSY_FILLER(t##4)      \
    BUSY_FILLER(t##5) BUSY_FILLER(t##6) BUSY_FILLER(t##7) BUSY_FILLER(t##8) BUSY_FILLER(t##9)
BUSY_FILLERS10(1) BUSY_FILLERS10(2) BUSY_FILLERS10(3) BUSY_FILLERS10(4) BUSY_FILLERS10(5)
BUSY_FILLERS10(6) BUSY_FILLERS10(7) BUSY_FILLERS10(8) BUSY_FILLERS10(9)

int busy_version(void)
{
    return MIG_V;
}

int busy_added(void)
{
#if MIG_V == 1
    return -1;
#else
    return s_busy.added;
#endif
}

int busy_bump(void)
{
    return ++s_busy.count;
}
