/*
 * unit.c: built into the test programs with the reload flags as version 0,
 * and compiled again to objects with -DUNIT_VERSION=1..4 for reloading.
 * Every version counts its calls in the same file static, which must keep
 * counting across reloads.
 */
#include "unit.h"

#ifndef UNIT_VERSION
#define UNIT_VERSION 0
#endif

static long calls;

int unit_version(void)
{
    __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
    return UNIT_VERSION;
}

int unit_mix(int x)
{
    return x * 16 + UNIT_VERSION; /* unit_mix's line */
}

long unit_calls(void)
{
    return __atomic_load_n(&calls, __ATOMIC_RELAXED);
}

int unit_through(int (*callback)(int), int x)
{
    return callback(x) * 2 + UNIT_VERSION;
}
