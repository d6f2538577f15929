/* loop.c, version 2: the last value doubled. */
#include "prog.h"

int loop_last(const struct loop_node *n)
{
    while (n->next)
        n = n->next;
    return 2 * n->value;
}

int loop_version(void)
{
    return 2;
}
