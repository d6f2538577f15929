/* objlib.c, version 2. */
#include "objlib.h"

__thread int lib_tls = 3;
int lib_total;
static int lib_count;

int lib_bump(void)
{
    lib_total += 10;
    lib_count += 10;
    return lib_count;
}

int lib_version(void)
{
    return 2;
}

int lib_tls_get(void)
{
    return lib_tls + 100;
}

int lib_calls_exe(void)
{
    return a_version() * 1000;
}
