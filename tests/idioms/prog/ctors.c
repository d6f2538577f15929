/* ctors.c: idiom 13, constructors with priorities, each appending to
   ctors_log. The program runs them by priority (101, then 102) before main.
   The edit changes them (a reload must not run them again) and adds three
   new ones in an order that is not their priorities': a reload runs those
   once, lowest priority first and the one without priority last. */
#include "idioms.h"

int ctors_log[16];
int ctors_count;

static void record(int v)
{
    if (ctors_count < 16)
        ctors_log[ctors_count++] = v;
}

#ifdef HCR_EDIT
__attribute__((constructor)) static void ctor_new_plain(void)
{
    record(300);
}

__attribute__((constructor(202))) static void ctor_new_late(void)
{
    record(202);
}
#endif

__attribute__((constructor(102))) static void ctor_second(void)
{
#ifdef HCR_EDIT
    record(1102);
#else
    record(102);
#endif
}

__attribute__((constructor(101))) static void ctor_first(void)
{
#ifdef HCR_EDIT
    record(1101);
#else
    record(101);
#endif
}

#ifdef HCR_EDIT
__attribute__((constructor(201))) static void ctor_new_early(void)
{
    record(201);
}
#endif

int ctors_version(void)
{
#ifdef HCR_EDIT
    return 2;
#else
    return 1;
#endif
}
