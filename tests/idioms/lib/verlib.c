/* verlib.c: idiom 15, two versions of ver_foo in one library: .symver
   names each implementation, verlib.map defines the versions and makes
   the rest local. */
#include "verlib.h"

static int calls;

int ver_foo_v1(void);
int ver_foo_v2(void);

__asm__(".symver ver_foo_v1, ver_foo@V1");
__asm__(".symver ver_foo_v2, ver_foo@@V2");

int ver_foo_v1(void)
{
    calls++;
#ifdef HCR_EDIT
    return 10;
#else
    return 1;
#endif
}

int ver_foo_v2(void)
{
    calls++;
#ifdef HCR_EDIT
    return 20;
#else
    return 2;
#endif
}

int ver_calls(void)
{
    return calls;
}
