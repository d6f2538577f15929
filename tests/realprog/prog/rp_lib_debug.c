/*
 * rp_lib_debug.c: built-ins that look inside the interpreter: statistics,
 * the registry, syntax trees, bytecode, the heap, tracing.
 */
#include "rp_int.h"

#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_LIB))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("debug", fmt, ap);
    va_end(ap);
}

RP_MODULE("debug");

static rp_value buf_to_string(rp_buf *b)
{
    rp_value v = rp_objval(rp_string_new(b->data ? b->data : "", b->len));
    rp_buf_free(b);
    return v;
}

RP_BUILTIN(bi_evals, "evals", 0, 0, "evaluations since the start")
{
    (void)ctx, (void)argc, (void)argv;
    *out = rp_int((int64_t)rp_eval_count);
    return 0;
}

RP_BUILTIN(bi_steps, "steps", 0, 0, "instructions executed by finished runs since the start")
{
    (void)ctx, (void)argc, (void)argv;
    *out = rp_int((int64_t)rp_vm_steps);
    return 0;
}

RP_BUILTIN(bi_calls, "calls", 1, 1, "events counted by a module")
{
    (void)argc;
    rp_string *name;
    if (rp_arg_string(ctx, argv, 0, "calls", &name) < 0)
        return -1;
    long n = rp_registry_module_calls(name->chars);
    *out = n < 0 ? rp_nil() : rp_int(n);
    return 0;
}

RP_BUILTIN(bi_help, "help", 1, 1, "what a built-in does")
{
    (void)argc;
    rp_string *name;
    if (rp_arg_string(ctx, argv, 0, "help", &name) < 0)
        return -1;
    rp_buf b;
    rp_buf_init(&b);
    const struct rp_reg *r = rp_registry_find(name->chars, RP_REG_BUILTIN);
    if (r)
        rp_registry_describe(&b, r);
    else
#ifdef HCR_EDIT
        rp_buf_printf(&b, "'%s' is not a built-in", name->chars);
#else
        rp_buf_printf(&b, "no help for '%s'", name->chars);
#endif
    *out = buf_to_string(&b);
    return 0;
}

RP_BUILTIN(bi_builtins, "builtins", 0, 0, "the names of the built-ins")
{
    (void)ctx, (void)argc, (void)argv;
    rp_buf b;
    rp_buf_init(&b);
    rp_registry_list(&b, RP_REG_BUILTIN);
    *out = buf_to_string(&b);
    return 0;
}

RP_BUILTIN(bi_modules, "modules", 0, 0, "the names of the modules")
{
    (void)ctx, (void)argc, (void)argv;
    rp_buf b;
    rp_buf_init(&b);
    rp_registry_list(&b, RP_REG_MODULE);
    *out = buf_to_string(&b);
    return 0;
}

RP_BUILTIN(bi_hash, "hash", 1, 1, "a 48-bit digest of a value")
{
    (void)ctx, (void)argc;
    *out = rp_int(rp_hash_fingerprint(argv[0]));
    return 0;
}

RP_BUILTIN(bi_id, "id", 1, 1, "the identity of an object")
{
    (void)argc;
    if (argv[0].t != RP_T_OBJ)
        return rp_error(ctx, RP_ERR_TYPE, "%s has no identity", rp_type_name(argv[0]));
    *out = rp_int((int64_t)argv[0].u.o->serial);
    return 0;
}

RP_BUILTIN(bi_ast, "ast", 1, 1, "the syntax tree of a program, as an S-expression")
{
    (void)argc;
    rp_string *src;
    if (rp_arg_string(ctx, argv, 0, "ast", &src) < 0)
        return -1;
    rp_arena arena;
    rp_arena_init(&arena);
    rp_node *tree = rp_parse_program(ctx, &arena, src->chars);
    if (!tree) {
        rp_arena_free(&arena);
        return -1;
    }
    rp_buf b;
    rp_buf_init(&b);
    rp_ast_dump(&b, tree);
    rp_arena_free(&arena);
    trace("ast of %zu bytes of source", src->len);
    *out = buf_to_string(&b);
    return 0;
}

RP_BUILTIN(bi_disasm, "disasm", 1, 1, "the bytecode of a function")
{
    (void)argc;
    if (!rp_is_obj(argv[0], RP_O_FUNC))
        return rp_error(ctx, RP_ERR_TYPE, "disasm() needs a script function, not %s",
                        rp_type_name(argv[0]));
    rp_buf b;
    rp_buf_init(&b);
    rp_code_disasm(&b, (rp_func *)argv[0].u.o);
    *out = buf_to_string(&b);
    return 0;
}

RP_BUILTIN(bi_heapinfo, "heapinfo", 0, 0, "objects, bytes and collections of the heap")
{
    (void)ctx, (void)argc, (void)argv;
    rp_buf b;
    rp_buf_init(&b);
    rp_heap_info(&b);
    *out = buf_to_string(&b);
    return 0;
}

RP_BUILTIN(bi_gc, "gc", 0, 0, "collects garbage once the evaluation is over")
{
    (void)argc, (void)argv;
    ctx->want_collect = 1;
    *out = rp_nil();
    return 0;
}

RP_BUILTIN(bi_trace, "trace", 1, 1, "sets the traced modules (\"vm,heap\", \"all\", \"none\")")
{
    (void)argc;
    rp_string *spec;
    if (rp_arg_string(ctx, argv, 0, "trace", &spec) < 0)
        return -1;
    unsigned old = rp_trace_mask;
    rp_trace_mask = rp_trace_parse_mask(spec->chars);
    *out = rp_int(old);
    return 0;
}

RP_BUILTIN(bi_tracemsg, "tracemsg", 1, 1, "writes a trace line")
{
    (void)ctx, (void)argc;
    rp_string *msg = rp_to_string(argv[0]);
    rp_trace_emit("script", "%s", msg->chars);
    *out = rp_nil();
    return 0;
}

RP_BUILTIN(bi_optimize, "optimize", 1, 1, "switches constant folding; returns the old setting")
{
    (void)ctx, (void)argc;
    int old = rp_fold_enabled;
    rp_fold_enabled = rp_truthy(argv[0]);
    *out = rp_bool(old);
    return 0;
}
