/* renamed.c: a variable whose symbol the program renamed with an asm label.
   The edit drops the label: the program's debug information names
   renamed_total at an address where no symbol of that name is, so hcr
   cannot bind the object's renamed_total and must refuse the reload. */
#include "idioms.h"

#ifndef HCR_EDIT
static int renamed_total __asm__("renamed_total_sym") = 3;
int renamed_bump(void) { return ++renamed_total; }
#else
static int renamed_total = 3;
int renamed_bump(void) { return renamed_total += 100; }
#endif
