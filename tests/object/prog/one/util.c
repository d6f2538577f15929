/* one/util.c: one of two files named util.c, each with a static "level". */
#include "prog.h"

static int level = 1;

int one_level(void)
{
    return level;
}

void one_raise(void)
{
    level++;
}
