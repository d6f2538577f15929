/* world.c: the part of the demo that gets edited while it runs. */
#include "world.h"

int total;
static int ticks;

void world_step(void)
{
    ticks++;
    total += 1;
}

int world_ticks(void)
{
    return ticks;
}

const char *world_rule(void)
{
    return "+1 per tick";
}
