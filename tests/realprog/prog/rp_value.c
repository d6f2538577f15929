/*
 * rp_value.c: the semantics of values: truth, equality, ordering,
 * arithmetic, hashing. Integers and floats mix (1 == 1.0, 1 + 0.5 == 1.5);
 * integer arithmetic that overflows gives a float; strings compare by
 * bytes, concatenate with +, and lists concatenate with +.
 */
#include "rp_int.h"

#include <math.h>
#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_VM))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("value", fmt, ap);
    va_end(ap);
}

RP_MODULE("value");

int rp_truthy(rp_value v)
{
    if (v.t == RP_T_NIL)
        return 0;
    if (v.t == RP_T_BOOL)
        return v.u.b;
    return 1;
}

int rp_values_equal(rp_value a, rp_value b)
{
    if (rp_is_number(a) && rp_is_number(b)) {
        if (a.t == RP_T_INT && b.t == RP_T_INT)
            return a.u.i == b.u.i;
        return rp_as_double(a) == rp_as_double(b);
    }
    if (a.t != b.t)
        return 0;
    switch (a.t) {
    case RP_T_NIL:
        return 1;
    case RP_T_BOOL:
        return a.u.b == b.u.b;
    case RP_T_OBJ:
        break;
    default:
        return 0;
    }
    if (a.u.o == b.u.o)
        return 1;
    /* Strings are interned: two different string objects differ. Lists
       compare item by item. */
    if (rp_is_obj(a, RP_O_LIST) && rp_is_obj(b, RP_O_LIST)) {
        rp_list *x = rp_as_list(a), *y = rp_as_list(b);
        if (x->len != y->len)
            return 0;
        for (size_t i = 0; i < x->len; i++)
            if (!rp_values_equal(x->items[i], y->items[i]))
                return 0;
        return 1;
    }
    return 0;
}

int rp_string_compare(const rp_string *a, const rp_string *b)
{
#ifdef HCR_EDIT
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
#endif
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->chars, b->chars, n);
    if (c)
        return c < 0 ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

int rp_value_compare(rp_ctx *ctx, rp_value a, rp_value b, int *cmp)
{
    if (a.t == RP_T_INT && b.t == RP_T_INT) {
        *cmp = (a.u.i > b.u.i) - (a.u.i < b.u.i);
        return 0;
    }
    if (rp_is_number(a) && rp_is_number(b)) {
        double x = rp_as_double(a), y = rp_as_double(b);
        if (isnan(x) || isnan(y))
            return rp_error(ctx, RP_ERR_VALUE, "cannot order nan");
        *cmp = (x > y) - (x < y);
        return 0;
    }
    if (rp_is_obj(a, RP_O_STRING) && rp_is_obj(b, RP_O_STRING)) {
        *cmp = rp_string_compare(rp_as_string(a), rp_as_string(b));
        return 0;
    }
    if (rp_is_obj(a, RP_O_LIST) && rp_is_obj(b, RP_O_LIST)) {
        rp_list *x = rp_as_list(a), *y = rp_as_list(b);
        for (size_t i = 0; i < x->len && i < y->len; i++) {
            if (rp_value_compare(ctx, x->items[i], y->items[i], cmp) < 0)
                return -1;
            if (*cmp)
                return 0;
        }
        *cmp = (x->len > y->len) - (x->len < y->len);
        return 0;
    }
    trace("unordered %s and %s", rp_type_name(a), rp_type_name(b));
    return rp_error(ctx, RP_ERR_TYPE, "cannot order %s and %s", rp_type_name(a),
                    rp_type_name(b));
}

static int int_arith(rp_ctx *ctx, enum rp_binop op, int64_t x, int64_t y, rp_value *out)
{
    int64_t r;
    switch (op) {
    case RP_BIN_ADD:
        if (__builtin_add_overflow(x, y, &r))
            break;
        *out = rp_int(r);
        return 0;
    case RP_BIN_SUB:
        if (__builtin_sub_overflow(x, y, &r))
            break;
        *out = rp_int(r);
        return 0;
    case RP_BIN_MUL:
        if (__builtin_mul_overflow(x, y, &r))
            break;
        *out = rp_int(r);
        return 0;
    case RP_BIN_DIV:
        if (y == 0)
            return rp_error(ctx, RP_ERR_ZERODIV, "division by zero");
        if (y == -1 && x == INT64_MIN)
            break;
        if (x % y == 0)
            *out = rp_int(x / y);
        else
            *out = rp_float((double)x / (double)y);
        return 0;
    case RP_BIN_MOD:
        if (y == 0)
            return rp_error(ctx, RP_ERR_ZERODIV, "modulo by zero");
        *out = rp_int(y == -1 ? 0 : x % y);
        return 0;
    }
    trace("integer overflow, result is a float");
    return -2; /* overflow: the caller computes in floating point */
}

static int float_arith(rp_ctx *ctx, enum rp_binop op, double x, double y, rp_value *out)
{
    switch (op) {
    case RP_BIN_ADD:
        *out = rp_float(x + y);
        return 0;
    case RP_BIN_SUB:
        *out = rp_float(x - y);
        return 0;
    case RP_BIN_MUL:
        *out = rp_float(x * y);
        return 0;
    case RP_BIN_DIV:
        if (y == 0)
            return rp_error(ctx, RP_ERR_ZERODIV, "division by zero");
        *out = rp_float(x / y);
        return 0;
    case RP_BIN_MOD:
        if (y == 0)
            return rp_error(ctx, RP_ERR_ZERODIV, "modulo by zero");
        *out = rp_float(fmod(x, y));
        return 0;
    }
    return -1;
}

static const char *const op_symbols[] = {"+", "-", "*", "/", "%"};

int rp_arith(rp_ctx *ctx, enum rp_binop op, rp_value a, rp_value b, rp_value *out)
{
    if (a.t == RP_T_INT && b.t == RP_T_INT) {
        int rc = int_arith(ctx, op, a.u.i, b.u.i, out);
        if (rc != -2)
            return rc;
    }
    if (rp_is_number(a) && rp_is_number(b))
        return float_arith(ctx, op, rp_as_double(a), rp_as_double(b), out);
    if (op == RP_BIN_ADD && rp_is_obj(a, RP_O_STRING) && rp_is_obj(b, RP_O_STRING)) {
        trace("concatenation of %zu and %zu bytes", rp_as_string(a)->len, rp_as_string(b)->len);
        *out = rp_objval(rp_string_concat(rp_as_string(a), rp_as_string(b)));
        return 0;
    }
    if (op == RP_BIN_ADD && rp_is_obj(a, RP_O_LIST) && rp_is_obj(b, RP_O_LIST)) {
        *out = rp_objval(rp_list_concat(rp_as_list(a), rp_as_list(b)));
        return 0;
    }
    if (op == RP_BIN_MUL && rp_is_obj(a, RP_O_STRING) && b.t == RP_T_INT) {
        rp_string *s = rp_as_string(a);
        if (b.u.i < 0 || (b.u.i > 0 && s->len > (size_t)(1 << 24) / (size_t)b.u.i))
            return rp_error(ctx, RP_ERR_VALUE, "bad repeat count %lld", (long long)b.u.i);
        rp_buf buf;
        rp_buf_init(&buf);
        for (int64_t i = 0; i < b.u.i; i++)
            rp_buf_put(&buf, s->chars, s->len);
        *out = rp_objval(rp_string_new(buf.data ? buf.data : "", buf.len));
        rp_buf_free(&buf);
        return 0;
    }
    return rp_error(ctx, RP_ERR_TYPE, "unsupported operand types for %s: %s and %s",
                    op_symbols[op], rp_type_name(a), rp_type_name(b));
}

int rp_negate(rp_ctx *ctx, rp_value a, rp_value *out)
{
    if (a.t == RP_T_INT) {
        if (a.u.i == INT64_MIN)
            *out = rp_float(-(double)a.u.i);
        else
            *out = rp_int(-a.u.i);
        return 0;
    }
    if (a.t == RP_T_FLOAT) {
        *out = rp_float(-a.u.f);
        return 0;
    }
    return rp_error(ctx, RP_ERR_TYPE, "cannot negate %s", rp_type_name(a));
}

const char *rp_type_name(rp_value v)
{
    switch (v.t) {
    case RP_T_NIL:
        return "nil";
    case RP_T_BOOL:
        return "bool";
    case RP_T_INT:
        return "int";
    case RP_T_FLOAT:
        return "float";
    case RP_T_OBJ:
        return v.u.o->ops->name;
    }
    return "?";
}

int rp_hashable(rp_value v)
{
    if (v.t != RP_T_OBJ)
        return !(v.t == RP_T_FLOAT && isnan(v.u.f));
    return v.u.o->type == RP_O_STRING || v.u.o->type == RP_O_FUNC ||
           v.u.o->type == RP_O_NATIVE;
}

uint32_t rp_value_hash(rp_value v)
{
    int64_t as_int;
    switch (v.t) {
    case RP_T_NIL:
        return 0x9e3779b9u;
    case RP_T_BOOL:
        return v.u.b ? 0x85ebca6bu : 0xc2b2ae35u;
    case RP_T_INT:
        return rp_hash_int(v.u.i);
    case RP_T_FLOAT:
        if (rp_float_is_integral(v.u.f, &as_int))
            return rp_hash_int(as_int);
        return rp_hash_bytes(&v.u.f, sizeof v.u.f);
    case RP_T_OBJ:
        if (v.u.o->type == RP_O_STRING)
            return rp_as_string(v)->hash;
        return rp_hash_int((int64_t)v.u.o->serial);
    }
    return 0;
}

int rp_to_int(rp_ctx *ctx, rp_value v, const char *what, int64_t *out)
{
    if (v.t == RP_T_INT) {
        *out = v.u.i;
        return 0;
    }
    if (v.t == RP_T_FLOAT && rp_float_is_integral(v.u.f, out))
        return 0;
    return rp_error(ctx, RP_ERR_TYPE, "%s must be an integer, not %s", what, rp_type_name(v));
}
