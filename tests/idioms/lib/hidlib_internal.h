/* hidlib_internal.h: what hidlib's files share: with no attribute,
   hidden by -fvisibility=hidden; hidlib_prot_value is protected. */
#ifndef HCR_TEST_IDIOMS_HIDLIB_INTERNAL_H
#define HCR_TEST_IDIOMS_HIDLIB_INTERNAL_H

#define HIDLIB_BUILDING
#include "hidlib.h"

extern int hidlib_total;
int hidlib_scale(int x);
extern HIDLIB_PROTECTED int hidlib_prot_value;

#endif
