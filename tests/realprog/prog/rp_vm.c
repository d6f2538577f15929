/*
 * rp_vm.c: the virtual machine. A stack machine over the instructions of
 * rp_opcodes.h, dispatched with a table of label addresses (computed goto):
 * each instruction ends with a jump through the table to the next one.
 *
 * Frames sit in the evaluation's context: a call pushes one whose base is
 * the callee's slot (slot 0 of the frame; the arguments follow it), and
 * RETURN leaves the result in that slot. Built-ins run as C functions on
 * the arguments in place; those that call back into script functions
 * (sort with a key, map, filter) come back in through rp_vm_call, which
 * runs a nested dispatch loop until the called frame returns.
 */
#include "rp_int.h"

#include <string.h>

static unsigned long calls;

/* Instructions executed by every evaluation since the start. */
uint64_t rp_vm_steps;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_VM))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("vm", fmt, ap);
    va_end(ap);
}

RP_MODULE("vm");

static int type_error_call(rp_ctx *ctx, rp_value callee)
{
    return rp_error(ctx, RP_ERR_TYPE, "%s is not callable", rp_type_name(callee));
}

/* Calls the built-in in *slot with the argc values after it; the result
   replaces the callee. */
static int call_native(rp_ctx *ctx, rp_value *slot, int argc)
{
    const struct rp_reg *reg = ((rp_native *)slot->u.o)->reg;
    if (argc < reg->min_args || (reg->max_args >= 0 && argc > reg->max_args)) {
        if (reg->min_args == reg->max_args)
            return rp_error(ctx, RP_ERR_ARITY, "%s() takes %d argument%s, not %d", reg->name,
                            reg->min_args, reg->min_args == 1 ? "" : "s", argc);
        return rp_error(ctx, RP_ERR_ARITY, "%s() takes %d to %d arguments, not %d", reg->name,
                        reg->min_args, reg->max_args, argc);
    }
    if (ctx->native_depth >= RP_NATIVE_DEPTH_MAX)
        return rp_error(ctx, RP_ERR_OVERFLOW, "built-ins nest too deeply");
    rp_value out = rp_nil();
    ctx->native_depth++;
    int rc = reg->fn(ctx, argc, slot + 1, &out);
    ctx->native_depth--;
    if (rc < 0) {
        if (ctx->err == RP_ERR_NONE)
            rp_error(ctx, RP_ERR_VALUE, "%s() failed", reg->name);
        return -1;
    }
    *slot = out;
    return 0;
}

/* Pushes a frame for the script function in *slot, called with argc
   arguments. */
static int push_frame(rp_ctx *ctx, rp_value *slot, int argc)
{
    rp_func *fn = (rp_func *)slot->u.o;
    if (argc != fn->arity)
        return rp_error(ctx, RP_ERR_ARITY, "%s() takes %d argument%s, not %d", fn->name->chars,
                        fn->arity, fn->arity == 1 ? "" : "s", argc);
    if (ctx->nframes == RP_FRAMES_MAX)
        return rp_error(ctx, RP_ERR_OVERFLOW, "too many nested calls (in %s)", fn->name->chars);
    if (slot + fn->max_slots + 1 >= ctx->stack + RP_STACK_MAX)
        return rp_error(ctx, RP_ERR_OVERFLOW, "value stack exhausted (in %s)", fn->name->chars);
    struct rp_frame *f = &ctx->frames[ctx->nframes++];
    f->fn = fn;
    f->ip = fn->chunk.code;
    f->base = slot;
    return 0;
}

static int index_get(rp_ctx *ctx, rp_value obj, rp_value key, rp_value *out)
{
    if (obj.t != RP_T_OBJ)
        return rp_error(ctx, RP_ERR_TYPE, "%s is not indexable", rp_type_name(obj));
    return obj.u.o->ops->index_get(ctx, obj.u.o, key, out);
}

static int index_set(rp_ctx *ctx, rp_value obj, rp_value key, rp_value val)
{
    if (obj.t != RP_T_OBJ)
        return rp_error(ctx, RP_ERR_TYPE, "%s does not support item assignment",
                        rp_type_name(obj));
    return obj.u.o->ops->index_set(ctx, obj.u.o, key, val);
}

/* The next item of a for loop over *iterable from *pos; 0 when done. */
static int for_next(rp_ctx *ctx, rp_value *iterable, rp_value *pos, rp_value *item)
{
    int64_t i = pos->u.i;
    if (iterable->t == RP_T_INT) {
        if (i >= iterable->u.i)
            return 0;
        *item = rp_int(i);
        pos->u.i = i + 1;
        return 1;
    }
    if (iterable->t != RP_T_OBJ) {
        rp_error(ctx, RP_ERR_TYPE, "cannot iterate over %s", rp_type_name(*iterable));
        return -1;
    }
    switch (iterable->u.o->type) {
    case RP_O_LIST: {
        rp_list *l = (rp_list *)iterable->u.o;
        if ((size_t)i >= l->len)
            return 0;
        *item = l->items[i];
        pos->u.i = i + 1;
        return 1;
    }
    case RP_O_MAP: {
        size_t at = (size_t)i;
        if (!rp_map_next((rp_map *)iterable->u.o, &at, item, NULL))
            return 0;
        pos->u.i = (int64_t)at;
        return 1;
    }
    case RP_O_STRING: {
        rp_string *s = (rp_string *)iterable->u.o;
        if ((size_t)i >= s->len)
            return 0;
        *item = rp_objval(rp_string_new(s->chars + i, 1));
        pos->u.i = i + 1;
        return 1;
    }
    default:
        rp_error(ctx, RP_ERR_TYPE, "cannot iterate over %s", rp_type_name(*iterable));
        return -1;
    }
}

/* Runs until the frame count drops to stop_at; the value returned by the
   last frame goes to *result. 0, or -1 after an error (the frames above
   stop_at are dropped). */
static int run(rp_ctx *ctx, int stop_at, rp_value *result)
{
    /* Not const, as in CPython's opcode_targets: gcc makes it read-only
       at -O2 by itself, and keeps it a writable variable at -O0. */
    static void *dispatch[RP_OP_COUNT] = {
#define RP_OP_LABEL(name, operands) &&do_##name,
        RP_OPCODES(RP_OP_LABEL)
#undef RP_OP_LABEL
    };
    struct rp_frame *frame = &ctx->frames[ctx->nframes - 1];
    uint8_t *ip = frame->ip;
    rp_value *base = frame->base;
    rp_value *consts = frame->fn->chunk.consts;
    rp_value *sp = ctx->sp;
    uint64_t steps = 0;
    rp_value a, b, v;
    int cmp;

    trace("run %s from frame %d", frame->fn->name->chars, ctx->nframes - 1);

#define READ_U8() (*ip++)
#define READ_U16() (ip += 2, (unsigned)ip[-2] | (unsigned)ip[-1] << 8)
#define PUSH(x) (*sp++ = (x))
#define POP() (*--sp)
#define PEEK(n) (sp[-1 - (n)])
#define DISPATCH()                                                                           \
    do {                                                                                     \
        steps++;                                                                             \
        goto *dispatch[*ip++];                                                               \
    } while (0)
#define SYNC() (frame->ip = ip, ctx->sp = sp)
#define LOAD_FRAME()                                                                         \
    do {                                                                                     \
        frame = &ctx->frames[ctx->nframes - 1];                                              \
        ip = frame->ip;                                                                      \
        base = frame->base;                                                                  \
        consts = frame->fn->chunk.consts;                                                    \
    } while (0)
#define CHECK(expr)                                                                          \
    do {                                                                                     \
        if ((expr) < 0)                                                                      \
            goto fail;                                                                       \
    } while (0)

    DISPATCH();

do_CONST:
    PUSH(consts[READ_U16()]);
    DISPATCH();
do_SMALLINT:
    PUSH(rp_int((int8_t)READ_U8()));
    DISPATCH();
do_NIL:
    PUSH(rp_nil());
    DISPATCH();
do_TRUE:
    PUSH(rp_bool(1));
    DISPATCH();
do_FALSE:
    PUSH(rp_bool(0));
    DISPATCH();
do_POP:
    sp--;
    DISPATCH();
do_DUP:
    v = PEEK(0);
    PUSH(v);
    DISPATCH();
do_DUP2:
    a = PEEK(1);
    b = PEEK(0);
    PUSH(a);
    PUSH(b);
    DISPATCH();
do_GET_LOCAL:
    PUSH(base[READ_U8()]);
    DISPATCH();
do_SET_LOCAL:
    base[READ_U8()] = PEEK(0);
    DISPATCH();
do_GET_GLOBAL:
    SYNC();
    CHECK(rp_global_get(ctx, rp_as_string(consts[READ_U16()]), &v));
    PUSH(v);
    DISPATCH();
do_SET_GLOBAL:
    SYNC();
    CHECK(rp_global_set(ctx, rp_as_string(consts[READ_U16()]), PEEK(0)));
    DISPATCH();
do_DEF_GLOBAL:
    v = POP();
    rp_global_define(rp_as_string(consts[READ_U16()]), v);
    DISPATCH();
do_ADD:
    b = POP();
    a = PEEK(0);
    if (a.t == RP_T_INT && b.t == RP_T_INT && !__builtin_add_overflow(a.u.i, b.u.i, &v.u.i)) {
        sp[-1].u.i = v.u.i;
        DISPATCH();
    }
    SYNC();
    CHECK(rp_arith(ctx, RP_BIN_ADD, a, b, &sp[-1]));
    DISPATCH();
do_SUB:
    b = POP();
    a = PEEK(0);
    if (a.t == RP_T_INT && b.t == RP_T_INT && !__builtin_sub_overflow(a.u.i, b.u.i, &v.u.i)) {
        sp[-1].u.i = v.u.i;
        DISPATCH();
    }
    SYNC();
    CHECK(rp_arith(ctx, RP_BIN_SUB, a, b, &sp[-1]));
    DISPATCH();
do_MUL:
    b = POP();
    a = PEEK(0);
    SYNC();
    CHECK(rp_arith(ctx, RP_BIN_MUL, a, b, &sp[-1]));
    DISPATCH();
do_DIV:
    b = POP();
    a = PEEK(0);
    SYNC();
    CHECK(rp_arith(ctx, RP_BIN_DIV, a, b, &sp[-1]));
    DISPATCH();
do_MOD:
    b = POP();
    a = PEEK(0);
    if (a.t == RP_T_INT && b.t == RP_T_INT && b.u.i != 0) {
        int64_t r = b.u.i == -1 ? 0 : a.u.i % b.u.i;
#ifdef HCR_EDIT
        /* Floored: the result takes the sign of the divisor. */
        if (r != 0 && (r < 0) != (b.u.i < 0))
            r += b.u.i;
#endif
        sp[-1].u.i = r;
        DISPATCH();
    }
    SYNC();
    CHECK(rp_arith(ctx, RP_BIN_MOD, a, b, &sp[-1]));
    DISPATCH();
do_NEG:
    SYNC();
    CHECK(rp_negate(ctx, PEEK(0), &sp[-1]));
    DISPATCH();
do_NOT:
    sp[-1] = rp_bool(!rp_truthy(PEEK(0)));
    DISPATCH();
do_EQ:
    b = POP();
    sp[-1] = rp_bool(rp_values_equal(PEEK(0), b));
    DISPATCH();
do_NE:
    b = POP();
    sp[-1] = rp_bool(!rp_values_equal(PEEK(0), b));
    DISPATCH();

#define COMPARE(test)                                                                        \
    b = POP();                                                                               \
    a = PEEK(0);                                                                             \
    if (a.t == RP_T_INT && b.t == RP_T_INT) {                                                \
        cmp = (a.u.i > b.u.i) - (a.u.i < b.u.i);                                             \
    } else {                                                                                 \
        SYNC();                                                                              \
        CHECK(rp_value_compare(ctx, a, b, &cmp));                                            \
    }                                                                                        \
    sp[-1] = rp_bool(test);                                                                  \
    DISPATCH();

do_LT:
    COMPARE(cmp < 0);
do_LE:
    COMPARE(cmp <= 0);
do_GT:
    COMPARE(cmp > 0);
do_GE:
    COMPARE(cmp >= 0);
#undef COMPARE

do_JUMP: {
    unsigned off = READ_U16();
    ip += off;
    DISPATCH();
}
do_JUMP_IF_FALSE: {
    unsigned off = READ_U16();
    if (!rp_truthy(POP()))
        ip += off;
    DISPATCH();
}
do_AND: {
    unsigned off = READ_U16();
    if (!rp_truthy(PEEK(0)))
        ip += off;
    else
        sp--;
    DISPATCH();
}
do_OR: {
    unsigned off = READ_U16();
    if (rp_truthy(PEEK(0)))
        ip += off;
    else
        sp--;
    DISPATCH();
}
do_LOOP: {
    unsigned off = READ_U16();
    ip -= off;
    DISPATCH();
}
do_CALL: {
    int argc = READ_U8();
    rp_value *slot = sp - argc - 1;
    SYNC();
    if (rp_is_obj(*slot, RP_O_FUNC)) {
        CHECK(push_frame(ctx, slot, argc));
        LOAD_FRAME();
        DISPATCH();
    }
    if (!rp_is_obj(*slot, RP_O_NATIVE)) {
        type_error_call(ctx, *slot);
        goto fail;
    }
    CHECK(call_native(ctx, slot, argc));
    sp = slot + 1;
    DISPATCH();
}
do_RETURN:
    v = POP();
    sp = frame->base;
    ctx->nframes--;
    if (ctx->nframes == stop_at) {
        *result = v;
        ctx->sp = sp;
        goto done;
    }
    PUSH(v);
    LOAD_FRAME();
    DISPATCH();
do_LIST: {
    unsigned n = READ_U16();
    rp_list *l = rp_list_new(n);
    if (n)
        memcpy(l->items, sp - n, n * sizeof *sp);
    l->len = n;
    sp -= n;
    PUSH(rp_objval(l));
    DISPATCH();
}
do_MAP: {
    unsigned n = READ_U16();
    rp_map *m = rp_map_new();
    rp_value *pair = sp - 2 * n;
    for (unsigned i = 0; i < n; i++, pair += 2) {
        if (!rp_hashable(pair[0])) {
            SYNC();
            rp_error(ctx, RP_ERR_TYPE, "unhashable key of type %s", rp_type_name(pair[0]));
            goto fail;
        }
        rp_map_set(m, pair[0], pair[1]);
    }
    sp -= 2 * n;
    PUSH(rp_objval(m));
    DISPATCH();
}
do_INDEX_GET:
    b = POP();
    SYNC();
    CHECK(index_get(ctx, PEEK(0), b, &v));
    sp[-1] = v;
    DISPATCH();
do_INDEX_SET:
    v = POP();
    b = POP();
    SYNC();
    CHECK(index_set(ctx, PEEK(0), b, v));
    sp[-1] = v;
    DISPATCH();
do_FIELD_GET: {
    rp_value name = consts[READ_U16()];
    a = PEEK(0);
    if (!rp_is_obj(a, RP_O_MAP)) {
        SYNC();
        rp_error(ctx, RP_ERR_TYPE, "cannot read field '%s' of %s", rp_as_string(name)->chars,
                 rp_type_name(a));
        goto fail;
    }
    if (!rp_map_get(rp_as_map(a), name, &v))
        v = rp_nil();
    sp[-1] = v;
    DISPATCH();
}
do_FIELD_SET: {
    rp_value name = consts[READ_U16()];
    v = POP();
    a = PEEK(0);
    if (!rp_is_obj(a, RP_O_MAP)) {
        SYNC();
        rp_error(ctx, RP_ERR_TYPE, "cannot set field '%s' of %s", rp_as_string(name)->chars,
                 rp_type_name(a));
        goto fail;
    }
    rp_map_set(rp_as_map(a), name, v);
    sp[-1] = v;
    DISPATCH();
}
do_FOR_NEXT: {
    unsigned slot = READ_U8();
    unsigned off = READ_U16();
    SYNC();
    int more = for_next(ctx, &base[slot], &base[slot + 1], &v);
    if (more < 0)
        goto fail;
    if (more)
        PUSH(v);
    else
        ip += off;
    DISPATCH();
}

fail:
    SYNC();
    if (ctx->err_line == 0) {
        const rp_chunk *c = &frame->fn->chunk;
        ctx->err_line = rp_chunk_line(c, (size_t)(ip - c->code) - 1);
    }
    /* Drop the frames this loop ran, down to the one it was entered for:
       the stack goes back to that frame's callee slot. */
    ctx->sp = ctx->frames[stop_at].base;
    ctx->nframes = stop_at;
    rp_vm_steps += steps;
    ctx->steps += steps;
    return -1;

done:
    rp_vm_steps += steps;
    ctx->steps += steps;
    return 0;

#undef READ_U8
#undef READ_U16
#undef PUSH
#undef POP
#undef PEEK
#undef DISPATCH
#undef SYNC
#undef LOAD_FRAME
#undef CHECK
}

int rp_vm_run_script(rp_ctx *ctx, rp_func *script)
{
    ctx->sp = ctx->stack;
    ctx->nframes = 0;
    *ctx->sp++ = rp_objval(script);
    if (push_frame(ctx, ctx->stack, 0) < 0)
        return -1;
    rp_value result;
    return run(ctx, 0, &result);
}

int rp_vm_call(rp_ctx *ctx, rp_value callee, int argc, rp_value *argv, rp_value *out)
{
    rp_value *slot = ctx->sp;
    if (slot + argc + 1 >= ctx->stack + RP_STACK_MAX)
        return rp_error(ctx, RP_ERR_OVERFLOW, "value stack exhausted");
    slot[0] = callee;
    for (int i = 0; i < argc; i++)
        slot[1 + i] = argv[i];
    ctx->sp = slot + 1 + argc;
    int rc;
    if (rp_is_obj(callee, RP_O_NATIVE)) {
        rc = call_native(ctx, slot, argc);
        if (rc == 0)
            *out = slot[0];
    } else if (rp_is_obj(callee, RP_O_FUNC)) {
        if (ctx->native_depth >= RP_NATIVE_DEPTH_MAX)
            rc = rp_error(ctx, RP_ERR_OVERFLOW, "callbacks nest too deeply");
        else if ((rc = push_frame(ctx, slot, argc)) == 0)
            rc = run(ctx, ctx->nframes - 1, out);
    } else {
        rc = type_error_call(ctx, callee);
    }
    ctx->sp = slot;
    return rc;
}
