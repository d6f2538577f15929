/* weakref.c: idiom 6, weak references tested before use. users.c defines
   weakref_defined and weakref_defined_var; no file defines
   weakref_undefined or weakref_undefined_var, so their addresses are 0. */
#include "idioms.h"

extern int weakref_defined(void) WEAK;
extern int weakref_defined_var WEAK;
extern int weakref_undefined(void) WEAK;
extern int weakref_undefined_var WEAK;

static int calls;

/* 340 from what users.c defines, 1000 or 2000 more if an undefined weak
   reference were not null, and the version's own step. */
int weakref_probe(void)
{
    int r = 0;
    calls++;
    if (weakref_defined)
        r += weakref_defined();
    if (&weakref_defined_var)
        r += weakref_defined_var;
    if (weakref_undefined)
        r += 1000 + weakref_undefined();
    if (&weakref_undefined_var)
        r += 2000 + weakref_undefined_var;
#ifdef HCR_EDIT
    r += 2;
#else
    r += 1;
#endif
    return r;
}

int weakref_calls(void)
{
    return calls;
}
