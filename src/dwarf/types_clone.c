/*
 * types_clone.c: copies of type trees that own their memory (see types.h).
 * A reader's trees live in its arena and die with it; object mode keeps
 * the type of each variable it migrated beyond the reload (the next
 * reload compares against it), long after the object's debug information
 * is gone. Names are copied too: they pointed into that debug information.
 * Trees are finite (pointers carry no target) and at most TYPES_MAX_DEPTH
 * deep, so plain recursion is bounded; a subtree shared by several
 * members is copied once per use, which only costs memory.
 */
#include "dwarf/types.h"

#include <stdlib.h>
#include <string.h>

static char *copy_name(const char *name, int *failed)
{
    if (!name)
        return NULL;
    char *c = strdup(name);
    if (!c)
        *failed = 1;
    return c;
}

static struct hcr__type *clone(const struct hcr__type *t, int *failed)
{
    struct hcr__type *c = calloc(1, sizeof *c);
    if (!c) {
        *failed = 1;
        return NULL;
    }
    *c = *t;
    c->name = copy_name(t->name, failed);
    switch (t->kind) {
    case HCR__TYPE_STRUCT:
    case HCR__TYPE_UNION: {
        size_t n = t->u.record.count;
        struct hcr__type_member *m = calloc(n ? n : 1, sizeof *m);
        c->u.record.members = m;
        c->u.record.count = m ? n : 0;
        if (!m) {
            *failed = 1;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            m[i] = t->u.record.members[i];
            m[i].name = copy_name(m[i].name, failed);
            m[i].type = clone(t->u.record.members[i].type, failed);
            if (!m[i].type) {
                free((char *)m[i].name);
                c->u.record.count = i; /* what clone_free may walk */
                break;
            }
        }
        break;
    }
    case HCR__TYPE_ARRAY:
        c->u.array.element = clone(t->u.array.element, failed);
        break;
    case HCR__TYPE_ENUM: {
        size_t n = t->u.enumeration.count;
        struct hcr__type_enumerator *v = calloc(n ? n : 1, sizeof *v);
        c->u.enumeration.values = v;
        c->u.enumeration.count = v ? n : 0;
        if (!v) {
            *failed = 1;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            v[i] = t->u.enumeration.values[i];
            v[i].name = copy_name(v[i].name, failed);
        }
        break;
    }
    default:
        break;
    }
    return c;
}

struct hcr__type *hcr__type_clone(const struct hcr__type *t)
{
    int failed = 0;
    struct hcr__type *c = t ? clone(t, &failed) : NULL;
    if (failed) {
        hcr__type_clone_free(c);
        return NULL;
    }
    return c;
}

void hcr__type_clone_free(struct hcr__type *t)
{
    if (!t)
        return;
    switch (t->kind) {
    case HCR__TYPE_STRUCT:
    case HCR__TYPE_UNION:
        for (size_t i = 0; i < t->u.record.count; i++) {
            free((char *)t->u.record.members[i].name);
            hcr__type_clone_free((struct hcr__type *)t->u.record.members[i].type);
        }
        free((void *)t->u.record.members);
        break;
    case HCR__TYPE_ARRAY:
        hcr__type_clone_free((struct hcr__type *)t->u.array.element);
        break;
    case HCR__TYPE_ENUM:
        for (size_t i = 0; i < t->u.enumeration.count; i++)
            free((char *)t->u.enumeration.values[i].name);
        free((void *)t->u.enumeration.values);
        break;
    default:
        break;
    }
    free((char *)t->name);
    free(t);
}
