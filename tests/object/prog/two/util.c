/* two/util.c: one of two files named util.c, each with a static "level". */
#include "prog.h"

static int level = 50;

int two_level(void)
{
    return level;
}

void two_raise(void)
{
    level++;
}
