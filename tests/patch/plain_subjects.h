/* plain_subjects.h: functions built without hot-patch pads (gcc -O2, the
   way a project builds), for the tests of redirecting such code. */
#ifndef HCR_TEST_PLAIN_SUBJECTS_H
#define HCR_TEST_PLAIN_SUBJECTS_H

#include <stddef.h>

int plain_f(int x); /* x * 3 + 1 */
int plain_g(int x); /* x * 3 + 2 */
int plain_h(int x); /* x * 3 + 3 */
int plain_cet_f(int x); /* x * 5 + 1, built with -fcf-protection=full */
int plain_cet_g(int x); /* x * 5 + 2 */

struct plain_node {
    struct plain_node *next;
    int value;
};
/* gcc and clang -O2 start its loop at its first instruction. */
int plain_last_value(const struct plain_node *n);
/* One `ret`: shorter than the jump. */
void plain_tiny(void);
/* push %rbx; call *%rdi; pop %rbx; ret: the call's return address lies
   in the first 5 bytes. Returns what fn returns. */
int plain_calls_early(int (*fn)(void));
/* Its replacement: returns what fn returns plus 1000. */
int plain_calls_late(int (*fn)(void));

/* The size of the function at `fn` from the dynamic symbol table (the
   tests export their symbols), or 0. */
size_t plain_size(const void *fn);

#endif
