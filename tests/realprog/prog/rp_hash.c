/*
 * rp_hash.c: hash functions. Strings hash with FNV-1a, integers with a
 * 64-to-32-bit mix; the intern table and maps use these. The fingerprint
 * is what the built-in hash() returns: a stable 48-bit digest of a value,
 * recursive over lists and maps.
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
    rp_trace_vemit("hash", fmt, ap);
    va_end(ap);
}

RP_MODULE("hash");

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

uint32_t rp_hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint32_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= FNV_PRIME;
    }
    return h;
}

uint32_t rp_hash_int(int64_t i)
{
    uint64_t x = (uint64_t)i;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return (uint32_t)x;
}

uint32_t rp_hash_combine(uint32_t h, uint32_t v)
{
    return h ^ (v + 0x9e3779b9u + (h << 6) + (h >> 2));
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v;
#ifdef HCR_EDIT
    h *= 0x100000001b3ull;
#else
    h *= 0x9e3779b97f4a7c15ull;
#endif
    h ^= h >> 29;
    return h;
}

static uint64_t fingerprint(rp_value v, int depth)
{
    uint64_t h = 0x6a09e667f3bcc909ull + (uint64_t)v.t;
    if (depth > RP_FORMAT_DEPTH_MAX)
        return h;
    switch (v.t) {
    case RP_T_NIL:
        return mix64(h, 0);
    case RP_T_BOOL:
        return mix64(h, (uint64_t)v.u.b + 1);
    case RP_T_INT:
        return mix64(h, (uint64_t)v.u.i);
    case RP_T_FLOAT: {
        int64_t as_int;
        if (rp_float_is_integral(v.u.f, &as_int))
            return mix64(0x6a09e667f3bcc909ull + RP_T_INT, (uint64_t)as_int);
        uint64_t bits;
        memcpy(&bits, &v.u.f, sizeof bits);
        return mix64(h, bits);
    }
    case RP_T_OBJ:
        break;
    }
    rp_obj *o = v.u.o;
    switch (o->type) {
    case RP_O_STRING: {
        rp_string *s = (rp_string *)o;
        h = mix64(h, s->len);
        for (size_t i = 0; i < s->len; i++)
            h = mix64(h, (unsigned char)s->chars[i]);
        return h;
    }
    case RP_O_LIST: {
        rp_list *l = (rp_list *)o;
        h = mix64(h, l->len);
        for (size_t i = 0; i < l->len; i++)
            h = mix64(h, fingerprint(l->items[i], depth + 1));
        return h;
    }
    case RP_O_MAP: {
        rp_map *m = (rp_map *)o;
        size_t it = 0;
        rp_value key, val;
        uint64_t sum = 0;
        while (rp_map_next(m, &it, &key, &val))
            sum += mix64(fingerprint(key, depth + 1), fingerprint(val, depth + 1));
        return mix64(h, sum);
    }
    default:
        return mix64(h, o->serial);
    }
}

int64_t rp_hash_fingerprint(rp_value v)
{
    trace("fingerprint of a %s", rp_type_name(v));
    return (int64_t)(fingerprint(v, 0) & 0xffffffffffffull);
}
