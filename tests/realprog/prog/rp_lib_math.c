/*
 * rp_lib_math.c: numeric built-ins, and a deterministic pseudo-random
 * generator (a 64-bit linear congruential generator whose state lives for
 * the life of the process).
 */
#include "rp_int.h"

#include <math.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_LIB))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("math", fmt, ap);
    va_end(ap);
}

RP_MODULE("math");

static int number_result(rp_value *out, double f)
{
    trace("result %g", f);
    *out = rp_float(f);
    return 0;
}

RP_BUILTIN(bi_abs, "abs", 1, 1, "absolute value")
{
    (void)argc;
    if (argv[0].t == RP_T_INT) {
        int64_t i = argv[0].u.i;
        *out = i == INT64_MIN ? rp_float(-(double)i) : rp_int(i < 0 ? -i : i);
        return 0;
    }
    double f;
    if (rp_arg_number(ctx, argv, 0, "abs", &f) < 0)
        return -1;
    return number_result(out, fabs(f));
}

static int extreme(rp_ctx *ctx, int argc, rp_value *argv, rp_value *out, int want, const char *name)
{
    const rp_value *items = argv;
    size_t n = (size_t)argc;
    if (argc == 1 && rp_is_obj(argv[0], RP_O_LIST)) {
        items = rp_as_list(argv[0])->items;
        n = rp_as_list(argv[0])->len;
    }
    if (n == 0)
        return rp_error(ctx, RP_ERR_VALUE, "%s() of nothing", name);
    rp_value best = items[0];
    for (size_t i = 1; i < n; i++) {
        int cmp;
        if (rp_value_compare(ctx, items[i], best, &cmp) < 0)
            return -1;
        if (cmp == want)
            best = items[i];
    }
    *out = best;
    return 0;
}

RP_BUILTIN(bi_min, "min", 1, -1, "the smallest argument, or item of one list")
{
    return extreme(ctx, argc, argv, out, -1, "min");
}

RP_BUILTIN(bi_max, "max", 1, -1, "the largest argument, or item of one list")
{
    return extreme(ctx, argc, argv, out, 1, "max");
}

static int rounding(rp_ctx *ctx, rp_value *argv, rp_value *out, double (*fn)(double),
                    const char *name)
{
    if (argv[0].t == RP_T_INT) {
        *out = argv[0];
        return 0;
    }
    double f;
    if (rp_arg_number(ctx, argv, 0, name, &f) < 0)
        return -1;
    f = fn(f);
    int64_t i;
    if (rp_float_is_integral(f, &i))
        *out = rp_int(i);
    else
        *out = rp_float(f);
    return 0;
}

RP_BUILTIN(bi_floor, "floor", 1, 1, "the largest integer not above x")
{
    (void)argc;
    return rounding(ctx, argv, out, floor, "floor");
}

RP_BUILTIN(bi_ceil, "ceil", 1, 1, "the smallest integer not below x")
{
    (void)argc;
    return rounding(ctx, argv, out, ceil, "ceil");
}

RP_BUILTIN(bi_round, "round", 1, 1, "x rounded to the nearest integer, halves away from zero")
{
    (void)argc;
    return rounding(ctx, argv, out, round, "round");
}

RP_BUILTIN(bi_sqrt, "sqrt", 1, 1, "square root")
{
    (void)argc;
    double f;
    if (rp_arg_number(ctx, argv, 0, "sqrt", &f) < 0)
        return -1;
    if (f < 0)
        return rp_error(ctx, RP_ERR_VALUE, "square root of a negative number");
    return number_result(out, sqrt(f));
}

static int int_pow(int64_t base, int64_t exp, int64_t *out)
{
    int64_t result = 1;
    while (exp > 0) {
        if (exp & 1) {
            if (__builtin_mul_overflow(result, base, &result))
                return -1;
        }
        exp >>= 1;
        if (exp && __builtin_mul_overflow(base, base, &base))
            return -1;
    }
    *out = result;
    return 0;
}

RP_BUILTIN(bi_pow, "pow", 2, 2, "x to the power y")
{
    (void)argc;
#ifndef HCR_EDIT
    if (argv[0].t == RP_T_INT && argv[1].t == RP_T_INT && argv[1].u.i >= 0) {
        int64_t r;
        if (int_pow(argv[0].u.i, argv[1].u.i, &r) == 0) {
            *out = rp_int(r);
            return 0;
        }
        trace("pow(%lld, %lld) overflows", (long long)argv[0].u.i, (long long)argv[1].u.i);
    }
#else
    (void)int_pow;
#endif
    double x, y;
    if (rp_arg_number(ctx, argv, 0, "pow", &x) < 0 || rp_arg_number(ctx, argv, 1, "pow", &y) < 0)
        return -1;
    return number_result(out, pow(x, y));
}

static int64_t gcd(int64_t a, int64_t b)
{
    if (a < 0)
        a = -a;
    if (b < 0)
        b = -b;
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

RP_BUILTIN(bi_gcd, "gcd", 2, 2, "greatest common divisor")
{
    (void)argc;
    int64_t a, b;
    if (rp_arg_int(ctx, argv, 0, "gcd", &a) < 0 || rp_arg_int(ctx, argv, 1, "gcd", &b) < 0)
        return -1;
    if (a == INT64_MIN || b == INT64_MIN)
        return rp_error(ctx, RP_ERR_VALUE, "gcd() argument too large");
    *out = rp_int(gcd(a, b));
    return 0;
}

RP_BUILTIN(bi_clamp, "clamp", 3, 3, "x limited to the range lo..hi")
{
    (void)argc;
    int cmp;
    if (rp_value_compare(ctx, argv[1], argv[2], &cmp) < 0)
        return -1;
    if (cmp > 0)
        return rp_error(ctx, RP_ERR_VALUE, "clamp() range is empty");
    if (rp_value_compare(ctx, argv[0], argv[1], &cmp) < 0)
        return -1;
    if (cmp < 0) {
        *out = argv[1];
        return 0;
    }
    if (rp_value_compare(ctx, argv[0], argv[2], &cmp) < 0)
        return -1;
    *out = cmp > 0 ? argv[2] : argv[0];
    return 0;
}

/* The next number of the generator, shared by every evaluation. */
static uint64_t next_random(void)
{
    static uint64_t state = 0x853c49e6748fea9bull;
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
}

RP_BUILTIN(bi_rand, "rand", 0, 1, "a pseudo-random integer, below n if given")
{
    uint64_t r = next_random();
    if (argc == 0) {
        *out = rp_int((int64_t)r);
        return 0;
    }
    int64_t n;
    if (rp_arg_int(ctx, argv, 0, "rand", &n) < 0)
        return -1;
    if (n <= 0)
        return rp_error(ctx, RP_ERR_VALUE, "rand() bound must be positive");
    trace("rand below %lld", (long long)n);
    *out = rp_int((int64_t)(r % (uint64_t)n));
    return 0;
}

RP_BUILTIN(bi_isnan, "isnan", 1, 1, "whether x is not a number")
{
    (void)ctx, (void)argc;
    *out = rp_bool(argv[0].t == RP_T_FLOAT && isnan(argv[0].u.f));
    return 0;
}
