/*
 * rp_lib_core.c: the core built-ins (output, conversions, assertions) and
 * the argument checks every library uses.
 */
#include "rp_int.h"

#include <math.h>
#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_LIB))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("core", fmt, ap);
    va_end(ap);
}

RP_MODULE("core");

static int bad_arg(rp_ctx *ctx, const rp_value *argv, int i, const char *fname, const char *want)
{
    return rp_error(ctx, RP_ERR_TYPE, "argument %d of %s() must be %s, not %s", i + 1, fname,
                    want, rp_type_name(argv[i]));
}

int rp_arg_string(rp_ctx *ctx, const rp_value *argv, int i, const char *fname, rp_string **out)
{
    if (!rp_is_obj(argv[i], RP_O_STRING))
        return bad_arg(ctx, argv, i, fname, "a string");
    *out = rp_as_string(argv[i]);
    return 0;
}

int rp_arg_int(rp_ctx *ctx, const rp_value *argv, int i, const char *fname, int64_t *out)
{
    if (argv[i].t == RP_T_INT) {
        *out = argv[i].u.i;
        return 0;
    }
    if (argv[i].t == RP_T_FLOAT && rp_float_is_integral(argv[i].u.f, out))
        return 0;
    return bad_arg(ctx, argv, i, fname, "an integer");
}

int rp_arg_number(rp_ctx *ctx, const rp_value *argv, int i, const char *fname, double *out)
{
    if (!rp_is_number(argv[i]))
        return bad_arg(ctx, argv, i, fname, "a number");
    *out = rp_as_double(argv[i]);
    return 0;
}

int rp_arg_list(rp_ctx *ctx, const rp_value *argv, int i, const char *fname, rp_list **out)
{
    if (!rp_is_obj(argv[i], RP_O_LIST))
        return bad_arg(ctx, argv, i, fname, "a list");
    *out = rp_as_list(argv[i]);
    return 0;
}

int rp_arg_map(rp_ctx *ctx, const rp_value *argv, int i, const char *fname, rp_map **out)
{
    if (!rp_is_obj(argv[i], RP_O_MAP))
        return bad_arg(ctx, argv, i, fname, "a map");
    *out = rp_as_map(argv[i]);
    return 0;
}

static void write_values(rp_ctx *ctx, int argc, const rp_value *argv)
{
    for (int i = 0; i < argc; i++) {
        if (i)
            rp_buf_putc(&ctx->out, ' ');
        rp_format_value(&ctx->out, argv[i], 0, 0);
    }
}

RP_BUILTIN(bi_print, "print", 0, -1, "writes its arguments, separated by spaces, and a newline")
{
    trace("print of %d values", argc);
    write_values(ctx, argc, argv);
    rp_buf_putc(&ctx->out, '\n');
    *out = rp_nil();
    return 0;
}

RP_BUILTIN(bi_write, "write", 0, -1, "writes its arguments, separated by spaces")
{
    write_values(ctx, argc, argv);
    *out = rp_nil();
    return 0;
}

RP_BUILTIN(bi_len, "len", 1, 1, "length of a string, list or map")
{
    (void)argc;
    if (argv[0].t != RP_T_OBJ || argv[0].u.o->type == RP_O_FUNC ||
        argv[0].u.o->type == RP_O_NATIVE)
        return rp_error(ctx, RP_ERR_TYPE, "%s has no length", rp_type_name(argv[0]));
    *out = rp_int(argv[0].u.o->ops->length(argv[0].u.o));
    return 0;
}

RP_BUILTIN(bi_type, "type", 1, 1, "name of the type of a value")
{
    (void)ctx, (void)argc;
    *out = rp_objval(rp_string_cstr(rp_type_name(argv[0])));
    return 0;
}

RP_BUILTIN(bi_str, "str", 1, 1, "a value as printed")
{
    (void)ctx, (void)argc;
    *out = rp_objval(rp_to_string(argv[0]));
    return 0;
}

RP_BUILTIN(bi_repr, "repr", 1, 1, "a value as source text")
{
    (void)ctx, (void)argc;
    rp_buf b;
    rp_buf_init(&b);
    rp_repr(&b, argv[0]);
    *out = rp_objval(rp_string_new(b.data, b.len));
    rp_buf_free(&b);
    return 0;
}

static int float_to_int(rp_ctx *ctx, double f, rp_value *out)
{
    if (!isfinite(f))
        return rp_error(ctx, RP_ERR_VALUE, "cannot convert %s to an integer",
                        isnan(f) ? "nan" : "infinity");
#ifdef HCR_EDIT
    f = round(f);
#else
    f = trunc(f);
#endif
    if (f < -9.2e18 || f > 9.2e18)
        return rp_error(ctx, RP_ERR_VALUE, "%g is too large for an integer", f);
    *out = rp_int((int64_t)f);
    return 0;
}

RP_BUILTIN(bi_int, "int", 1, 1, "a number or numeric string as an integer")
{
    (void)argc;
    rp_value v = argv[0];
    switch (v.t) {
    case RP_T_INT:
        *out = v;
        return 0;
    case RP_T_FLOAT:
        return float_to_int(ctx, v.u.f, out);
    case RP_T_BOOL:
        *out = rp_int(v.u.b);
        return 0;
    default:
        break;
    }
    if (rp_is_obj(v, RP_O_STRING)) {
        rp_string *s = rp_as_string(v);
        rp_value parsed;
        if (rp_number_parse(s->chars, s->len, &parsed) < 0)
            return rp_error(ctx, RP_ERR_VALUE, "not a number: \"%s\"", s->chars);
        if (parsed.t == RP_T_FLOAT)
            return float_to_int(ctx, parsed.u.f, out);
        *out = parsed;
        return 0;
    }
    return rp_error(ctx, RP_ERR_TYPE, "cannot convert %s to an integer", rp_type_name(v));
}

RP_BUILTIN(bi_float, "float", 1, 1, "a number or numeric string as a float")
{
    (void)argc;
    rp_value v = argv[0];
    if (rp_is_number(v)) {
        *out = rp_float(rp_as_double(v));
        return 0;
    }
    if (rp_is_obj(v, RP_O_STRING)) {
        rp_string *s = rp_as_string(v);
        rp_value parsed;
        if (rp_number_parse(s->chars, s->len, &parsed) < 0)
            return rp_error(ctx, RP_ERR_VALUE, "not a number: \"%s\"", s->chars);
        *out = rp_float(rp_as_double(parsed));
        return 0;
    }
    return rp_error(ctx, RP_ERR_TYPE, "cannot convert %s to a float", rp_type_name(v));
}

RP_BUILTIN(bi_assert, "assert", 1, 2, "fails with the message unless the condition holds")
{
    if (rp_truthy(argv[0])) {
        *out = rp_nil();
        return 0;
    }
    if (argc > 1) {
        rp_string *msg = rp_to_string(argv[1]);
        trace("assertion failed: %s", msg->chars);
        return rp_error(ctx, RP_ERR_ASSERT, "%s", msg->chars);
    }
    return rp_error(ctx, RP_ERR_ASSERT, "assertion failed");
}

RP_BUILTIN(bi_fail, "fail", 1, 1, "stops the program with a ValueError")
{
    (void)argc, (void)out;
    rp_string *msg = rp_to_string(argv[0]);
    return rp_error(ctx, RP_ERR_VALUE, "%s", msg->chars);
}

RP_BUILTIN(bi_version, "version", 0, 0, "the version of the interpreter")
{
    (void)ctx, (void)argc, (void)argv;
    *out = rp_objval(rp_string_cstr("rp 1.4"));
    return 0;
}

RP_BUILTIN(bi_eval_id, "eval_id", 0, 0, "the number of the running evaluation")
{
    (void)argc, (void)argv;
    trace("evaluation %lu", ctx->id);
    *out = rp_int((int64_t)ctx->id);
    return 0;
}

RP_BUILTIN(bi_default, "default", 2, 2, "the first argument, or the second if it is nil")
{
    (void)ctx, (void)argc;
    *out = argv[0].t == RP_T_NIL ? argv[1] : argv[0];
    return 0;
}
