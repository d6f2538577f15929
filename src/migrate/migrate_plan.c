/*
 * migrate_plan.c: comparing two layouts of a type and compiling the plan
 * that moves a value from one to the other (rules in migrate.h). The
 * comparison runs once per variable and type, not per value: an array of
 * ten thousand structs gets one element plan, run ten thousand times.
 * Nested structs are flattened into their parent's steps and adjacent
 * copies merged, so an unchanged run of fields is one memcpy.
 */
#include "migrate/migrate.h"

#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_TEXT 256
#define PLAN_PATH 256

struct hcr__migrate_plan {
    const struct hcr__type *from, *to;
    struct hcr__migrate_steps top;
    int identical;
    int failed;                  /* out of memory while building */
    char loss[PLAN_PATH];        /* the first field lost, "" for none */
    char added[PLAN_TEXT], dropped[PLAN_TEXT], converted[PLAN_TEXT], reset[PLAN_TEXT];
    char summary[4 * PLAN_TEXT + 64];
    void **allocations;          /* every step list and path, freed with the plan */
    size_t allocation_count, allocation_capacity;
};

struct builder {
    struct hcr__migrate_step *items;
    size_t count, capacity;
};

static int remember(struct hcr__migrate_plan *p, void *allocation)
{
    void **grown = hcr__grow(p->allocations, p->allocation_count, &p->allocation_capacity,
                             sizeof *grown, 16);
    if (!grown) {
        free(allocation);
        p->failed = 1;
        return -1;
    }
    p->allocations = grown;
    p->allocations[p->allocation_count++] = allocation;
    return 0;
}

static const char *keep_path(struct hcr__migrate_plan *p, const char *path)
{
    char *copy = strdup(path);
    if (!copy || remember(p, copy) < 0) {
        p->failed = 1;
        return "?";
    }
    return copy;
}

/* Appends one step; adjacent copies merge into one. */
static void add_step(struct hcr__migrate_plan *p, struct builder *b, struct hcr__migrate_step s)
{
    if (s.kind == HCR__STEP_COPY && b->count) {
        struct hcr__migrate_step *last = &b->items[b->count - 1];
        if (last->kind == HCR__STEP_COPY && last->from + last->size == s.from &&
            last->to + last->size == s.to) {
            last->size += s.size;
            return;
        }
    }
    struct hcr__migrate_step *grown = hcr__grow(b->items, b->count, &b->capacity, sizeof *grown, 8);
    if (!grown) {
        p->failed = 1;
        return;
    }
    b->items = grown;
    b->items[b->count++] = s;
}

/* Hands a finished list over to the plan. */
static struct hcr__migrate_steps finish(struct hcr__migrate_plan *p, struct builder *b)
{
    if (b->items && remember(p, b->items) < 0)
        return (struct hcr__migrate_steps){NULL, 0};
    return (struct hcr__migrate_steps){b->items, b->count};
}

/* Appends `item` to a "a, b, c" list, ending it with "..." once full. */
static void note(char *list, const char *item)
{
    size_t used = strlen(list);
    if (used >= PLAN_TEXT - 4 && strcmp(list + used - 3, "...") == 0)
        return;
    int n = snprintf(list + used, PLAN_TEXT - used, "%s%s", used ? ", " : "", item);
    if (n < 0 || (size_t)n >= PLAN_TEXT - used)
        strcpy(list + (used < PLAN_TEXT - 4 ? used : PLAN_TEXT - 4), "...");
}

static void lose(struct hcr__migrate_plan *p, const char *path)
{
    if (!p->loss[0])
        snprintf(p->loss, sizeof p->loss, "%s", path[0] ? path : "(the whole value)");
}

/* path + suffix into out. */
static void join(char *out, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void join(char *out, const char *path, const char *fmt, ...)
{
    size_t n = strlen(path);
    if (n >= PLAN_PATH)
        n = PLAN_PATH - 1;
    memmove(out, path, n);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + n, PLAN_PATH - n, fmt, ap);
    va_end(ap);
}

static void member_path(char *out, const char *path, const struct hcr__type_member *m)
{
    if (!m->name)
        join(out, path, "%s", ""); /* an anonymous member's fields read as the parent's */
    else
        join(out, path, "%s%s", path[0] ? "." : "", m->name);
}

static int is_integral(const struct hcr__type *t)
{
    return (t->kind == HCR__TYPE_SIGNED || t->kind == HCR__TYPE_UNSIGNED ||
            t->kind == HCR__TYPE_BOOL || t->kind == HCR__TYPE_ENUM) &&
           t->size <= 8;
}

static int is_pointer(const struct hcr__type *t)
{
    return t->kind == HCR__TYPE_POINTER || t->kind == HCR__TYPE_FUNCTION_POINTER;
}

static struct hcr__migrate_scalar scalar_of(const struct hcr__type *t,
                                            const struct hcr__type_member *m)
{
    struct hcr__migrate_scalar s = {0};
    s.size = (unsigned)t->size;
    s.is_signed = t->kind == HCR__TYPE_SIGNED ||
                  (t->kind == HCR__TYPE_ENUM && t->u.enumeration.is_signed);
    s.is_bool = t->kind == HCR__TYPE_BOOL;
    s.type = t;
    if (m && m->bit_size) {
        s.bit_offset = m->bit_offset;
        s.bit_size = m->bit_size;
    }
    return s;
}

/* The member of record `rec` that matches `m`, a member of `other`: by
   name, or an anonymous one by its rank among the anonymous members. */
static const struct hcr__type_member *match(const struct hcr__type *rec,
                                            const struct hcr__type *other,
                                            const struct hcr__type_member *m)
{
    size_t rank = 0;
    if (!m->name)
        for (const struct hcr__type_member *o = other->u.record.members; o != m; o++)
            rank += o->name == NULL;
    for (size_t i = 0; i < rec->u.record.count; i++) {
        const struct hcr__type_member *c = &rec->u.record.members[i];
        if (m->name ? c->name && strcmp(c->name, m->name) == 0 : !c->name && rank-- == 0)
            return c;
    }
    return NULL;
}

static void pair(struct hcr__migrate_plan *p, struct builder *b, const struct hcr__type *f,
                 const struct hcr__type_member *fm, const struct hcr__type *t,
                 const struct hcr__type_member *tm, uint64_t from, uint64_t to,
                 const char *path);

/* Steps for `count` elements of f into elements of t at the given
   offsets: one copy when nothing in them changes, else an element plan. */
static void elements(struct hcr__migrate_plan *p, struct builder *b, const struct hcr__type *fe,
                     const struct hcr__type *te, uint64_t count, uint64_t from, uint64_t to,
                     const char *path)
{
    if (count == 0)
        return;
    if (hcr__type_same(fe, te) && !fe->has_pointers) {
        add_step(p, b, (struct hcr__migrate_step){.kind = HCR__STEP_COPY, .from = from, .to = to,
                                                  .size = count * fe->size});
        return;
    }
    char inner[PLAN_PATH];
    join(inner, path, "[]");
    struct builder eb = {0};
    pair(p, &eb, fe, NULL, te, NULL, 0, 0, inner);
    struct hcr__migrate_steps *element = malloc(sizeof *element);
    if (!element || remember(p, element) < 0) {
        free(eb.items);
        p->failed = 1;
        return;
    }
    *element = finish(p, &eb);
    add_step(p, b, (struct hcr__migrate_step){.kind = HCR__STEP_ARRAY, .from = from, .to = to,
                                              .element = element, .count = count,
                                              .from_stride = fe->size, .to_stride = te->size,
                                              .path = keep_path(p, path)});
}

static void arrays(struct hcr__migrate_plan *p, struct builder *b, const struct hcr__type *f,
                   const struct hcr__type *t, uint64_t from, uint64_t to, const char *path)
{
    uint64_t fc = f->u.array.count, tc = t->u.array.count;
    char range[PLAN_PATH];
    if (tc > fc) {
        join(range, path, "[%llu..%llu]", (unsigned long long)fc, (unsigned long long)tc - 1);
        note(p->added, range);
    } else if (fc > tc) {
        join(range, path, "[%llu..%llu]", (unsigned long long)tc, (unsigned long long)fc - 1);
        note(p->dropped, range);
        lose(p, range);
    }
    elements(p, b, f->u.array.element, t->u.array.element, fc < tc ? fc : tc, from, to, path);
}

static void records(struct hcr__migrate_plan *p, struct builder *b, const struct hcr__type *f,
                    const struct hcr__type *t, uint64_t from, uint64_t to, const char *path)
{
    char sub[PLAN_PATH];
    for (size_t i = 0; i < t->u.record.count; i++) {
        const struct hcr__type_member *tm = &t->u.record.members[i];
        const struct hcr__type_member *fm = match(f, t, tm);
        member_path(sub, path, tm);
        if (!fm)
            note(p->added, sub);
        else
            pair(p, b, fm->type, fm, tm->type, tm, from + fm->offset, to + tm->offset, sub);
    }
    for (size_t i = 0; i < f->u.record.count; i++) {
        const struct hcr__type_member *fm = &f->u.record.members[i];
        if (!match(t, f, fm)) {
            member_path(sub, path, fm);
            note(p->dropped, sub);
            lose(p, sub);
        }
    }
}

/* An unchanged value with pointers inside: copies around its pointers,
   each pointer a step of its own. */
static void unchanged(struct hcr__migrate_plan *p, struct builder *b, const struct hcr__type *t,
                      uint64_t from, uint64_t to, const char *path)
{
    if (!t->has_pointers) {
        if (t->size)
            add_step(p, b, (struct hcr__migrate_step){.kind = HCR__STEP_COPY, .from = from,
                                                      .to = to, .size = t->size});
        return;
    }
    if (is_pointer(t)) {
        add_step(p, b, (struct hcr__migrate_step){.kind = HCR__STEP_POINTER, .from = from,
                                                  .to = to, .path = keep_path(p, path)});
    } else if (t->kind == HCR__TYPE_ARRAY) {
        elements(p, b, t->u.array.element, t->u.array.element, t->u.array.count, from, to, path);
    } else { /* a struct: has_pointers is never set on anything else */
        char sub[PLAN_PATH];
        uint64_t done = 0; /* bytes up to here copied (padding included) */
        for (size_t i = 0; i < t->u.record.count; i++) {
            const struct hcr__type_member *m = &t->u.record.members[i];
            if (!m->type->has_pointers || m->bit_size)
                continue;
            if (m->offset > done)
                add_step(p, b, (struct hcr__migrate_step){.kind = HCR__STEP_COPY,
                                                          .from = from + done, .to = to + done,
                                                          .size = m->offset - done});
            member_path(sub, path, m);
            unchanged(p, b, m->type, from + m->offset, to + m->offset, sub);
            if (m->offset + m->type->size > done)
                done = m->offset + m->type->size;
        }
        if (t->size > done)
            add_step(p, b, (struct hcr__migrate_step){.kind = HCR__STEP_COPY, .from = from + done,
                                                      .to = to + done, .size = t->size - done});
    }
}

static void converted(struct hcr__migrate_plan *p, const char *path, const struct hcr__type *f,
                      const struct hcr__type_member *fm, const struct hcr__type *t,
                      const struct hcr__type_member *tm)
{
    char a[96], b[96], item[PLAN_PATH + 200];
    hcr__type_label(f, a, sizeof a);
    hcr__type_label(t, b, sizeof b);
    if (fm && fm->bit_size)
        snprintf(a + strlen(a), sizeof a - strlen(a), ":%u", fm->bit_size);
    if (tm && tm->bit_size)
        snprintf(b + strlen(b), sizeof b - strlen(b), ":%u", tm->bit_size);
    if (path[0])
        snprintf(item, sizeof item, "%s (%s to %s)", path, a, b);
    else
        snprintf(item, sizeof item, "%s to %s", a, b); /* the variable itself */
    note(p->converted, item);
}

static void pair(struct hcr__migrate_plan *p, struct builder *b, const struct hcr__type *f,
                 const struct hcr__type_member *fm, const struct hcr__type *t,
                 const struct hcr__type_member *tm, uint64_t from, uint64_t to, const char *path)
{
    unsigned from_bits = fm ? fm->bit_size : 0, to_bits = tm ? tm->bit_size : 0;
    int bits = from_bits || to_bits;
    if (!bits && hcr__type_same(f, t)) {
        unchanged(p, b, t, from, to, path);
        return;
    }
    if (is_integral(f) && is_integral(t)) {
        int by_name = f->kind == HCR__TYPE_ENUM && t->kind == HCR__TYPE_ENUM;
        add_step(p, b, (struct hcr__migrate_step){
                           .kind = by_name ? HCR__STEP_ENUM : HCR__STEP_INTEGER, .from = from,
                           .to = to, .in = scalar_of(f, fm), .out = scalar_of(t, tm),
                           .path = keep_path(p, path)});
        if (from_bits != to_bits || !hcr__type_same(f, t))
            converted(p, path, f, fm, t, tm);
        return;
    }
    if (!bits && f->kind == HCR__TYPE_FLOAT && t->kind == HCR__TYPE_FLOAT &&
        (f->size != 16 || hcr__type_same(f, t) || (f->name && strcmp(f->name, "long double") == 0)) &&
        (t->size != 16 || (t->name && strcmp(t->name, "long double") == 0))) {
        add_step(p, b, (struct hcr__migrate_step){.kind = HCR__STEP_FLOAT, .from = from, .to = to,
                                                  .in = scalar_of(f, fm), .out = scalar_of(t, tm),
                                                  .path = keep_path(p, path)});
        converted(p, path, f, fm, t, tm);
        return;
    }
    if (!bits && is_pointer(f) && f->kind == t->kind) {
        add_step(p, b, (struct hcr__migrate_step){.kind = HCR__STEP_POINTER, .from = from,
                                                  .to = to, .path = keep_path(p, path)});
        return;
    }
    if (!bits && f->kind == HCR__TYPE_STRUCT && t->kind == HCR__TYPE_STRUCT) {
        records(p, b, f, t, from, to, path);
        return;
    }
    if (!bits && f->kind == HCR__TYPE_ARRAY && t->kind == HCR__TYPE_ARRAY) {
        arrays(p, b, f, t, from, to, path);
        return;
    }
    /* A union or opaque type that changed, or a change of kind: the new
       initialiser stays, and the old value is lost. */
    char item[PLAN_PATH + 200], a[96], c[96];
    if (path[0])
        snprintf(item, sizeof item, "%s (%s to %s)", path, hcr__type_label(f, a, sizeof a),
                 hcr__type_label(t, c, sizeof c));
    else
        snprintf(item, sizeof item, "%s to %s", hcr__type_label(f, a, sizeof a),
                 hcr__type_label(t, c, sizeof c));
    note(p->reset, item);
    lose(p, path);
}

static void summarise(struct hcr__migrate_plan *p)
{
    const struct {
        const char *label;
        const char *list;
    } parts[] = {{"added", p->added},
                 {"dropped", p->dropped},
                 {"converted", p->converted},
                 {"reset to the new initialiser", p->reset}};
    size_t used = 0;
    for (size_t i = 0; i < HCR__ARRAY_SIZE(parts); i++) {
        if (!parts[i].list[0])
            continue;
        int n = snprintf(p->summary + used, sizeof p->summary - used, "%s%s: %s",
                         used ? "; " : "", parts[i].label, parts[i].list);
        if (n > 0 && (size_t)n < sizeof p->summary - used)
            used += (size_t)n;
    }
    if (!used && !p->identical)
        snprintf(p->summary, sizeof p->summary, "fields moved");
}

int hcr__migrate_plan_build(const struct hcr__type *from, const struct hcr__type *to,
                            const char *root, struct hcr__migrate_plan **out)
{
    *out = NULL;
    struct hcr__migrate_plan *p = calloc(1, sizeof *p);
    if (!p)
        return HCR_ENOMEM;
    p->from = from;
    p->to = to;
    p->identical = hcr__type_same(from, to);
    struct builder b = {0};
    char path[PLAN_PATH];
    snprintf(path, sizeof path, "%s", root ? root : "");
    pair(p, &b, from, NULL, to, NULL, 0, 0, path);
    p->top = finish(p, &b);
    if (p->failed) {
        hcr__migrate_plan_free(p);
        return HCR_ENOMEM;
    }
    summarise(p);
    *out = p;
    return 0;
}

void hcr__migrate_plan_free(struct hcr__migrate_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->allocation_count; i++)
        free(p->allocations[i]);
    free(p->allocations);
    free(p);
}

int hcr__migrate_plan_identical(const struct hcr__migrate_plan *p)
{
    return p->identical;
}

const char *hcr__migrate_plan_loss(const struct hcr__migrate_plan *p)
{
    return p->loss[0] ? p->loss : NULL;
}

const char *hcr__migrate_plan_summary(const struct hcr__migrate_plan *p)
{
    return p->summary;
}

const struct hcr__migrate_steps *hcr__migrate_plan_steps(const struct hcr__migrate_plan *p)
{
    return &p->top;
}

uint64_t hcr__migrate_plan_from_size(const struct hcr__migrate_plan *p)
{
    return p->from->size;
}

uint64_t hcr__migrate_plan_to_size(const struct hcr__migrate_plan *p)
{
    return p->to->size;
}

/* translate(), over the two trees by the same matching rules as the plan. */
static int translate(const struct hcr__type *f, const struct hcr__type *t, uint64_t offset,
                     uint64_t *out)
{
    if (offset == f->size) {
        *out = t->size; /* one past the end: C allows the pointer */
        return 1;
    }
    if (offset > f->size)
        return 0;
    if (hcr__type_same(f, t)) {
        *out = offset;
        return 1;
    }
    if (f->kind == HCR__TYPE_STRUCT && t->kind == HCR__TYPE_STRUCT) {
        /* The start of a struct is taken as the struct, not its first
           field: a pointer says only where it points, and pointers to a
           whole struct (a list node, a current entry) are what state
           holds. A pointer to a first field that moved elsewhere follows
           the struct instead (hcr.h section 4). */
        if (offset == 0) {
            *out = 0;
            return 1;
        }
        for (size_t i = 0; i < f->u.record.count; i++) {
            const struct hcr__type_member *fm = &f->u.record.members[i];
            if (fm->bit_size || offset < fm->offset || offset - fm->offset >= fm->type->size)
                continue; /* no pointer points into a bit-field */
            const struct hcr__type_member *tm = match(t, f, fm);
            uint64_t inner;
            if (!tm || tm->bit_size || !translate(fm->type, tm->type, offset - fm->offset, &inner))
                return 0;
            *out = tm->offset + inner;
            return 1;
        }
        return 0;
    }
    if (f->kind == HCR__TYPE_ARRAY && t->kind == HCR__TYPE_ARRAY) {
        const struct hcr__type *fe = f->u.array.element, *te = t->u.array.element;
        if (fe->size == 0)
            return 0;
        uint64_t index = offset / fe->size, inner;
        if (index >= t->u.array.count)
            return 0; /* an element the new array does not have */
        if (!translate(fe, te, offset % fe->size, &inner))
            return 0;
        *out = index * te->size + inner;
        return 1;
    }
    if (offset == 0 && f->kind != HCR__TYPE_UNION && t->kind != HCR__TYPE_UNION &&
        f->kind != HCR__TYPE_OPAQUE && t->kind != HCR__TYPE_OPAQUE) {
        *out = 0; /* a scalar that changed type: its start is still its start */
        return 1;
    }
    return 0;
}

int hcr__migrate_plan_translate(const struct hcr__migrate_plan *p, uint64_t from_offset,
                                uint64_t *to_offset)
{
    return translate(p->from, p->to, from_offset, to_offset);
}

int hcr__migrate_translate(const struct hcr__type *from, const struct hcr__type *to,
                           uint64_t from_offset, uint64_t *to_offset)
{
    return translate(from, to, from_offset, to_offset);
}
