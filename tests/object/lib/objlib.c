/* objlib.c, version 1: state in a shared library. */
#include "objlib.h"

__thread int lib_tls = 3;
int lib_total;
static int lib_count;

int lib_bump(void)
{
    lib_total += 1;
    return ++lib_count;
}

int lib_version(void)
{
    return 1;
}

int lib_tls_get(void)
{
    return lib_tls;
}

int lib_calls_exe(void)
{
    return a_version();
}
