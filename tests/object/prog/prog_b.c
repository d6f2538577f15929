/* prog_b.c, version 1: calls into prog_a.c, and a static named like one
   of prog_a.c's. */
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
    return 1;
}

int b_seq(void)
{
    static int count;
    return ++count;
}

int b_other(void)
{
    static int count = 100;
    return ++count;
}
