/*
 * rp_func.c: the two kinds of callable objects: script functions (a name,
 * an arity and a chunk of bytecode) and built-ins (an entry of the
 * registry).
 */
#include "rp_int.h"

#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_DATA))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("func", fmt, ap);
    va_end(ap);
}

RP_MODULE("func");

static void func_format(rp_buf *b, rp_obj *o, int repr, int depth)
{
    rp_func *f = (rp_func *)o;
    (void)repr, (void)depth;
    const char *name = f->name ? f->name->chars : "anonymous";
#ifdef HCR_EDIT
    rp_buf_printf(b, "<function %s>", name);
#else
    rp_buf_printf(b, "<fn %s/%d>", name, f->arity);
#endif
}

static int64_t func_length(rp_obj *o)
{
    return (int64_t)((rp_func *)o)->chunk.len;
}

static int not_indexable(rp_ctx *ctx, rp_obj *o, rp_value key, rp_value *out)
{
    (void)key, (void)out;
    return rp_error(ctx, RP_ERR_TYPE, "%s is not indexable", o->ops->name);
}

static int not_assignable(rp_ctx *ctx, rp_obj *o, rp_value key, rp_value val)
{
    (void)key, (void)val;
    return rp_error(ctx, RP_ERR_TYPE, "%s does not support item assignment", o->ops->name);
}

static void func_mark(rp_obj *o)
{
    rp_func *f = (rp_func *)o;
    if (f->name)
        rp_heap_mark_obj(&f->name->hdr);
    for (size_t i = 0; i < f->chunk.nconsts; i++)
        rp_heap_mark_value(f->chunk.consts[i]);
}

static void func_destroy(rp_obj *o)
{
    rp_chunk_free(&((rp_func *)o)->chunk);
}

static const struct rp_type_ops func_ops = {
    .name = "function",
    .format = func_format,
    .length = func_length,
    .index_get = not_indexable,
    .index_set = not_assignable,
    .mark = func_mark,
    .destroy = func_destroy,
};

rp_func *rp_func_new(rp_string *name, int arity)
{
    rp_func *f = rp_heap_alloc(sizeof *f, RP_O_FUNC, &func_ops);
    f->name = name;
    f->arity = arity;
    f->max_slots = 1 + arity;
    rp_chunk_init(&f->chunk);
    trace("function %s/%d", name ? name->chars : "?", arity);
    return f;
}

static void native_format(rp_buf *b, rp_obj *o, int repr, int depth)
{
    (void)repr, (void)depth;
    rp_buf_printf(b, "<builtin %s>", ((rp_native *)o)->reg->name);
}

static int64_t native_length(rp_obj *o)
{
    (void)o;
    return 0;
}

static void native_mark(rp_obj *o)
{
    (void)o;
}

static void native_destroy(rp_obj *o)
{
    (void)o;
}

static const struct rp_type_ops native_ops = {
    .name = "builtin",
    .format = native_format,
    .length = native_length,
    .index_get = not_indexable,
    .index_set = not_assignable,
    .mark = native_mark,
    .destroy = native_destroy,
};

rp_native *rp_native_new(const struct rp_reg *reg)
{
    rp_native *n = rp_heap_alloc(sizeof *n, RP_O_NATIVE, &native_ops);
    n->reg = reg;
    return n;
}

const char *rp_callable_name(rp_value v)
{
    if (rp_is_obj(v, RP_O_FUNC)) {
        rp_func *f = (rp_func *)v.u.o;
        return f->name ? f->name->chars : "anonymous";
    }
    if (rp_is_obj(v, RP_O_NATIVE))
        return ((rp_native *)v.u.o)->reg->name;
    return rp_type_name(v);
}
