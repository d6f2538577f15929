/* tick.c: a counter the main loop advances between commands. */
#include "svc.h"

#include <stdio.h>

static long ticks;

void tick_step(void)
{
    ticks++;
}

void tick_report(char *out, size_t size)
{
    snprintf(out, size, "ticks %ld rate 1", ticks);
}
