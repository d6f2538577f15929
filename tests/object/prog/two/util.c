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

/* Static here; version 2 makes it global: still the same function. */
__attribute__((noinline)) static int two_helper(void)
{
    return 5;
}

int (*two_helper_address(void))(void)
{
    return two_helper;
}
