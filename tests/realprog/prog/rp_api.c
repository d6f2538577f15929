/*
 * rp_api.c: the library's interface (rp.h) and the global variables of
 * scripts. One interpreter serves the whole process: a lock around each
 * evaluation keeps the heap, the globals and the statistics consistent
 * when several threads evaluate at once. The lock is fair (threads get it
 * in the order they asked for it), so that a thread evaluating in a loop
 * cannot starve the others. Evaluation contexts (a value stack and frames
 * each) are kept for reuse.
 */
#include "rp_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long calls;

/* The global variables of scripts, built-ins included. */
rp_map *rp_globals;

/* Evaluations since the start (read by the built-in evals()). */
unsigned long rp_eval_count;

/* A ticket lock: enter() takes the next ticket and waits for its turn. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn = PTHREAD_COND_INITIALIZER;
static unsigned long next_ticket, now_serving;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define POOL_SIZE 4
static rp_ctx *pool[POOL_SIZE];
static int pooled;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_API))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("api", fmt, ap);
    va_end(ap);
}

RP_MODULE("api");

static void enter(void)
{
    pthread_mutex_lock(&lock);
    unsigned long ticket = next_ticket++;
    while (ticket != now_serving)
        pthread_cond_wait(&turn, &lock);
    pthread_mutex_unlock(&lock);
}

static void leave(void)
{
    pthread_mutex_lock(&lock);
    now_serving++;
    pthread_cond_broadcast(&turn);
    pthread_mutex_unlock(&lock);
}

static unsigned long next_eval_id(void)
{
    static unsigned long last;
    return ++last;
}

static void init_once(void)
{
    enter();
    rp_globals = rp_map_new();
    rp_registry_install(rp_globals);
    trace("%d registry entries", rp_registry_count());
    leave();
}

int rp_init(void)
{
    pthread_once(&once, init_once);
    return 0;
}

static rp_ctx *ctx_get(void)
{
    rp_ctx *ctx = pooled ? pool[--pooled] : NULL;
    if (!ctx) {
        ctx = calloc(1, sizeof *ctx);
        if (ctx)
            ctx->stack = calloc(RP_STACK_MAX, sizeof *ctx->stack);
        if (!ctx || !ctx->stack) {
            fprintf(stderr, "rp: out of memory (evaluation context)\n");
            abort();
        }
        rp_buf_init(&ctx->out);
    }
    rp_buf_truncate(&ctx->out, 0);
    rp_error_clear(ctx);
    ctx->sp = ctx->stack;
    ctx->nframes = 0;
    ctx->native_depth = 0;
    ctx->want_collect = 0;
    ctx->steps = 0;
    return ctx;
}

static void ctx_put(rp_ctx *ctx)
{
    if (pooled < POOL_SIZE && ctx->out.cap <= 65536) {
        pool[pooled++] = ctx;
        return;
    }
    rp_buf_free(&ctx->out);
    free(ctx->stack);
    free(ctx);
}

int rp_eval(const char *src, char *out, size_t cap)
{
    rp_init();
    enter();
    rp_ctx *ctx = ctx_get();
    ctx->id = next_eval_id();
    rp_eval_count++;
    trace("eval %lu: %zu bytes of source", ctx->id, strlen(src));
    int rc = -1;
    rp_func *script = rp_compile(ctx, src);
    if (script)
        rc = rp_vm_run_script(ctx, script);
    if (rc < 0)
        rp_error_render(ctx, &ctx->out);
    if (cap) {
        size_t n = ctx->out.len < cap - 1 ? ctx->out.len : cap - 1;
        if (n)
            memcpy(out, ctx->out.data, n);
        out[n] = 0;
    }
    if (ctx->want_collect)
        rp_heap_collect();
    else
        rp_heap_collect_maybe();
    ctx_put(ctx);
    leave();
    return rc < 0 ? -1 : 0;
}

long rp_stat(const char *name)
{
    long value = -1;
    rp_init();
    enter();
    if (strncmp(name, "calls.", 6) == 0)
        value = rp_registry_module_calls(name + 6);
    else if (strcmp(name, "evals") == 0)
        value = (long)rp_eval_count;
    else if (strcmp(name, "steps") == 0)
        value = (long)rp_vm_steps;
    else if (strcmp(name, "allocs") == 0)
        value = (long)rp_heap.allocs;
    else if (strcmp(name, "collections") == 0)
        value = (long)rp_heap.collections;
    else if (strcmp(name, "objects") == 0)
        value = (long)rp_heap.live;
    else if (strcmp(name, "strings") == 0)
        value = (long)rp_strings.count;
    else if (strcmp(name, "errors") == 0)
        value = (long)rp_error_count;
    else if (strcmp(name, "folds") == 0)
        value = (long)rp_fold_count;
    else if (strcmp(name, "trace_lines") == 0)
        value = (long)rp_trace_lines();
    else if (strcmp(name, "globals") == 0)
        value = rp_globals ? (long)rp_globals->count : 0;
    trace("stat %s = %ld", name, value);
    leave();
    return value;
}

int rp_global_get(rp_ctx *ctx, rp_string *name, rp_value *out)
{
    if (rp_map_get(rp_globals, rp_objval(name), out))
        return 0;
#ifdef HCR_EDIT
    return rp_error(ctx, RP_ERR_NAME, "no such variable '%s'", name->chars);
#else
    return rp_error(ctx, RP_ERR_NAME, "undefined variable '%s'", name->chars);
#endif
}

int rp_global_set(rp_ctx *ctx, rp_string *name, rp_value v)
{
    rp_value old;
    if (!rp_map_get(rp_globals, rp_objval(name), &old))
        return rp_error(ctx, RP_ERR_NAME, "assignment to undefined variable '%s' (use let)",
                        name->chars);
    rp_map_set(rp_globals, rp_objval(name), v);
    return 0;
}

void rp_global_define(rp_string *name, rp_value v)
{
    rp_map_set(rp_globals, rp_objval(name), v);
}
