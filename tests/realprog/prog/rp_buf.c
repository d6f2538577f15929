/*
 * rp_buf.c: growable byte buffers, used for a script's output, for
 * formatting values and for building strings. A buffer's data is always
 * NUL-terminated once anything has been written to it.
 */
#include "rp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_DATA))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("buf", fmt, ap);
    va_end(ap);
}

RP_MODULE("buf");

void rp_buf_init(rp_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void rp_buf_free(rp_buf *b)
{
    free(b->data);
    rp_buf_init(b);
}

void rp_buf_reserve(rp_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        fprintf(stderr, "rp: out of memory (buffer of %zu bytes)\n", cap);
        abort();
    }
    trace("buffer grows from %zu to %zu bytes", b->cap, cap);
    b->data = data;
    b->cap = cap;
}

void rp_buf_putc(rp_buf *b, char c)
{
    rp_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = 0;
}

void rp_buf_put(rp_buf *b, const char *s, size_t n)
{
    rp_buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void rp_buf_puts(rp_buf *b, const char *s)
{
    rp_buf_put(b, s, strlen(s));
}

void rp_buf_vprintf(rp_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    char small[128];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(again);
        return;
    }
    if ((size_t)n < sizeof small) {
        rp_buf_put(b, small, (size_t)n);
    } else {
        rp_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void rp_buf_printf(rp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rp_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Writes s as the body of a double-quoted string literal that the lexer
   reads back as the same bytes. */
void rp_buf_put_escaped(rp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    rp_buf_reserve(b, n + 2);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            rp_buf_put(b, "\\\"", 2);
            break;
        case '\\':
            rp_buf_put(b, "\\\\", 2);
            break;
        case '\n':
            rp_buf_put(b, "\\n", 2);
            break;
        case '\r':
            rp_buf_put(b, "\\r", 2);
            break;
        case '\t':
#ifdef HCR_EDIT
            rp_buf_put(b, "\\x09", 4);
#else
            rp_buf_put(b, "\\t", 2);
#endif
            break;
        case 0:
            rp_buf_put(b, "\\0", 2);
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
                rp_buf_put(b, esc, 4);
            } else {
                rp_buf_putc(b, (char)c);
            }
        }
    }
}

void rp_buf_indent(rp_buf *b, int levels)
{
    for (int i = 0; i < levels; i++)
        rp_buf_put(b, "  ", 2);
}

const char *rp_buf_cstr(rp_buf *b)
{
    if (!b->data)
        rp_buf_reserve(b, 0);
    b->data[b->len] = 0;
    return b->data;
}

void rp_buf_truncate(rp_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = 0;
    }
}
