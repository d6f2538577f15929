/*
 * rp_trace.c: trace lines. Each module has its own static trace() that
 * counts its events and, when the module's bit is set in rp_trace_mask,
 * formats a line and hands it here; the line goes to rp_trace_hook, whose
 * default (weak) definition writes it to stderr.
 */
#include "rp_int.h"

#include <stdio.h>
#include <string.h>

static unsigned long calls;

/* Which modules trace (RP_TRACE_* bits); written by the built-in trace(). */
unsigned rp_trace_mask;

/* Lines handed to the hook since the start. */
static unsigned long lines_emitted;

static void trace(const char *fmt, ...)
{
    (void)fmt;
    calls++;
}

RP_MODULE("trace");

__attribute__((weak)) void rp_trace_hook(const char *line)
{
    fputs(line, stderr);
    fputc('\n', stderr);
}

void rp_trace_vemit(const char *module, const char *fmt, va_list ap)
{
    char message[240];
    char line[300];
    vsnprintf(message, sizeof message, fmt, ap);
#ifdef HCR_EDIT
    snprintf(line, sizeof line, "%s: %s", module, message);
#else
    snprintf(line, sizeof line, "[%s] %s", module, message);
#endif
    lines_emitted++;
    trace("line %lu", lines_emitted);
    rp_trace_hook(line);
}

void rp_trace_emit(const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rp_trace_vemit(module, fmt, ap);
    va_end(ap);
}

unsigned long rp_trace_lines(void)
{
    return lines_emitted;
}

/* "lex,vm" or "all" or "none" to a mask; unknown names are ignored. */
unsigned rp_trace_parse_mask(const char *spec)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"lex", RP_TRACE_LEX},   {"parse", RP_TRACE_PARSE}, {"compile", RP_TRACE_COMPILE},
        {"vm", RP_TRACE_VM},     {"heap", RP_TRACE_HEAP},   {"lib", RP_TRACE_LIB},
        {"api", RP_TRACE_API},   {"data", RP_TRACE_DATA},
    };
    unsigned mask = 0;
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 3 && memcmp(p, "all", 3) == 0)
            mask = ~0u;
        else if (n == 4 && memcmp(p, "none", 4) == 0)
            mask = 0;
        else
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strlen(names[i].name) == n && memcmp(names[i].name, p, n) == 0)
                    mask |= names[i].bit;
        p += n;
        if (*p == ',')
            p++;
    }
    trace("mask %s = %#x", spec, mask);
    return mask;
}
