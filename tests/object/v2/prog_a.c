/* prog_a.c, version 2: every function changed visibly, one removed, a new
   global with an initialiser, a new constructor; the same state. */
#include "prog.h"

#include <stdlib.h>

int counter;
static int hits;
static int total = 5;
__thread int a_tls = 1;
static __thread int a_tls_twice;
int *a_table;
static int a_ready;
int a_fresh = 42;
/* volatile: clang -O2 would otherwise run the constructor at compile time
   and drop it, leaving nothing new to list. */
static volatile int a_late_runs;

__attribute__((constructor)) static void a_init(void)
{
    a_table = malloc(8 * sizeof *a_table);
    for (int i = 0; i < 8; i++)
        a_table[i] = i + 1;
    a_ready++;
}

__attribute__((constructor)) static void a_late_init(void)
{
    a_late_runs++;
}

#ifdef PROG_A_CTOR_RELOADS
/* A new constructor that reloads another object: constructors run after
   hcr releases its reload lock. The test program defines both names. */
int hcr_object_reload(const char *object_path);
extern char ctor_reload_path[];
extern int ctor_reload_status;

__attribute__((constructor)) static void a_reloading_init(void)
{
    ctor_reload_status = hcr_object_reload(ctor_reload_path);
}
#endif

int a_bump(void)
{
    static int calls;
    calls += 10;
    hits += 10;
    counter += 10;
    total += 10;
    return calls;
}

void a_set(void)
{
    counter = 300;
    total = 400;
}

int a_total(void)
{
    return total;
}

int a_hits(void)
{
    return hits;
}

const char *a_word(int n)
{
    switch (n) {
    case 0: return "ZERO";
    case 1: return "ONE";
    case 2: return "TWO";
    case 3: return "THREE";
    case 4: return "FOUR";
    case 5: return "FIVE";
    case 6: return "SIX";
    case 7: return "SEVEN";
    }
    return "MANY";
}

int a_fact(int n)
{
    return n <= 1 ? 2 : n * a_fact(n - 1);
}

int a_calls_b(int x)
{
    return b_twice(x) + 2;
}

static int a_fresh_half(void)
{
    return a_fresh / 21;
}

int a_version(void)
{
    return a_fresh_half();
}

int a_tls_get(void)
{
    return a_tls + a_tls_twice + 1000;
}

void a_tls_set(int v)
{
    a_tls = v;
    a_tls_twice = 2 * v;
}

int a_table_sum(void)
{
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += a_table[i];
    return sum * 10;
}

int a_probe(void)
{
    return a_late_runs * 100 + a_ready;
}
