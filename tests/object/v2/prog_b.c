/* prog_b.c, version 2. */
#include "prog.h"

static int hits;

int b_twice(int x)
{
    hits++;
    return 3 * x;
}

int b_hits(void)
{
    return hits;
}

int b_calls_a(void)
{
    return a_version() * 100;
}

int b_counter(void)
{
    return counter;
}

int b_version(void)
{
    return 2;
}
