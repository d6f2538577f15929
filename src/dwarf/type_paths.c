/*
 * type_paths.c: parts of a type tree by place and by path (see types.h).
 * A compiler that splits a variable says which bytes of it each piece
 * holds; what those bytes are, a member at some depth or an array element,
 * is what a piece is matched by between two versions of the type. Only
 * places the tree says exactly are parts: bytes across two fields, inside
 * a union (which member is live is unknowable) or a bit-field, or part of
 * a scalar, are none.
 */
#include "dwarf/types.h"

#include <stdio.h>
#include <string.h>

/* The rank of anonymous member m among rec's anonymous members. */
static size_t anonymous_rank(const struct hcr__type *rec, const struct hcr__type_member *m)
{
    size_t rank = 0;
    for (const struct hcr__type_member *o = rec->u.record.members; o != m; o++)
        rank += o->name == NULL;
    return rank;
}

/* The member of struct t a path step names (the first of that name), or
   NULL. */
static const struct hcr__type_member *member_named(const struct hcr__type *t,
                                                   const struct hcr__type_path_step *step)
{
    size_t rank = step->anonymous;
    for (size_t m = 0; m < t->u.record.count; m++) {
        const struct hcr__type_member *c = &t->u.record.members[m];
        if (step->name ? c->name && strcmp(c->name, step->name) == 0 : !c->name && rank-- == 0)
            return c;
    }
    return NULL;
}

const struct hcr__type *hcr__type_part_at(const struct hcr__type *t, uint64_t offset,
                                          uint64_t size, struct hcr__type_path *path)
{
    for (;;) {
        if (offset == 0 && size == t->size && size)
            return t;
        if (size == 0 || offset > t->size || size > t->size - offset ||
            path->n == HCR__TYPE_PATH_MAX)
            return NULL;
        struct hcr__type_path_step *step = &path->steps[path->n];
        if (t->kind == HCR__TYPE_STRUCT) {
            const struct hcr__type_member *in = NULL;
            for (size_t i = 0; i < t->u.record.count && !in; i++) {
                const struct hcr__type_member *m = &t->u.record.members[i];
                if (!m->bit_size && offset >= m->offset && offset - m->offset < m->type->size &&
                    size <= m->type->size - (offset - m->offset))
                    in = m;
            }
            if (!in)
                return NULL;
            *step = (struct hcr__type_path_step){.name = in->name,
                                                 .anonymous = anonymous_rank(t, in)};
            if (member_named(t, step) != in)
                return NULL; /* a name twice in one struct (corrupt debug information) */
            offset -= in->offset;
            t = in->type;
        } else if (t->kind == HCR__TYPE_ARRAY) {
            const struct hcr__type *e = t->u.array.element;
            if (e->size == 0 || offset / e->size >= t->u.array.count ||
                offset % e->size + size > e->size)
                return NULL;
            *step = (struct hcr__type_path_step){.index = offset / e->size, .is_index = 1};
            offset %= e->size;
            t = e;
        } else {
            return NULL;
        }
        path->n++;
    }
}

const struct hcr__type *hcr__type_part_by_path(const struct hcr__type *t,
                                               const struct hcr__type_path *path,
                                               uint64_t *offset)
{
    *offset = 0;
    for (size_t i = 0; i < path->n; i++) {
        const struct hcr__type_path_step *step = &path->steps[i];
        if (step->is_index) {
            if (t->kind != HCR__TYPE_ARRAY || step->index >= t->u.array.count)
                return NULL;
            t = t->u.array.element;
            *offset += step->index * t->size;
            continue;
        }
        if (t->kind != HCR__TYPE_STRUCT)
            return NULL;
        const struct hcr__type_member *found = member_named(t, step);
        if (!found || found->bit_size)
            return NULL;
        *offset += found->offset;
        t = found->type;
    }
    return t;
}

const char *hcr__type_path_text(const char *root, const struct hcr__type_path *path, char *buf,
                                size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "%s", root);
    for (size_t i = 0; i < path->n && used < len; i++) {
        const struct hcr__type_path_step *step = &path->steps[i];
        int n = step->is_index ? snprintf(buf + used, len - used, "[%llu]",
                                          (unsigned long long)step->index)
                : step->name ? snprintf(buf + used, len - used, ".%s", step->name)
                             : 0; /* an anonymous member's fields read as the parent's */
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}
