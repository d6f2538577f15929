/*
 * unit_vars.c: the variables of one version's compilation unit and how
 * each is stored (see unit_vars.h). One walk of the unit; an address the
 * walk read is not parsed again, and a variable's type and stored parts
 * are read only when link_pieces.c asks (most never are).
 */
#include "object/unit_vars.h"
#include "dwarf/statics.h"
#include "internal.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#define HUGE_SIZE (UINT64_MAX / 2) /* classifying a location before its type is read */

void hcr__unit_vars_free(struct hcr__unit_vars *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].runs);
    }
    free(l->v);
}

/* Lists a variable of the unit (a global too, for the layout comparison's
   list by address; globals are never split: other units name them). */
static int list_variable(void *user, const char *function, const char *variable,
                         uint64_t address, Dwarf_Die *die)
{
    struct hcr__unit_vars *l = user;
    struct hcr__unit_var *grown = hcr__grow(l->v, l->n, &l->cap, sizeof *grown, 32);
    if (grown)
        l->v = grown;
    char *key = grown ? function ? hcr__dwarf_static_key(function, variable, NULL)
                                 : strdup(variable)
                      : NULL;
    if (!key) {
        l->failed = 1;
        return 1;
    }
    size_t n = 0;
    /* The walk read one address already (a nonzero one): else parse. */
    enum hcr__location kind =
        address ? HCR__LOC_ADDRESS
                : hcr__dwarf_location_pieces(die, HUGE_SIZE, l->scratch, HCR__PIECES_MAX, &n);
    l->v[l->n++] = (struct hcr__unit_var){
        .key = key, .name = variable, .function_local = function != NULL, .die = *die,
        .kind = kind, .address = address ? address : n ? l->scratch[0].address : 0,
        .external = dwarf_hasattr_integrate(die, DW_AT_external)};
    return 0;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct hcr__unit_var *)a)->key, ((const struct hcr__unit_var *)b)->key);
}

int hcr__unit_vars_list(Dwarf_Die *cu, struct hcr__unit_vars *l,
                        struct hcr__dwarf_piece *scratch)
{
    l->scratch = scratch;
    hcr__dwarf_each_located_die(cu, list_variable, l);
    if (l->failed)
        return HCR_ENOMEM;
    if (l->n)
        qsort(l->v, l->n, sizeof *l->v, by_key);
    for (size_t i = 1; i < l->n; i++)
        if (!strcmp(l->v[i - 1].key, l->v[i].key))
            l->v[i - 1].ambiguous = l->v[i].ambiguous = 1; /* statics of two blocks */
    return 0;
}

static int by_address(const void *a, const void *b)
{
    const struct hcr__process_variable *x = a, *y = b;
    return x->address < y->address ? -1 : x->address > y->address;
}

/* The layout comparison (link_migrate.c) then walks neither unit again. */
int hcr__unit_vars_by_place(const struct hcr__unit_vars *l, uintptr_t bias,
                            struct hcr__process_variable **out, size_t *n)
{
    *n = 0;
    *out = malloc((l->n ? l->n : 1) * sizeof **out);
    if (!*out)
        return HCR_ENOMEM;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].kind == HCR__LOC_ADDRESS)
            (*out)[(*n)++] = (struct hcr__process_variable){(uintptr_t)l->v[i].address + bias,
                                                            l->v[i].die};
    qsort(*out, *n, sizeof **out, by_address);
    return 0;
}

struct hcr__unit_var *hcr__unit_vars_find(struct hcr__unit_vars *l, const char *key)
{
    struct hcr__unit_var probe = {.key = (char *)key};
    return l->n ? bsearch(&probe, l->v, l->n, sizeof *l->v, by_key) : NULL;
}

int hcr__unit_var_load(struct hcr__unit_var *v, struct hcr__types *types, uintptr_t bias,
                        struct hcr__dwarf_piece *scratch)
{
    if (v->loaded)
        return 0;
    v->loaded = 1;
    v->type = hcr__types_of_variable(types, &v->die);
    size_t n;
    v->kind = hcr__dwarf_location_pieces(&v->die, v->type ? v->type->size : 0, scratch,
                                         HCR__PIECES_MAX, &n);
    if (v->kind != HCR__LOC_ADDRESS && v->kind != HCR__LOC_PIECES)
        return 0;
    if (v->kind == HCR__LOC_ADDRESS && !v->type)
        v->kind = HCR__LOC_INVALID; /* whole, of no known size */
    v->runs = malloc((n ? n : 1) * sizeof *v->runs);
    if (!v->runs)
        return HCR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v->runs[i] = scratch[i];
        v->runs[i].address += bias;
    }
    v->nruns = n;
    return 0;
}

