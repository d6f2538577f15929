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

int b_seq(void)
{
    static int count;
    return 10 * ++count;
}

int b_other(void)
{
    static int count = 100;
    return 10 * ++count;
}

/* New, with a static named like those above: gcc numbers `count.N` over the
   whole file, so the others' numbers shift. */
int b_late(void)
{
    static int count = 500;
    return ++count;
}
