/*
 * jit_gdb_prog.c: run under gdb by test_debug_gdb.c. Places
 * jit_fixture.o in memory, registers it with hcr__debug_register, then
 * calls the placed functions, the second of which calls back into this
 * program.
 */
#include "jit_loader.h"

#include <stdio.h>

int jit_callback(int x);

__attribute__((noinline)) int jit_callback(int x)
{
    __asm__ volatile("" ::: "memory");
    return x * 10;
}

int main(void)
{
    struct jit_loaded j;
    if (jit_load(&j, HCR_JIT_FIXTURE_O) != 0 || !jit_register(&j))
        return 1;
    printf("leaf returned %d\n", j.leaf(5));
    fflush(stdout);
    printf("through returned %d\n", j.through(jit_callback, 1));
    return 0;
}
