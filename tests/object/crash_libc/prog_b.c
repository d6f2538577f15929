/* prog_b.c with a bug: b_version makes libc read through NULL. */
#include "prog.h"

#include <string.h>

static int hits;

int b_twice(int x)
{
    hits++;
    return 2 * x;
}

int b_hits(void)
{
    return hits;
}

int b_calls_a(void)
{
    return a_version() * 10;
}

int b_counter(void)
{
    return counter;
}

int b_version(void)
{
    const char *volatile nothing = 0;
    return (int)strlen(nothing) + 3;
}
