/*
 * error.c: the text of every HCR_E* code, from the one table in hcr.h, and
 * the helper that fills a detail message and returns its code. Both
 * accessors are total: a code hcr passes on from the system (-errno, for
 * a full disk say) gets the system's own text and name, read from
 * glibc's constant tables, so the strings live forever and no locale or
 * buffer is involved.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* The system's description and name of -code, or NULL when it is none. */
static const char *system_text(int code)
{
    return code < 0 && code > -4000 ? strerrordesc_np(-code) : NULL;
}

static const char *system_name(int code)
{
    return code < 0 && code > -4000 ? strerrorname_np(-code) : NULL;
}

const char *hcr_strerror(int code)
{
    switch (code) {
#define HCR__ERROR_TEXT(name, value, text) case value: return text;
        HCR_ERROR_MAP(HCR__ERROR_TEXT)
#undef HCR__ERROR_TEXT
    case 0:
        return "success";
    }
    const char *text = system_text(code);
    return text ? text : "unknown error";
}

const char *hcr_error_name(int code)
{
    switch (code) {
#define HCR__ERROR_NAME(name, value, text) case value: return #name;
        HCR_ERROR_MAP(HCR__ERROR_NAME)
#undef HCR__ERROR_NAME
    case 0:
        return "0";
    }
    const char *name = system_name(code);
    return name ? name : "HCR_E?";
}

int hcr__vfail(struct hcr__message *msg, int code, const char *fmt, va_list ap)
{
    if (msg)
        vsnprintf(msg->text, sizeof msg->text, fmt, ap);
    return code;
}

int hcr__fail(struct hcr__message *msg, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hcr__vfail(msg, code, fmt, ap);
    va_end(ap);
    return code;
}
