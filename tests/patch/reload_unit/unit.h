/* unit.h: a translation unit of the test programs that the end-to-end
   patch and debug tests reload with hcr_object_reload. */
#ifndef HCR_TEST_RELOAD_UNIT_H
#define HCR_TEST_RELOAD_UNIT_H

int unit_version(void); /* the version compiled in (0 in the program) */
int unit_mix(int x);    /* x * 16 + version */
long unit_calls(void);  /* calls of unit_version so far, all versions */
int unit_through(int (*callback)(int), int x); /* callback(x) * 2 + version */

#endif
