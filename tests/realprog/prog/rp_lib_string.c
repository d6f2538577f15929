/*
 * rp_lib_string.c: string built-ins. Strings are byte strings; positions
 * are byte offsets, negative ones counting from the end.
 */
#include "rp_int.h"

#include <ctype.h>
#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_LIB))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("strlib", fmt, ap);
    va_end(ap);
}

RP_MODULE("strlib");

static rp_value buf_result(rp_buf *b)
{
    rp_value v = rp_objval(rp_string_new(b->data ? b->data : "", b->len));
    rp_buf_free(b);
    return v;
}

static int map_chars(rp_ctx *ctx, rp_value *argv, rp_value *out, int (*fn)(int), const char *name)
{
    rp_string *s;
    if (rp_arg_string(ctx, argv, 0, name, &s) < 0)
        return -1;
    rp_buf b;
    rp_buf_init(&b);
    rp_buf_reserve(&b, s->len);
    for (size_t i = 0; i < s->len; i++)
        rp_buf_putc(&b, (char)fn((unsigned char)s->chars[i]));
    *out = buf_result(&b);
    return 0;
}

RP_BUILTIN(bi_upper, "upper", 1, 1, "the string in upper case (ASCII)")
{
    (void)argc;
    return map_chars(ctx, argv, out, toupper, "upper");
}

RP_BUILTIN(bi_lower, "lower", 1, 1, "the string in lower case (ASCII)")
{
    (void)argc;
    return map_chars(ctx, argv, out, tolower, "lower");
}

RP_BUILTIN(bi_substr, "substr", 2, 3, "the bytes from start up to end (default: the end)")
{
    rp_string *s;
    int64_t start, end;
    if (rp_arg_string(ctx, argv, 0, "substr", &s) < 0 ||
        rp_arg_int(ctx, argv, 1, "substr", &start) < 0)
        return -1;
    end = (int64_t)s->len;
    if (argc > 2 && rp_arg_int(ctx, argv, 2, "substr", &end) < 0)
        return -1;
    *out = rp_objval(rp_string_slice(s, start, end));
    return 0;
}

static const char *search(const rp_string *s, const rp_string *sub, size_t from)
{
    if (sub->len == 0)
        return from <= s->len ? s->chars + from : NULL;
    if (sub->len > s->len)
        return NULL;
    for (size_t i = from; i + sub->len <= s->len; i++)
        if (s->chars[i] == sub->chars[0] && memcmp(s->chars + i, sub->chars, sub->len) == 0)
            return s->chars + i;
    return NULL;
}

RP_BUILTIN(bi_find, "find", 2, 2, "the position of the first occurrence of sub")
{
    (void)argc;
    rp_string *s, *sub;
    if (rp_arg_string(ctx, argv, 0, "find", &s) < 0 ||
        rp_arg_string(ctx, argv, 1, "find", &sub) < 0)
        return -1;
    const char *at = search(s, sub, 0);
    if (at) {
        *out = rp_int(at - s->chars);
        return 0;
    }
#ifdef HCR_EDIT
    *out = rp_nil();
#else
    *out = rp_int(-1);
#endif
    return 0;
}

RP_BUILTIN(bi_contains, "contains", 2, 2, "whether sub occurs in the string")
{
    (void)argc;
    rp_string *s, *sub;
    if (rp_arg_string(ctx, argv, 0, "contains", &s) < 0 ||
        rp_arg_string(ctx, argv, 1, "contains", &sub) < 0)
        return -1;
    *out = rp_bool(search(s, sub, 0) != NULL);
    return 0;
}

RP_BUILTIN(bi_split, "split", 1, 2, "the pieces between separators (default: runs of spaces)")
{
    rp_string *s, *sep = NULL;
    if (rp_arg_string(ctx, argv, 0, "split", &s) < 0)
        return -1;
    if (argc > 1 && rp_arg_string(ctx, argv, 1, "split", &sep) < 0)
        return -1;
    rp_list *l = rp_list_new(0);
    if (!sep) {
        size_t i = 0;
        while (i < s->len) {
            while (i < s->len && isspace((unsigned char)s->chars[i]))
                i++;
            size_t start = i;
            while (i < s->len && !isspace((unsigned char)s->chars[i]))
                i++;
            if (i > start)
                rp_list_push(l, rp_objval(rp_string_new(s->chars + start, i - start)));
        }
    } else if (sep->len == 0) {
        return rp_error(ctx, RP_ERR_VALUE, "split() separator is empty");
    } else {
        size_t from = 0;
        for (;;) {
            const char *at = search(s, sep, from);
            size_t end = at ? (size_t)(at - s->chars) : s->len;
            rp_list_push(l, rp_objval(rp_string_new(s->chars + from, end - from)));
            if (!at)
                break;
            from = end + sep->len;
        }
    }
    trace("split into %zu pieces", l->len);
    *out = rp_objval(l);
    return 0;
}

RP_BUILTIN(bi_join, "join", 1, 2, "the items of a list as text, separated by sep")
{
    rp_list *l;
    rp_string *sep = NULL;
    if (rp_arg_list(ctx, argv, 0, "join", &l) < 0)
        return -1;
    if (argc > 1 && rp_arg_string(ctx, argv, 1, "join", &sep) < 0)
        return -1;
    rp_buf b;
    rp_buf_init(&b);
    for (size_t i = 0; i < l->len; i++) {
        if (i && sep)
            rp_buf_put(&b, sep->chars, sep->len);
        rp_format_value(&b, l->items[i], 0, 0);
    }
    *out = buf_result(&b);
    return 0;
}

RP_BUILTIN(bi_trim, "trim", 1, 1, "the string without leading and trailing spaces")
{
    (void)argc;
    rp_string *s;
    if (rp_arg_string(ctx, argv, 0, "trim", &s) < 0)
        return -1;
    size_t start = 0, end = s->len;
    while (start < end && isspace((unsigned char)s->chars[start]))
        start++;
    while (end > start && isspace((unsigned char)s->chars[end - 1]))
        end--;
    *out = rp_objval(rp_string_new(s->chars + start, end - start));
    return 0;
}

static int affix(rp_ctx *ctx, rp_value *argv, rp_value *out, int at_end, const char *name)
{
    rp_string *s, *fix;
    if (rp_arg_string(ctx, argv, 0, name, &s) < 0 || rp_arg_string(ctx, argv, 1, name, &fix) < 0)
        return -1;
    if (fix->len > s->len) {
        *out = rp_bool(0);
        return 0;
    }
    const char *from = at_end ? s->chars + s->len - fix->len : s->chars;
    *out = rp_bool(memcmp(from, fix->chars, fix->len) == 0);
    return 0;
}

RP_BUILTIN(bi_startswith, "startswith", 2, 2, "whether the string starts with prefix")
{
    (void)argc;
    return affix(ctx, argv, out, 0, "startswith");
}

RP_BUILTIN(bi_endswith, "endswith", 2, 2, "whether the string ends with suffix")
{
    (void)argc;
    return affix(ctx, argv, out, 1, "endswith");
}

RP_BUILTIN(bi_replace, "replace", 3, 3, "the string with every old replaced by new")
{
    (void)argc;
    rp_string *s, *old, *new;
    if (rp_arg_string(ctx, argv, 0, "replace", &s) < 0 ||
        rp_arg_string(ctx, argv, 1, "replace", &old) < 0 ||
        rp_arg_string(ctx, argv, 2, "replace", &new) < 0)
        return -1;
    if (old->len == 0)
        return rp_error(ctx, RP_ERR_VALUE, "replace() of an empty string");
    rp_buf b;
    rp_buf_init(&b);
    size_t from = 0;
    const char *at;
    while ((at = search(s, old, from)) != NULL) {
        rp_buf_put(&b, s->chars + from, (size_t)(at - s->chars) - from);
        rp_buf_put(&b, new->chars, new->len);
        from = (size_t)(at - s->chars) + old->len;
    }
    rp_buf_put(&b, s->chars + from, s->len - from);
    *out = buf_result(&b);
    return 0;
}

RP_BUILTIN(bi_ord, "ord", 1, 1, "the byte value of a one-byte string")
{
    (void)argc;
    rp_string *s;
    if (rp_arg_string(ctx, argv, 0, "ord", &s) < 0)
        return -1;
    if (s->len != 1)
        return rp_error(ctx, RP_ERR_VALUE, "ord() needs one byte, got %zu", s->len);
    *out = rp_int((unsigned char)s->chars[0]);
    return 0;
}

RP_BUILTIN(bi_chr, "chr", 1, 1, "the one-byte string of a byte value")
{
    (void)argc;
    int64_t i;
    if (rp_arg_int(ctx, argv, 0, "chr", &i) < 0)
        return -1;
    if (i < 0 || i > 255)
        return rp_error(ctx, RP_ERR_VALUE, "chr() of %lld", (long long)i);
    char c = (char)i;
    *out = rp_objval(rp_string_new(&c, 1));
    return 0;
}

RP_BUILTIN(bi_format, "format", 1, -1, "the template with each {} replaced by the next argument")
{
    rp_string *tmpl;
    if (rp_arg_string(ctx, argv, 0, "format", &tmpl) < 0)
        return -1;
    rp_buf b;
    rp_buf_init(&b);
    int next = 1;
    for (size_t i = 0; i < tmpl->len; i++) {
        char c = tmpl->chars[i];
        if (c == '{' && i + 1 < tmpl->len && tmpl->chars[i + 1] == '{') {
            rp_buf_putc(&b, '{');
            i++;
        } else if (c == '}' && i + 1 < tmpl->len && tmpl->chars[i + 1] == '}') {
            rp_buf_putc(&b, '}');
            i++;
        } else if (c == '{' && i + 1 < tmpl->len && tmpl->chars[i + 1] == '}') {
            if (next >= argc) {
                rp_buf_free(&b);
                return rp_error(ctx, RP_ERR_ARITY, "format() has more {} than arguments");
            }
            rp_format_value(&b, argv[next++], 0, 0);
            i++;
        } else {
            rp_buf_putc(&b, c);
        }
    }
    if (next < argc)
        trace("format() ignores %d arguments", argc - next);
    *out = buf_result(&b);
    return 0;
}
