/*
 * rp_number.c: numbers to text and back. Integers are 64-bit; floats are
 * doubles and always print with a decimal point or an exponent, so that
 * reading the text back gives a float again.
 */
#include "rp_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
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
    rp_trace_vemit("number", fmt, ap);
    va_end(ap);
}

RP_MODULE("number");

int rp_float_is_integral(double f, int64_t *as_int)
{
    if (!isfinite(f) || f != floor(f) || f < -9.2e18 || f > 9.2e18)
        return 0;
    *as_int = (int64_t)f;
    return 1;
}

void rp_number_format_int(rp_buf *b, int64_t i)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%" PRId64, i);
    rp_buf_put(b, digits, (size_t)n);
}

void rp_number_format_float(rp_buf *b, double f)
{
    if (isnan(f)) {
        rp_buf_puts(b, "nan");
        return;
    }
    if (isinf(f)) {
#ifdef HCR_EDIT
        rp_buf_puts(b, f < 0 ? "-Infinity" : "Infinity");
#else
        rp_buf_puts(b, f < 0 ? "-inf" : "inf");
#endif
        return;
    }
    char text[40];
    trace("float %a", f);
    int n = snprintf(text, sizeof text, "%.14g", f);
    /* The shortest text of the 14 significant digits that reads back
       exactly, if there is one; otherwise 17 digits. */
    if (strtod(text, NULL) != f)
        n = snprintf(text, sizeof text, "%.17g", f);
    rp_buf_put(b, text, (size_t)n);
    if (!strpbrk(text, ".e"))
        rp_buf_put(b, ".0", 2);
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/* Parses a whole integer or float literal (optional sign, 0x and 0b
   prefixes, '_' between digits). 0, or -1 if s is not a number. */
int rp_number_parse(const char *s, size_t n, rp_value *out)
{
    char text[80];
    size_t len = 0;
    int negative = 0;
    size_t i = 0;
    if (n == 0)
        return -1;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return -1;
    int base = 10;
    if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
        base = 16, i += 2;
    else if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B'))
        base = 2, i += 2;
    if (base != 10) {
        uint64_t v = 0;
        int any = 0;
        for (; i < n; i++) {
            if (s[i] == '_' && any)
                continue;
            int d = digit_value(s[i]);
            if (d >= base)
                return -1;
            if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
                return -1;
            v = v * (uint64_t)base + (uint64_t)d;
            any = 1;
        }
        if (!any)
            return -1;
        *out = rp_int(negative ? -(int64_t)v : (int64_t)v);
        return 0;
    }
    int is_float = 0, digits = 0;
    if (negative)
        text[len++] = '-';
    for (; i < n; i++) {
        char c = s[i];
        if (c == '_' && digits)
            continue;
        if (c >= '0' && c <= '9')
            digits++;
        else if (c == '.' || c == 'e' || c == 'E')
            is_float = 1;
        else if ((c == '+' || c == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E'))
            ;
        else
            return -1;
        if (len + 1 >= sizeof text)
            return -1;
        text[len++] = c;
    }
    text[len] = 0;
    if (!digits)
        return -1;
    char *end;
    errno = 0;
    if (!is_float) {
        long long v = strtoll(text, &end, 10);
        if (*end == 0 && errno == 0) {
            *out = rp_int(v);
            return 0;
        }
        trace("integer %s out of range, read as a float", text);
    }
    double f = strtod(text, &end);
    if (*end != 0)
        return -1;
    *out = rp_float(f);
    return 0;
}
