/* mig_state.c: statics whose layout changes between versions (see mig.h).
   Every access names the variable directly (constant indices only): the
   program never takes their addresses, so they may move. */
#include "mig.h"

#include <string.h>

#if MIG_V == 1
static struct added { int a; int c; } s_added = {1, 3};
static struct swapped { int x; int y; } s_swapped = {5, 7};
static struct removed { int keep; int gone; } s_removed = {10, 11};
static struct sizes { int n; long long big; } s_fit = {1, 2}, s_unfit = {1, 2};
static struct outer { int a; struct inner { int x; } in; int z; } s_nested = {1, {2}, 3};
static struct item { int id; } s_grow[2] = {{1}, {2}}, s_shrink[3] = {{1}, {2}, {3}};
static union number { int i; float f; } s_union = {.i = 5};
#else
static struct added { int a; int b; int c; } s_added = {1, 20, 3};
static struct swapped { int y; int x; } s_swapped = {70, 50};
static struct removed { int keep; } s_removed = {100};
static struct sizes { long long n; int big; } s_fit = {1, -7}, s_unfit = {1, -7};
static struct outer { int a; struct inner { int w; int x; } in; int z; } s_nested = {1, {40, 2}, 3};
static struct item { int id; int extra; } s_grow[3] = {{1, 9}, {2, 9}, {3, 9}},
                                          s_shrink[2] = {{1, 9}, {2, 9}};
static union number { long long i; float f; } s_union = {.i = 77};
#endif

/* The pointer test: a target that keeps its layout (its address is taken
   here, which is fine: it does not move), and a struct that changes at
   every version. Each pointer field may hold one of two values (clang
   -O2 would make a field stored only once a constant of the code, and
   mig_init a lone `ret` too short to redirect). */
static int s_target = 42, s_spare = 0;
static int version_fn(void)
{
    return MIG_V;
}
static int spare_fn(void)
{
    return -MIG_V;
}
#if MIG_V == 1
static struct withptr { int *p; int (*fn)(void); } s_ptr;
#elif MIG_V == 2
static struct withptr { int gen; int *p; int (*fn)(void); } s_ptr = {2, 0, 0};
#elif MIG_V == 3
static struct withptr { int (*fn)(void); int gen; int *p; } s_ptr = {0, 3, 0};
#else
static struct withptr { int gen; int (*fn)(void); long long pad; int *p; } s_ptr = {4, 0, 5, 0};
#endif

int mig_version(void)
{
    return MIG_V;
}

void mig_init(int use_target)
{
    s_ptr.p = use_target ? &s_target : &s_spare;
    s_ptr.fn = use_target ? version_fn : spare_fn;
}

int mig_bump_local(void)
{
#if MIG_V == 1
    static struct { int count; } local = {0};
    return ++local.count;
#else
    static struct { int step; int count; } local = {100, 0};
    local.count += local.step;
    return local.count;
#endif
}

long long mig_get(const char *f)
{
    if (!strcmp(f, "added.a")) return s_added.a;
#if MIG_V > 1
    if (!strcmp(f, "added.b")) return s_added.b;
    if (!strcmp(f, "nested.in.w")) return s_nested.in.w;
    if (!strcmp(f, "grow[1].extra")) return s_grow[1].extra;
    if (!strcmp(f, "grow[2].id")) return s_grow[2].id;
    if (!strcmp(f, "grow[2].extra")) return s_grow[2].extra;
#else
    if (!strcmp(f, "removed.gone")) return s_removed.gone;
    if (!strcmp(f, "shrink[2].id")) return s_shrink[2].id;
#endif
    if (!strcmp(f, "added.c")) return s_added.c;
    if (!strcmp(f, "swapped.x")) return s_swapped.x;
    if (!strcmp(f, "swapped.y")) return s_swapped.y;
    if (!strcmp(f, "removed.keep")) return s_removed.keep;
    if (!strcmp(f, "fit.n")) return s_fit.n;
    if (!strcmp(f, "fit.big")) return s_fit.big;
    if (!strcmp(f, "unfit.big")) return s_unfit.big;
    if (!strcmp(f, "nested.a")) return s_nested.a;
    if (!strcmp(f, "nested.in.x")) return s_nested.in.x;
    if (!strcmp(f, "nested.z")) return s_nested.z;
    if (!strcmp(f, "grow[0].id")) return s_grow[0].id;
    if (!strcmp(f, "grow[1].id")) return s_grow[1].id;
    if (!strcmp(f, "shrink[0].id")) return s_shrink[0].id;
    if (!strcmp(f, "shrink[1].id")) return s_shrink[1].id;
    if (!strcmp(f, "union.i")) return s_union.i;
    if (!strcmp(f, "ptr.target")) return *s_ptr.p;
    if (!strcmp(f, "ptr.fn")) return s_ptr.fn();
    if (!strcmp(f, "target")) return s_target;
#if MIG_V > 1
    if (!strcmp(f, "ptr.gen")) return s_ptr.gen;
#endif
    return -1;
}

void mig_set(const char *f, long long v)
{
    if (!strcmp(f, "added.a")) s_added.a = (int)v;
    if (!strcmp(f, "added.c")) s_added.c = (int)v;
    if (!strcmp(f, "swapped.x")) s_swapped.x = (int)v;
    if (!strcmp(f, "swapped.y")) s_swapped.y = (int)v;
    if (!strcmp(f, "removed.keep")) s_removed.keep = (int)v;
    if (!strcmp(f, "fit.n")) s_fit.n = (int)v;
    if (!strcmp(f, "fit.big")) s_fit.big = v;
    if (!strcmp(f, "unfit.big")) s_unfit.big = v;
    if (!strcmp(f, "nested.in.x")) s_nested.in.x = (int)v;
    if (!strcmp(f, "nested.z")) s_nested.z = (int)v;
    if (!strcmp(f, "grow[0].id")) s_grow[0].id = (int)v;
    if (!strcmp(f, "grow[1].id")) s_grow[1].id = (int)v;
    if (!strcmp(f, "shrink[0].id")) s_shrink[0].id = (int)v;
    if (!strcmp(f, "shrink[1].id")) s_shrink[1].id = (int)v;
    if (!strcmp(f, "union.i")) s_union.i = (int)v;
    if (!strcmp(f, "target")) s_target = (int)v;
#if MIG_V > 1
    /* Written at run time, so stored by clang too (never written, a field
       is a constant of each version's code: README, object mode). */
    if (!strcmp(f, "ptr.gen")) s_ptr.gen = (int)v;
#endif
}

int mig_crash(void)
{
#if MIG_V == 2
    s_added.a = 999; /* the new storage only */
    volatile int *nowhere = 0;
    return *nowhere;
#else
    return s_added.a;
#endif
}
