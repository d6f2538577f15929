/* prog_b.c with a new thread-local variable: cannot be reloaded. */
#include "prog.h"

static __thread int b_new_tls;

int b_version(void)
{
    return ++b_new_tls;
}
