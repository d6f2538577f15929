/* report.c: prints the state; never reloaded, it calls into world.c. */
#include "world.h"

#include <stdio.h>

void report(void)
{
    printf("  tick %2d: total %4d  (%s)\n", world_ticks(), total, world_rule());
    fflush(stdout);
}
