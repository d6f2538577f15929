/*
 * migrate_apply.c: running a plan (migrate_plan.c) over values. Scalars
 * are read into a 128-bit integer or a long double, checked against the
 * new type's range, and written back only when they fit, so a value that
 * does not fit leaves the new initialiser in place. Bit-fields are read
 * and written through the bytes they span, little-endian as on every
 * machine hcr runs on.
 */
#include "migrate/migrate.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef __int128 wide;

static wide read_integer(const unsigned char *at, const struct hcr__migrate_scalar *s)
{
    unsigned __int128 bits = 0;
    unsigned width;
    if (s->bit_size) {
        unsigned bytes = (s->bit_offset + s->bit_size + 7) / 8;
        for (unsigned i = 0; i < bytes; i++)
            bits |= (unsigned __int128)at[i] << (8 * i);
        bits >>= s->bit_offset;
        width = s->bit_size;
    } else {
        for (unsigned i = 0; i < s->size; i++)
            bits |= (unsigned __int128)at[i] << (8 * i);
        width = s->size * 8;
    }
    bits &= ((unsigned __int128)1 << width) - 1;
    if (s->is_signed && (bits >> (width - 1)) & 1)
        return (wide)bits - ((wide)1 << width);
    return (wide)bits;
}

static int fits(wide v, const struct hcr__migrate_scalar *s)
{
    if (s->is_bool)
        return v == 0 || v == 1;
    unsigned width = s->bit_size ? s->bit_size : s->size * 8;
    if (s->is_signed)
        return v >= -((wide)1 << (width - 1)) && v < ((wide)1 << (width - 1));
    return v >= 0 && v < ((wide)1 << width);
}

static void write_integer(unsigned char *at, const struct hcr__migrate_scalar *s, wide v)
{
    unsigned __int128 bits = (unsigned __int128)v;
    if (!s->bit_size) {
        for (unsigned i = 0; i < s->size; i++)
            at[i] = (unsigned char)(bits >> (8 * i));
        return;
    }
    unsigned bytes = (s->bit_offset + s->bit_size + 7) / 8;
    unsigned __int128 old = 0, mask = (((unsigned __int128)1 << s->bit_size) - 1) << s->bit_offset;
    for (unsigned i = 0; i < bytes; i++)
        old |= (unsigned __int128)at[i] << (8 * i);
    old = (old & ~mask) | ((bits << s->bit_offset) & mask);
    for (unsigned i = 0; i < bytes; i++)
        at[i] = (unsigned char)(old >> (8 * i));
}

static void unfit(struct hcr__migrate_outcome *o, const char *path, const char *value,
                  const struct hcr__migrate_scalar *s)
{
    if (o->unfit++ == 0) {
        char type[96];
        if (s->type)
            hcr__type_label(s->type, type, sizeof type);
        else
            snprintf(type, sizeof type, "%u bytes", s->size);
        char width[16] = "";
        if (s->bit_size)
            snprintf(width, sizeof width, ":%u", s->bit_size);
        /* A long path is cut short: the message stays a message. */
        if (snprintf(o->first_unfit, sizeof o->first_unfit, "%s: %s does not fit in %s%s", path,
                     value, type, width) >= (int)sizeof o->first_unfit)
            o->first_unfit[sizeof o->first_unfit - 1] = '\0';
    }
}

static void wide_text(wide v, char *buf, size_t len)
{
    if (v < 0)
        snprintf(buf, len, "%" PRId64, (int64_t)v); /* no narrower value is below INT64_MIN */
    else
        snprintf(buf, len, "%" PRIu64, (uint64_t)v);
}

/* Writes integer v to the step's new field when it fits there; else the
   field keeps its new initialiser and the outcome counts it. */
static void store_integer(const struct hcr__migrate_step *s, wide v, unsigned char *to,
                          struct hcr__migrate_outcome *o)
{
    if (!fits(v, &s->out)) {
        char text[48];
        wide_text(v, text, sizeof text);
        unfit(o, s->path, text, &s->out);
        return;
    }
    write_integer(to, &s->out, v);
}

static void convert_integer(const struct hcr__migrate_step *s, const unsigned char *from,
                            unsigned char *to, struct hcr__migrate_outcome *o)
{
    wide v = read_integer(from, &s->in);
    if (s->in.is_bool)
        v = v != 0;
    store_integer(s, v, to, o);
}

/* An enumerator keeps its name: its new value is the new enumeration's
   value of that name. A value no enumerator of the old type names (flags
   or'ed together, say) goes by value. */
static void convert_enum(const struct hcr__migrate_step *s, const unsigned char *from,
                         unsigned char *to, struct hcr__migrate_outcome *o)
{
    wide v = read_integer(from, &s->in);
    const struct hcr__type *fe = s->in.type, *te = s->out.type;
    for (size_t i = 0; i < fe->u.enumeration.count; i++) {
        if (fe->u.enumeration.values[i].value != (int64_t)v)
            continue;
        const char *name = fe->u.enumeration.values[i].name;
        for (size_t j = 0; j < te->u.enumeration.count; j++)
            if (strcmp(te->u.enumeration.values[j].name, name) == 0) {
                v = te->u.enumeration.values[j].value;
                break;
            }
        break;
    }
    store_integer(s, v, to, o);
}

static void convert_float(const struct hcr__migrate_step *s, const unsigned char *from,
                          unsigned char *to, struct hcr__migrate_outcome *o)
{
    long double v;
    if (s->in.size == 4) {
        float f;
        memcpy(&f, from, sizeof f);
        v = f;
    } else if (s->in.size == 8) {
        double d;
        memcpy(&d, from, sizeof d);
        v = d;
    } else {
        memcpy(&v, from, sizeof v);
    }
    long double max = s->out.size == 4 ? FLT_MAX : s->out.size == 8 ? DBL_MAX : LDBL_MAX;
    if (isfinite(v) && fabsl(v) > max) {
        char text[48];
        snprintf(text, sizeof text, "%Lg", v);
        unfit(o, s->path, text, &s->out);
        return;
    }
    if (s->out.size == 4) {
        float f = (float)v;
        memcpy(to, &f, sizeof f);
    } else if (s->out.size == 8) {
        double d = (double)v;
        memcpy(to, &d, sizeof d);
    } else {
        memcpy(to, &v, 10); /* the x87 format's 10 bytes; the rest is padding */
    }
}

/* Bytes a step reads from the old value. */
static uint64_t step_reads(const struct hcr__migrate_step *s)
{
    switch (s->kind) {
    case HCR__STEP_COPY:
        return s->size;
    case HCR__STEP_POINTER:
        return sizeof(uintptr_t);
    case HCR__STEP_FLOAT:
        return s->in.size;
    default:
        return s->in.bit_size ? (s->in.bit_offset + s->in.bit_size + 7) / 8 : s->in.size;
    }
}

/* How many of the n bytes at `stored` are marked (all of them when stored
   is NULL: every byte of the old value is known). */
static uint64_t known(const unsigned char *stored, uint64_t n)
{
    uint64_t count = 0;
    if (!stored)
        return n;
    for (uint64_t i = 0; i < n; i++)
        count += stored[i] != 0;
    return count;
}

/* Runs the steps over one value. `stored`, when not NULL, lies over `from`
   and marks the bytes of the old value that are known: a copy takes those
   only, any other step runs only when it reads known bytes alone. */
static void run(const struct hcr__migrate_steps *steps, const unsigned char *from,
                const unsigned char *stored, unsigned char *to, hcr__migrate_rebase_fn rebase,
                void *user, struct hcr__migrate_outcome *o)
{
    for (size_t i = 0; i < steps->count; i++) {
        const struct hcr__migrate_step *s = &steps->items[i];
        const unsigned char *mask = stored ? stored + s->from : NULL;
        if (s->kind != HCR__STEP_ARRAY && s->kind != HCR__STEP_COPY &&
            known(mask, step_reads(s)) != step_reads(s))
            continue; /* the new value keeps what it holds */
        switch (s->kind) {
        case HCR__STEP_COPY:
            if (!mask) {
                memcpy(to + s->to, from + s->from, s->size);
                break;
            }
            for (uint64_t b = 0; b < s->size; b++)
                if (mask[b])
                    to[s->to + b] = from[s->from + b];
            break;
        case HCR__STEP_INTEGER:
            convert_integer(s, from + s->from, to + s->to, o);
            break;
        case HCR__STEP_ENUM:
            convert_enum(s, from + s->from, to + s->to, o);
            break;
        case HCR__STEP_FLOAT:
            convert_float(s, from + s->from, to + s->to, o);
            break;
        case HCR__STEP_POINTER: {
            uintptr_t value;
            memcpy(&value, from + s->from, sizeof value);
            if (!rebase || rebase(user, &value))
                memcpy(to + s->to, &value, sizeof value);
            break;
        }
        case HCR__STEP_ARRAY:
            for (uint64_t e = 0; e < s->count; e++)
                run(s->element, from + s->from + e * s->from_stride,
                    mask ? mask + e * s->from_stride : NULL, to + s->to + e * s->to_stride,
                    rebase, user, o);
            break;
        }
    }
}

void hcr__migrate_apply(const struct hcr__migrate_plan *plan, const void *from, void *to,
                        size_t count, hcr__migrate_rebase_fn rebase, void *rebase_user,
                        struct hcr__migrate_outcome *outcome)
{
    const struct hcr__migrate_steps *steps = hcr__migrate_plan_steps(plan);
    uint64_t from_size = hcr__migrate_plan_from_size(plan), to_size = hcr__migrate_plan_to_size(plan);
    for (size_t i = 0; i < count; i++)
        run(steps, (const unsigned char *)from + i * from_size, NULL,
            (unsigned char *)to + i * to_size, rebase, rebase_user, outcome);
}

void hcr__migrate_apply_stored(const struct hcr__migrate_plan *plan, const void *from,
                               const unsigned char *stored, void *to,
                               hcr__migrate_rebase_fn rebase, void *rebase_user,
                               struct hcr__migrate_outcome *outcome)
{
    run(hcr__migrate_plan_steps(plan), from, stored, to, rebase, rebase_user, outcome);
}

static const char *partly(const struct hcr__migrate_steps *steps, const unsigned char *stored)
{
    for (size_t i = 0; i < steps->count; i++) {
        const struct hcr__migrate_step *s = &steps->items[i];
        const unsigned char *mask = stored + s->from;
        if (s->kind == HCR__STEP_ARRAY) {
            for (uint64_t e = 0; e < s->count; e++) {
                const char *path = partly(s->element, mask + e * s->from_stride);
                if (path)
                    return path;
            }
        } else if (s->kind != HCR__STEP_COPY) {
            uint64_t k = known(mask, step_reads(s));
            if (k && k != step_reads(s))
                return s->path ? s->path : "?";
        }
    }
    return NULL;
}

const char *hcr__migrate_partly_stored(const struct hcr__migrate_plan *plan,
                                       const unsigned char *stored)
{
    return partly(hcr__migrate_plan_steps(plan), stored);
}

void hcr__migrate_rebase_in_place(const struct hcr__type *t, void *bytes,
                                  hcr__migrate_rebase_fn rebase, void *rebase_user)
{
    unsigned char *at = bytes;
    if (!t->has_pointers)
        return;
    switch (t->kind) {
    case HCR__TYPE_POINTER:
    case HCR__TYPE_FUNCTION_POINTER: {
        uintptr_t value;
        memcpy(&value, at, sizeof value);
        if (rebase(rebase_user, &value))
            memcpy(at, &value, sizeof value);
        break;
    }
    case HCR__TYPE_ARRAY:
        for (uint64_t i = 0; i < t->u.array.count; i++)
            hcr__migrate_rebase_in_place(t->u.array.element, at + i * t->u.array.element->size,
                                         rebase, rebase_user);
        break;
    case HCR__TYPE_STRUCT:
        for (size_t i = 0; i < t->u.record.count; i++) {
            const struct hcr__type_member *m = &t->u.record.members[i];
            if (!m->bit_size)
                hcr__migrate_rebase_in_place(m->type, at + m->offset, rebase, rebase_user);
        }
        break;
    default:
        break; /* has_pointers is set on nothing else */
    }
}
