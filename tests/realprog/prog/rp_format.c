/*
 * rp_format.c: values to text. The plain form is what print() writes
 * (strings as they are); the repr form is source-like (strings quoted and
 * escaped) and is used for the items of lists and maps and by repr().
 * Objects format themselves through their type's table.
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
    rp_trace_vemit("format", fmt, ap);
    va_end(ap);
}

RP_MODULE("format");

void rp_format_value(rp_buf *b, rp_value v, int repr, int depth)
{
    switch (v.t) {
    case RP_T_NIL:
        rp_buf_put(b, "nil", 3);
        return;
    case RP_T_BOOL:
        if (v.u.b)
            rp_buf_put(b, "true", 4);
        else
            rp_buf_put(b, "false", 5);
        return;
    case RP_T_INT:
        rp_number_format_int(b, v.u.i);
        return;
    case RP_T_FLOAT:
        rp_number_format_float(b, v.u.f);
        return;
    case RP_T_OBJ:
        if (depth > RP_FORMAT_DEPTH_MAX + 1) {
            trace("format depth limit reached at a %s", rp_type_name(v));
            rp_buf_put(b, "...", 3);
            return;
        }
        v.u.o->ops->format(b, v.u.o, repr, depth);
        return;
    }
}

/* The source-like form of one value. */
void rp_format_repr(rp_buf *b, rp_value v)
{
#ifdef HCR_EDIT
    if (v.t == RP_T_NIL) {
        rp_buf_put(b, "null", 4);
        return;
    }
#endif
    trace("repr of a %s", rp_type_name(v));
    rp_format_value(b, v, 1, 0);
}

/* The name the built-ins use, as in older versions of the library. */
void rp_repr(rp_buf *b, rp_value v) __attribute__((alias("rp_format_repr")));

/* The plain form as a string value. */
rp_string *rp_to_string(rp_value v)
{
    if (rp_is_obj(v, RP_O_STRING))
        return rp_as_string(v);
    trace("string of a %s", rp_type_name(v));
    rp_buf b;
    rp_buf_init(&b);
    rp_format_value(&b, v, 0, 0);
    rp_string *s = rp_string_new(b.data ? b.data : "", b.len);
    rp_buf_free(&b);
    return s;
}
