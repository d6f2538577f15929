/* verlib.h: verlib, a shared library with a versioned symbol: ver_foo@V1
   (old callers) and ver_foo@@V2 (the default). Callers of each version are
   in users.c. */
#ifndef HCR_TEST_IDIOMS_VERLIB_H
#define HCR_TEST_IDIOMS_VERLIB_H

int ver_calls(void);

#endif
