/* prog_b.c whose static `hits` grew: its storage cannot grow in place. */
#include "prog.h"

static long long hits;

int b_twice(int x)
{
    hits++;
    return 2 * x;
}

int b_hits(void)
{
    return (int)hits;
}
