/* users.c: the rest of the program, never reloaded: calls and reads what
   the idiom units define, as code in other files of a real program does. */
#include "idioms.h"

/* 1 to 4: visibility */
int users_hidden_counter(void)
{
    return hidden_counter;
}

int users_hidden_scale(int x)
{
    return hidden_scale(x);
}

int users_internal_counter(void)
{
    return internal_counter;
}

int users_internal_scale(int x)
{
    return internal_scale(x);
}

int users_protected_counter(void)
{
    return protected_counter;
}

int users_protected_scale(int x)
{
    return protected_scale(x);
}

int users_fvis_counter(void)
{
    return fvis_counter;
}

int users_fvis_scale(int x)
{
    return fvis_scale(x);
}

/* 5: weak definitions */
int users_weak_only(void)
{
    return weak_only();
}

int users_weak_only_count(void)
{
    return weak_only_count;
}

int users_weak_overridden(void)
{
    return weak_overridden();
}

/* 6: what weakref.c's weak references find */
int weakref_defined_var = 300;

int weakref_defined(void)
{
    return 40;
}

/* 7: aliases */
int users_alias_other(int x)
{
    return alias_other(x);
}

int users_alias_weak(int x)
{
    return alias_weak(x);
}

int users_alias_of_static(int x)
{
    return alias_of_static(x);
}

int users_alias_var_other(void)
{
    return alias_var_other;
}

/* 9: calls through the tables of function pointers */
int users_ops_public(int a, int b)
{
    return ops_public.combine(a, b);
}

int users_ops_private(int a, int b)
{
    return ops_get()->combine(a, b);
}

/* 11: one more registry entry, and a walk of the registry */
__attribute__((section("idiom_registry"), used)) static struct idiom_reg reg_users = {"users", 4};

extern struct idiom_reg __start_idiom_registry[], __stop_idiom_registry[];

long users_registry_sum(void)
{
    long sum = 0;
    for (struct idiom_reg *r = __start_idiom_registry; r < __stop_idiom_registry; r++)
        sum += r->value;
    return sum;
}

/* 15: a caller built against version V1 of ver_foo (as if linked with an
   older verlib), and one against the default, V2. */
int ver_foo_at_v1(void);
int ver_foo(void);
__asm__(".symver ver_foo_at_v1, ver_foo@V1");

int users_ver_foo_v1(void)
{
    return ver_foo_at_v1();
}

int users_ver_foo_v2(void)
{
    return ver_foo();
}
