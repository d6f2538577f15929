/* alias.c: idiom 7, aliases: two more names (one weak) for a global
   function, a global name for a static function, and a second name for a
   variable. Callers of any name run the same code and see the same
   storage. */
#include "idioms.h"

static int calls;

int alias_real(int x)
{
    calls++;
#ifdef HCR_EDIT
    return x + 100;
#else
    return x + 1;
#endif
}

int alias_other(int x) __attribute__((alias("alias_real")));
int alias_weak(int x) __attribute__((weak, alias("alias_real")));

static int alias_impl(int x)
{
#ifdef HCR_EDIT
    return x * 20;
#else
    return x * 2;
#endif
}

int alias_of_static(int x) __attribute__((alias("alias_impl")));

int alias_calls(void)
{
    return calls;
}

int alias_var = 5;
extern int alias_var_other __attribute__((alias("alias_var")));

int alias_var_add(int n)
{
#ifdef HCR_EDIT
    alias_var_other += n * 100;
#else
    alias_var_other += n;
#endif
    return alias_var;
}
