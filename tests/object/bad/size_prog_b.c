/* prog_b.c whose static `hits` grew: it migrates to new storage (with
   debug information), and b_hits says the new code runs. */
#include "prog.h"

static long long hits;

int b_twice(int x)
{
    hits++;
    return 2 * x;
}

int b_hits(void)
{
    return (int)hits + 1000;
}
