/* plain_subjects.c: see plain_subjects.h. Compiled without pads. */
#define _GNU_SOURCE
#include "plain_subjects.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

int plain_f(int x) { return x * 3 + 1; }
int plain_g(int x) { return x * 3 + 2; }
int plain_h(int x) { return x * 3 + 3; }

int plain_last_value(const struct plain_node *n)
{
    while (n->next)
        n = n->next;
    return n->value;
}

void plain_tiny(void) {}

int plain_calls_late(int (*fn)(void))
{
    return fn() + 1000;
}

__asm__(".text\n"
        ".globl plain_calls_early\n"
        ".type plain_calls_early, @function\n"
        "plain_calls_early:\n"
        "    push %rbx\n"
        "    call *%rdi\n"
        "    pop %rbx\n"
        "    ret\n"
        ".size plain_calls_early, .-plain_calls_early\n");

size_t plain_size(const void *fn)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (!dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
        return 0;
    return sym->st_size;
}
