/* The DWARF type reader and the migration plan on two layouts of one
   struct (fixtures/layouts.c), compiled here with real compilers: what
   the plan says it does, what it does to bytes, where it moves a
   pointer's target; and the reader on debug information mutated at
   random, which must neither crash nor loop. */
#include "dwarf/statics.h"
#include "dwarf/types.h"
#include "elf/elf_file.h"
#include "harness.h"
#include "migrate/migrate.h"

#include <stdint.h>

struct image {
    unsigned char *bytes;
    size_t size;
    struct hcr__types *types;
};

static void load(struct image *im, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", MIG_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    im->size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    im->bytes = malloc(im->size);
    CHECK(im->bytes && fread(im->bytes, 1, im->size, f) == im->size);
    fclose(f);
    CHECK_EQ(hcr__types_open(im->bytes, im->size, &im->types), 0);
    CHECK(im->types != NULL);
}

static void unload(struct image *im)
{
    hcr__types_free(im->types);
    free(im->bytes);
}

static const struct hcr__type_member *member(const struct hcr__type *t, const char *name)
{
    for (size_t i = 0; i < t->u.record.count; i++)
        if (t->u.record.members[i].name && strcmp(t->u.record.members[i].name, name) == 0)
            return &t->u.record.members[i];
    harness_fail(__FILE__, __LINE__, "no member %s", name);
}

static int moved_pointers;

static int rebase_plus(void *user, uintptr_t *value)
{
    (void)user;
    moved_pointers++;
    *value += 0x1000;
    return 1;
}

static void check_reader(struct image *v1)
{
    const struct hcr__type *rec = hcr__types_find(v1->types, "struct rec");
    CHECK(rec != NULL);
    CHECK_EQ(rec->kind, HCR__TYPE_STRUCT);
    CHECK(hcr__types_find(v1->types, "rec_t") == rec); /* typedef stripped, one node */
    CHECK(hcr__types_find(v1->types, "struct nothing") == NULL);
    CHECK_EQ(member(rec, "next")->type->kind, HCR__TYPE_POINTER); /* recursive: not walked */
    CHECK_EQ(member(rec, "fn")->type->kind, HCR__TYPE_FUNCTION_POINTER);
    CHECK_EQ(member(rec, "m")->type->kind, HCR__TYPE_ENUM);
    CHECK_EQ(member(rec, "m")->type->u.enumeration.count, 3);
    CHECK_EQ(member(rec, "bits")->bit_size, 3);
    CHECK_EQ(member(rec, "u")->type->kind, HCR__TYPE_UNION);
    const struct hcr__type *grid = member(rec, "grid")->type;
    CHECK_EQ(grid->kind, HCR__TYPE_ARRAY);
    CHECK_EQ(grid->u.array.count, 2);
    CHECK_EQ(grid->u.array.element->u.array.count, 3);
    CHECK_EQ(grid->size, 24);
    CHECK(rec->has_pointers);
    CHECK(!grid->has_pointers);
}

static void check_plan(struct image *v1, struct image *v2)
{
    const struct hcr__type *from = hcr__types_find(v1->types, "struct rec");
    const struct hcr__type *to = hcr__types_find(v2->types, "struct rec");
    CHECK(from && to);
    struct hcr__migrate_plan *plan;
    CHECK_EQ(hcr__migrate_plan_build(from, to, "one", &plan), 0);
    CHECK(!hcr__migrate_plan_identical(plan));
    const char *summary = hcr__migrate_plan_summary(plan);
    CHECK_STR_HAS(summary, "added: one.in.y, one.grid[2..2], one.added");
    CHECK_STR_HAS(summary, "dropped: one.grid[][2..2], one.gone");
    CHECK_STR_HAS(summary, "one.b (short int to long long int)");
    CHECK_STR_HAS(summary, "one.bits (unsigned int:3 to unsigned int:5)");
    CHECK_STR_HAS(summary, "reset to the new initialiser: one.u");
    CHECK_STREQ(hcr__migrate_plan_loss(plan), "one.grid[][2..2]");

    /* A value in the old layout, written through the old offsets. */
    unsigned char *old = calloc(1, from->size), *new = malloc(to->size);
    int a = 41, x = 7, grid[2][3] = {{0, 1, 2}, {10, 11, 12}}, run = 1;
    short b = -5;
    double d = 1.5;
    long long big = 5000000000LL;
    uintptr_t next = 0x5000, fn = 0x6000;
    memcpy(old + member(from, "a")->offset, &a, sizeof a);
    memcpy(old + member(from, "b")->offset, &b, sizeof b);
    memcpy(old + member(from, "in")->offset, &x, sizeof x);
    memcpy(old + member(from, "m")->offset, &run, sizeof run);
    old[member(from, "bits")->offset] |= (unsigned char)(5 << member(from, "bits")->bit_offset);
    memcpy(old + member(from, "d")->offset, &d, sizeof d);
    memcpy(old + member(from, "big")->offset, &big, sizeof big);
    memcpy(old + member(from, "grid")->offset, grid, sizeof grid);
    memcpy(old + member(from, "next")->offset, &next, sizeof next);
    memcpy(old + member(from, "fn")->offset, &fn, sizeof fn);
    memset(new, 0x11, to->size); /* the "initialiser" */
    struct hcr__migrate_outcome outcome = {0};
    moved_pointers = 0;
    hcr__migrate_apply(plan, old, new, 1, rebase_plus, NULL, &outcome);
    CHECK_EQ(moved_pointers, 2);
    CHECK_EQ(outcome.unfit, 1);
    CHECK_STR_HAS(outcome.first_unfit, "one.big: 5000000000 does not fit in int");

    int na, nbig, ngrid[3][2];
    long long nb, nx;
    float nd;
    uintptr_t nnext, nfn;
    memcpy(&na, new + member(to, "a")->offset, sizeof na);
    memcpy(&nb, new + member(to, "b")->offset, sizeof nb);
    memcpy(&nx, new + member(to, "in")->offset, sizeof nx);
    memcpy(&nd, new + member(to, "d")->offset, sizeof nd);
    memcpy(&nbig, new + member(to, "big")->offset, sizeof nbig);
    memcpy(ngrid, new + member(to, "grid")->offset, sizeof ngrid);
    memcpy(&nnext, new + member(to, "next")->offset, sizeof nnext);
    memcpy(&nfn, new + member(to, "fn")->offset, sizeof nfn);
    CHECK_EQ(na, 41);
    CHECK_EQ(nb, -5);
    CHECK_EQ(nx, 7);
    CHECK(nd == 1.5f);
    CHECK_EQ(nbig, 0x11111111); /* did not fit: the starting value stays */
    CHECK_EQ(ngrid[0][0], 0);
    CHECK_EQ(ngrid[0][1], 1);
    CHECK_EQ(ngrid[1][0], 10);
    CHECK_EQ(ngrid[1][1], 11);
    CHECK_EQ(ngrid[2][0], 0x11111111); /* a new row */
    CHECK_EQ(nnext, 0x6000);
    CHECK_EQ(nfn, 0x7000);
    unsigned nbits = (new[member(to, "bits")->offset] >> member(to, "bits")->bit_offset) & 31;
    CHECK_EQ(nbits, 5);
    CHECK_EQ(new[member(to, "added")->offset], 0x11);

    /* Where a pointer into the old value goes. */
    uint64_t out;
    CHECK(hcr__migrate_plan_translate(plan, member(from, "b")->offset, &out));
    CHECK_EQ(out, member(to, "b")->offset);
    CHECK(hcr__migrate_plan_translate(plan, member(from, "in")->offset, &out));
    CHECK_EQ(out, member(to, "in")->offset);
    CHECK(hcr__migrate_plan_translate(plan, 0, &out)); /* the start: the struct itself */
    CHECK_EQ(out, 0);
    CHECK(!hcr__migrate_plan_translate(plan, member(from, "gone")->offset, &out));
    uint64_t g_from = member(from, "grid")->offset, g_to = member(to, "grid")->offset;
    CHECK(hcr__migrate_plan_translate(plan, g_from + (1 * 3 + 1) * 4, &out));
    CHECK_EQ(out, g_to + (1 * 2 + 1) * 4);
    CHECK(!hcr__migrate_plan_translate(plan, g_from + (1 * 3 + 2) * 4, &out)); /* dropped column */
    CHECK(hcr__migrate_plan_translate(plan, from->size, &out)); /* one past the end */
    CHECK_EQ(out, to->size);

    hcr__migrate_plan_free(plan);
    free(old);
    free(new);

    /* The same type against itself: identical, pointers still rebased. */
    CHECK_EQ(hcr__migrate_plan_build(to, to, "", &plan), 0);
    CHECK(hcr__migrate_plan_identical(plan));
    CHECK_STREQ(hcr__migrate_plan_summary(plan), "");
    CHECK(hcr__migrate_plan_loss(plan) == NULL);
    hcr__migrate_plan_free(plan);
}

TEST(the_reader_sees_records_enums_bit_fields_arrays_and_pointers)
{
    struct image v1;
    load(&v1, "layouts_v1.so");
    check_reader(&v1);
    unload(&v1);
}

TEST(the_plan_moves_fields_by_name_converting_what_fits)
{
    struct image v1, v2;
    load(&v1, "layouts_v1.so");
    load(&v2, "layouts_v2.so");
    check_plan(&v1, &v2);
    unload(&v1);
    unload(&v2);
}

TEST(dwarf_3_bit_fields_read_as_dwarf_5_ones)
{
    struct image v1, v1_3, v2_3;
    load(&v1, "layouts_v1.so");
    load(&v1_3, "layouts_v1_dwarf3.so");
    load(&v2_3, "layouts_v2_dwarf3.so");
    check_reader(&v1_3);
    const struct hcr__type *a = hcr__types_find(v1.types, "struct rec");
    const struct hcr__type *b = hcr__types_find(v1_3.types, "struct rec");
    CHECK(hcr__type_same(a, b));
    check_plan(&v1_3, &v2_3);
    unload(&v1);
    unload(&v1_3);
    unload(&v2_3);
}

static int read_variable(void *user, const char *function, const char *variable,
                         uint64_t address, Dwarf_Die *die)
{
    (void)function, (void)variable, (void)address;
    const struct hcr__type *t = hcr__types_of_variable(user, die);
    if (t) {
        char label[128];
        hcr__type_label(t, label, sizeof label);
        (void)hcr__type_has_pointers(t);
    }
    return 0;
}

/* Everything the reader does, on whatever the bytes are. */
static void read_everything(const unsigned char *bytes, size_t size)
{
    struct hcr__types *types;
    if (hcr__types_open(bytes, size, &types) != 0 || !types)
        return;
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
            hcr__migrate_plan_translate(plan, 4, &out);
            if (a->size < 4096 && b->size < 4096) {
                unsigned char *from = calloc(1, a->size + 1), *to = calloc(1, b->size + 1);
                struct hcr__migrate_outcome o = {0};
                hcr__migrate_apply(plan, from, to, 1, NULL, NULL, &o);
                free(from);
                free(to);
            }
            hcr__migrate_plan_free(plan);
        }
    }
    hcr__types_free(types);
}

TEST_TIMEOUT(mutated_debug_information_neither_crashes_nor_loops, 300)
{
    struct image v1;
    load(&v1, "layouts_v1.so");
    struct hcr__elf elf;
    struct hcr__message msg;
    CHECK_EQ(hcr__elf_open(&elf, "layouts_v1.so", v1.bytes, v1.size, 0, 0, &msg), 0);
    const char *sections[] = {".debug_info", ".debug_abbrev", ".debug_str"};
    unsigned char *copy = malloc(v1.size);
    uint64_t state = 0x9e3779b97f4a7c15ull;
    int runs = harness_scale(1) > 1 ? 600 : 3000;
    for (int run = 0; run < runs; run++) {
        size_t shndx = hcr__elf_find_section(&elf, sections[run % 3]);
        CHECK(shndx != 0);
        size_t size;
        const unsigned char *data = hcr__elf_section_data(&elf, shndx, &size);
        size_t base = (size_t)(data - v1.bytes);
        memcpy(copy, v1.bytes, v1.size);
        for (int flips = 1 + run % 4; flips > 0; flips--) {
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            size_t at = base + (size_t)(state % size);
            copy[at] = run % 2 ? (unsigned char)(state >> 32) : copy[at] ^ (unsigned char)(1u << (state % 8));
        }
        read_everything(copy, v1.size);
    }
    free(copy);
    unload(&v1);
}
