/* objlib.h: a shared library of the test program, whose translation unit
   object mode reloads like the executable's own. */
#ifndef HCR_TEST_OBJLIB_H
#define HCR_TEST_OBJLIB_H

extern __thread int lib_tls;
extern int lib_total;

int lib_bump(void);
int lib_version(void);
int lib_tls_get(void);
int lib_calls_exe(void);

/* Defined by the executable; the library calls back into it. */
int a_version(void);

#endif
