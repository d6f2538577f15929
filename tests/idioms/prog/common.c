/* common.c: idiom 12, compiled with -fcommon: tentative definitions (no
   initialiser, no extern) become common symbols, merged by the linker with
   common_peer.c's identical ones into one variable each. */
#include "idioms.h"

int common_tentative;
int common_array[4];

int common_add(int n)
{
#ifdef HCR_EDIT
    common_tentative += n * 100;
#else
    common_tentative += n;
#endif
    common_array[0]++;
    return common_tentative;
}
