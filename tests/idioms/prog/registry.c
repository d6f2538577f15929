/* registry.c: idiom 11, a registry: variables placed in one custom section
   (which -fdata-sections does not split), walked from the linker's
   __start_ and __stop_ symbols. users.c registers one more entry. */
#include "idioms.h"

#define REGISTER __attribute__((section("idiom_registry"), used))

REGISTER struct idiom_reg reg_alpha = {"alpha", 1};
REGISTER static struct idiom_reg reg_beta = {"beta", 2};
REGISTER static struct idiom_reg reg_gamma = {"gamma", 3};

extern struct idiom_reg __start_idiom_registry[], __stop_idiom_registry[];

/* Adds to every entry of the program; returns how many there are. */
int registry_bump(void)
{
    int n = 0;
    for (struct idiom_reg *r = __start_idiom_registry; r < __stop_idiom_registry; r++, n++)
#ifdef HCR_EDIT
        r->value += 100;
#else
        r->value += 1;
#endif
    return n;
}

long registry_sum(void)
{
    long sum = 0;
    for (struct idiom_reg *r = __start_idiom_registry; r < __stop_idiom_registry; r++)
        sum += r->value;
    return sum;
}

/* Names reg_beta and reg_gamma directly, as "section + offset". */
long registry_beta(void)
{
#ifdef HCR_EDIT
    return reg_beta.value * 1000 + reg_gamma.value;
#else
    return reg_beta.value;
#endif
}
