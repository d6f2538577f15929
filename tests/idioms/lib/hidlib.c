/* hidlib.c: idiom 14 (and 3 in a library), the reloaded unit of hidlib:
   hidden functions and variables, called and read by the exported API and
   by hidlib_peer.c; a protected function and variable. */
#include "hidlib_internal.h"

int hidlib_total = 3;
static int calls;

int hidlib_scale(int x)
{
#ifdef HCR_EDIT
    return x * 40;
#else
    return x * 4;
#endif
}

int hidlib_api(int x)
{
    calls++;
    hidlib_total += hidlib_scale(x);
    return hidlib_total;
}

int hidlib_api_calls(void)
{
    return calls;
}

HIDLIB_PROTECTED int hidlib_prot_value = 9;

HIDLIB_PROTECTED int hidlib_prot_step(void)
{
#ifdef HCR_EDIT
    return 100;
#else
    return 1;
#endif
}

int hidlib_prot_bump(void)
{
    hidlib_prot_value += hidlib_prot_step();
    return hidlib_prot_value;
}
