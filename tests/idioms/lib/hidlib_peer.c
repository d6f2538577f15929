/* hidlib_peer.c: the other file of hidlib, never reloaded: reads and calls
   hidlib.c's hidden and protected symbols from inside the library. */
#include "hidlib_internal.h"

int hidlib_peer_total(void)
{
    return hidlib_total;
}

int hidlib_peer_scale(int x)
{
    return hidlib_scale(x);
}

int hidlib_peer_prot_value(void)
{
    return hidlib_prot_value;
}

int hidlib_peer_prot_step(void)
{
    return hidlib_prot_step();
}
