/* prog_b.c, version 2. */
#include "prog.h"

#include <stdlib.h>
#include <string.h>

static int hits;

int b_twice(int x)
{
    hits++;
    return 3 * x;
}

int b_hits(void)
{
    return hits;
}

int b_calls_a(void)
{
    return a_version() * 100;
}

int b_counter(void)
{
    return counter;
}

int b_version(void)
{
#ifdef PROG_B_READS_A_FRESH
    /* Built so for one transaction with version 2 of prog_a.c, the only
       one that defines a_fresh. */
    extern int a_fresh;
    return a_fresh;
#else
    return 2;
#endif
}

int b_seq(void)
{
    static int count;
    return 10 * ++count;
}

int b_other(void)
{
    static int count = 100;
    return 10 * ++count;
}

/* New, with a static named like those above: gcc numbers `count.N` over the
   whole file, so the others' numbers shift. */
int b_late(void)
{
    static int count = 500;
    return ++count;
}

/* Calls into libc, far from the executable: through PLT stubs, one of them
   to an IFUNC (strlen), and a callback from libc into this file. */
int b_strlen(const char *s)
{
    return (int)strlen(s) * 2;
}

static int b_compare(const void *x, const void *y)
{
    return (*(const int *)x < *(const int *)y) - (*(const int *)x > *(const int *)y);
}

int b_sort_first(int *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, b_compare);
    return v[0];
}

/* Calls back into the caller, which may reload this file meanwhile. */
int b_call(int (*callback)(void))
{
    int v = callback();
    return v + 2;
}
