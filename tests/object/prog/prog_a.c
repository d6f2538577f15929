/* prog_a.c, version 1: state of every kind, for the reload tests. */
#include "prog.h"

#include <stdlib.h>

int counter;
static int hits;
static int total = 5;
__thread int a_tls = 1;
static __thread int a_tls_twice;
int *a_table;
static int a_ready;

__attribute__((constructor)) static void a_init(void)
{
    a_table = malloc(8 * sizeof *a_table);
    for (int i = 0; i < 8; i++)
        a_table[i] = i + 1;
    a_ready++;
}

int a_bump(void)
{
    static int calls;
    calls++;
    hits++;
    counter++;
    total++;
    return calls;
}

void a_set(void)
{
    counter = 100;
    total = 200;
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
    case 0: return "zero";
    case 1: return "one";
    case 2: return "two";
    case 3: return "three";
    case 4: return "four";
    case 5: return "five";
    case 6: return "six";
    case 7: return "seven";
    }
    return "many";
}

int a_fact(int n)
{
    return n <= 1 ? 1 : n * a_fact(n - 1);
}

int a_calls_b(int x)
{
    return b_twice(x) + 1;
}

int a_version(void)
{
    return 1;
}

int a_removed(void)
{
    return 7;
}

int a_tls_get(void)
{
    return a_tls + a_tls_twice;
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
    return sum;
}

int a_probe(void)
{
    return a_ready;
}
