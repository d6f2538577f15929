/* ops.c: idiom 9, static functions reached only through tables of
   function pointers: one exported table, one static table handed out by
   ops_get. users.c calls through both. */
#include "idioms.h"

static int calls;

static int combine_add(int a, int b)
{
    calls++;
#ifdef HCR_EDIT
    return a * b;
#else
    return a + b;
#endif
}

static int combine_sub(int a, int b)
{
    calls++;
#ifdef HCR_EDIT
    return a - 2 * b;
#else
    return a - b;
#endif
}

static int count_calls(void)
{
#ifdef HCR_EDIT
    return calls + 1000;
#else
    return calls;
#endif
}

const struct idiom_ops ops_public = {.combine = combine_add, .calls = count_calls};

static const struct idiom_ops ops_private = {.combine = combine_sub, .calls = count_calls};

const struct idiom_ops *ops_get(void)
{
    return &ops_private;
}
