/*
 * fuzz_dwarf_types.c: libFuzzer target for the DWARF type reader
 * (src/dwarf/types.c) and the migration plan over what it reads. Every
 * input is handed to libdw as an ELF image; each variable with a fixed
 * address gets its type read, named types are looked up, and a plan
 * between two of them is built, translated through and applied to zeroed
 * memory; every variable with a location has it read as stored parts
 * (src/dwarf/pieces.c, which must never report a part outside the
 * variable), each part named as a field path and found again by it, and
 * the plan applied to the parts alone (a split variable's). Crafted input
 * must neither crash, read out of bounds, nor loop
 * (a recursive or cyclic type), which the sanitizers and libFuzzer's
 * timeout catch.
 */
#include "dwarf/pieces.h"
#include "dwarf/statics.h"
#include "dwarf/types.h"
#include "migrate/migrate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_variable(void *user, const char *function, const char *variable,
                         uint64_t address, Dwarf_Die *die)
{
    (void)function, (void)variable, (void)address;
    const struct hcr__type *t = hcr__types_of_variable(user, die);
    if (t) {
        char label[128];
        hcr__type_label(t, label, sizeof label);
        struct hcr__migrate_plan *plan;
        if (t->size <= 65536 && hcr__migrate_plan_build(t, t, "v", &plan) == 0) {
            unsigned char *from = calloc(1, t->size + 1), *to = calloc(1, t->size + 1);
            struct hcr__migrate_outcome o = {0};
            if (from && to)
                hcr__migrate_apply(plan, from, to, 1, NULL, NULL, &o);
            free(from);
            free(to);
            hcr__migrate_plan_free(plan);
        }
    }
    return 0;
}

/* A variable's stored parts: inside it, in order; each named and found
   again; the identity plan applied to what they store. */
static int read_pieces(void *user, const char *function, const char *variable,
                       uint64_t address, Dwarf_Die *die)
{
    (void)function, (void)variable, (void)address;
    const struct hcr__type *t = hcr__types_of_variable(user, die);
    uint64_t size = t ? t->size : 0;
    static struct hcr__dwarf_piece parts[HCR__PIECES_MAX];
    size_t n = 0;
    enum hcr__location kind = hcr__dwarf_location_pieces(die, size, parts, HCR__PIECES_MAX, &n);
    if (kind != HCR__LOC_PIECES && kind != HCR__LOC_ADDRESS)
        return 0;
    uint64_t end = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].offset < end || parts[i].size > size ||
            parts[i].offset > size - parts[i].size || parts[i].flag_size > 8)
            abort(); /* a part the variable does not have */
        end = parts[i].offset + parts[i].size;
        struct hcr__type_path path = {.n = 0};
        uint64_t at;
        const struct hcr__type *part =
            t ? hcr__type_part_at(t, parts[i].offset, parts[i].size, &path) : NULL;
        if (part && (hcr__type_part_by_path(t, &path, &at) != part || at != parts[i].offset))
            abort(); /* a path that leads elsewhere */
        char text[128];
        hcr__type_path_text("v", &path, text, sizeof text);
    }
    struct hcr__migrate_plan *plan;
    if (t && t->size && t->size <= 65536 && hcr__migrate_plan_build(t, t, "v", &plan) == 0) {
        unsigned char *from = calloc(1, t->size + 1), *to = calloc(1, t->size + 1);
        unsigned char *stored = calloc(1, t->size + 1);
        struct hcr__migrate_outcome o = {0};
        if (from && to && stored) {
            for (size_t i = 0; i < n; i++)
                memset(stored + parts[i].offset, 1, parts[i].size);
            hcr__migrate_partly_stored(plan, stored);
            hcr__migrate_apply_stored(plan, from, stored, to, NULL, NULL, &o);
        }
        free(from);
        free(to);
        free(stored);
        hcr__migrate_plan_free(plan);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* libelf wants the image aligned as malloc aligns it. */
    unsigned char *image = malloc(size ? size : 1);
    if (!image)
        return 0;
    memcpy(image, data, size);
    struct hcr__types *types;
    if (hcr__types_open(image, size, &types) != 0 || !types) {
        free(image);
        return 0;
    }
    Dwarf *dw = hcr__types_dwarf(types);
    Dwarf_Off offset = 0, next;
    size_t header;
    for (int units = 0; units < 64 && dwarf_nextcu(dw, offset, &next, &header, NULL, NULL, NULL) == 0;
         units++) {
        Dwarf_Die cu;
        if (dwarf_offdie(dw, offset + header, &cu)) {
            hcr__dwarf_each_static_die(&cu, read_variable, types);
            hcr__dwarf_each_located_die(&cu, read_pieces, types);
        }
        offset = next;
    }
    const struct hcr__type *a = hcr__types_find(types, "struct rec");
    const struct hcr__type *b = hcr__types_find(types, "rec_t");
    if (a && b) {
        struct hcr__migrate_plan *plan;
        if (hcr__migrate_plan_build(a, b, "x", &plan) == 0) {
            uint64_t out;
            for (uint64_t at = 0; at <= a->size && at < 256; at++)
                hcr__migrate_plan_translate(plan, at, &out);
            hcr__migrate_plan_free(plan);
        }
    }
    hcr__types_free(types);
    free(image);
    return 0;
}
