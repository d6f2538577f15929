/* common_peer.c: idiom 12, compiled with -fcommon: the same tentative
   definitions as common.c's, merged with them. */
#include "idioms.h"

int common_tentative;
int common_array[4];

int common_peer_add(int n)
{
    common_tentative += n;
    common_array[1]++;
    return common_tentative;
}

int common_peer_read(void)
{
    return common_tentative;
}
