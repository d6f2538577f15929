/* two/util.c, version 2: two_helper is now global. */
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

int two_helper(void);

__attribute__((noinline)) int two_helper(void)
{
    return 6;
}

int (*two_helper_address(void))(void)
{
    return two_helper;
}
