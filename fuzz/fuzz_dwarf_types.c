/*
 * fuzz_dwarf_types.c: libFuzzer target for the DWARF type reader
 * (src/dwarf/types.c) and the migration plan over what it reads. Every
 * input is handed to libdw as an ELF image; each variable with a fixed
 * address gets its type read, named types are looked up, and a plan
 * between two of them is built, translated through and applied to zeroed
 * memory. Crafted input must neither crash, read out of bounds, nor loop
 * (a recursive or cyclic type), which the sanitizers and libFuzzer's
 * timeout catch.
 */
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
        if (dwarf_offdie(dw, offset + header, &cu))
            hcr__dwarf_each_static_die(&cu, read_variable, types);
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
