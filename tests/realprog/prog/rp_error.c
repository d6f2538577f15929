/*
 * rp_error.c: script errors. The first error of an evaluation wins: later
 * ones (raised while unwinding) are dropped. An error has a kind, a message
 * and the source line it happened on; rp_error_render writes the one line a
 * caller of rp_eval sees.
 */
#include "rp_int.h"

#include <stdio.h>
#include <string.h>

static unsigned long calls;

/* Errors rendered since the program started (read by rp_stat). */
unsigned long rp_error_count;

/* The newest rendered message of each thread, for rp_last_error. */
static __thread char last_message[200];

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_API))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("error", fmt, ap);
    va_end(ap);
}

RP_MODULE("error");

static const char *const kind_names[RP_ERR_COUNT] = {
    [RP_ERR_NONE] = "NoError",
    [RP_ERR_SYNTAX] = "SyntaxError",
    [RP_ERR_NAME] = "NameError",
    [RP_ERR_TYPE] = "TypeError",
    [RP_ERR_INDEX] = "IndexError",
    [RP_ERR_ZERODIV] = "ZeroDivision",
    [RP_ERR_VALUE] = "ValueError",
    [RP_ERR_ARITY] = "ArityError",
    [RP_ERR_OVERFLOW] = "StackOverflow",
    [RP_ERR_ASSERT] = "AssertionError",
};

const char *rp_error_kind_name(enum rp_error_kind kind)
{
    if ((unsigned)kind >= RP_ERR_COUNT)
        return "Error";
#ifdef HCR_EDIT
    if (kind == RP_ERR_ZERODIV)
        return "DivideByZero";
#endif
    return kind_names[kind];
}

static int verror(rp_ctx *ctx, enum rp_error_kind kind, int line, const char *fmt, va_list ap)
{
    if (ctx->err != RP_ERR_NONE) {
        trace("dropped a second error (%s)", rp_error_kind_name(kind));
        return -1;
    }
    ctx->err = kind;
    ctx->err_line = line;
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    trace("%s: %s", rp_error_kind_name(kind), ctx->errmsg);
    return -1;
}

int rp_error(rp_ctx *ctx, enum rp_error_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verror(ctx, kind, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int rp_error_at(rp_ctx *ctx, enum rp_error_kind kind, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verror(ctx, kind, line, fmt, ap);
    va_end(ap);
    return rc;
}

void rp_error_clear(rp_ctx *ctx)
{
    ctx->err = RP_ERR_NONE;
    ctx->err_line = 0;
    ctx->errmsg[0] = 0;
}

/* Called once per error a caller of rp_eval sees; programs embedding rp
   may define their own. */
__attribute__((weak)) void rp_error_hook(const char *kind, const char *message, int line)
{
    (void)kind, (void)message, (void)line;
}

void rp_error_render(rp_ctx *ctx, rp_buf *b)
{
    if (ctx->err == RP_ERR_NONE)
        return;
    size_t start = b->len;
    const char *kind = rp_error_kind_name(ctx->err);
    rp_buf_printf(b, "error: %s: %s", kind, ctx->errmsg);
    if (ctx->err_line > 0)
        rp_buf_printf(b, " (line %d)", ctx->err_line);
    snprintf(last_message, sizeof last_message, "%s", b->data + start + 7);
    rp_buf_putc(b, '\n');
    rp_error_count++;
    rp_error_hook(kind, ctx->errmsg, ctx->err_line);
}

const char *rp_last_error(void)
{
    return last_message;
}
