/* prog_b.c with a bug: b_version dereferences NULL. */
#include "prog.h"

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
    volatile int *nothing = 0;
    return *nothing + 3;
}
