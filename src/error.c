/*
 * error.c: the text of every HCR_E* code, from the one table in hcr.h, and
 * the helper that fills a detail message and returns its code.
 */
#include "internal.h"

#include <stdio.h>

const char *hcr_strerror(int code)
{
    switch (code) {
#define HCR__ERROR_TEXT(name, value, text) case value: return text;
        HCR_ERROR_MAP(HCR__ERROR_TEXT)
#undef HCR__ERROR_TEXT
    case 0:
        return "success";
    }
    return "unknown error";
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
    return "HCR_E?";
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
