/* Split variables (src/dwarf/pieces.c, src/dwarf/type_paths.c and the
   masked application of a plan): the location expressions clang writes
   for a static it split into pieces or kept as a flag, read into stored
   parts; malformed ones rejected, random ones never trusted beyond the
   variable; byte ranges named as field paths and found again in another
   layout; a plan applied to a value known only in part; and, when clang
   is here, a real split static read from a shared object. */
#include "dwarf/pieces.h"
#include "dwarf/statics.h"
#include "dwarf/types.h"
#include "harness.h"
#include "migrate/migrate.h"

#include <dwarf.h>
#include <stdint.h>
#include <string.h>

#define OP(a) {.atom = (a)}
#define OPN(a, n) {.atom = (a), .number = (n)}

static int addrx_plus_1000(void *user, size_t i, uint64_t *address)
{
    const Dwarf_Op *ops = user;
    *address = 0x1000 + ops[i].number;
    return 1;
}

static int addrx_fails(void *user, size_t i, uint64_t *address)
{
    (void)user, (void)i, (void)address;
    return 0;
}

static enum hcr__location parse(const Dwarf_Op *ops, size_t n, uint64_t size,
                                struct hcr__dwarf_piece *out, size_t *count)
{
    return hcr__dwarf_parse_pieces(ops, n, size, addrx_plus_1000, (void *)ops, out, 16, count);
}

TEST(one_address_is_the_whole_variable)
{
    Dwarf_Op ops[] = {OPN(DW_OP_addr, 0x4000)};
    struct hcr__dwarf_piece p[16];
    size_t n;
    CHECK_EQ(parse(ops, 1, 24, p, &n), HCR__LOC_ADDRESS);
    CHECK_EQ(n, 1);
    CHECK_EQ(p[0].offset, 0);
    CHECK_EQ(p[0].size, 24);
    CHECK_EQ(p[0].address, 0x4000);
    CHECK_EQ(p[0].flag_size, 0);
}

/* static struct {int a; long b; int c;} s: b never written. */
TEST(pieces_with_a_gap_list_only_what_is_stored)
{
    Dwarf_Op ops[] = {OPN(DW_OP_addrx, 0), OPN(DW_OP_piece, 4), OPN(DW_OP_piece, 12),
                      OPN(DW_OP_addrx, 1), OPN(DW_OP_piece, 4)};
    struct hcr__dwarf_piece p[16];
    size_t n;
    CHECK_EQ(parse(ops, 5, 24, p, &n), HCR__LOC_PIECES);
    CHECK_EQ(n, 2);
    CHECK_EQ(p[0].offset, 0);
    CHECK_EQ(p[0].size, 4);
    CHECK_EQ(p[0].address, 0x1000);
    CHECK_EQ(p[1].offset, 16);
    CHECK_EQ(p[1].size, 4);
    CHECK_EQ(p[1].address, 0x1001);
}

TEST(a_location_of_pieces_none_stored_has_no_storage)
{
    Dwarf_Op ops[] = {OPN(DW_OP_piece, 4), OPN(DW_OP_piece, 4)};
    struct hcr__dwarf_piece p[16];
    size_t n = 99;
    CHECK_EQ(parse(ops, 2, 8, p, &n), HCR__LOC_PIECES);
    CHECK_EQ(n, 0);
    CHECK_EQ(parse(ops, 0, 8, p, &n), HCR__LOC_NONE);
}

/* clang's shrink to a boolean: value = add + byte * mul. */
TEST(a_flag_is_read_in_each_of_its_forms)
{
    Dwarf_Op whole[] = {OPN(DW_OP_addrx, 2), OPN(DW_OP_deref_size, 1), OP(DW_OP_lit5),
                        OP(DW_OP_mul),        OP(DW_OP_lit0),           OP(DW_OP_plus),
                        OP(DW_OP_stack_value)};
    struct hcr__dwarf_piece p[16];
    size_t n;
    CHECK_EQ(parse(whole, 7, 4, p, &n), HCR__LOC_PIECES);
    CHECK_EQ(n, 1);
    CHECK_EQ(p[0].size, 4);
    CHECK_EQ(p[0].flag_size, 1);
    CHECK_EQ(p[0].flag_mul, 5);
    CHECK_EQ(p[0].flag_add, 0);
    Dwarf_Op piece[] = {OPN(DW_OP_piece, 4),   OPN(DW_OP_addr, 0x2000), OPN(DW_OP_deref_size, 1),
                        OPN(DW_OP_constu, 300), OP(DW_OP_mul),          OPN(DW_OP_plus_uconst, 7),
                        OP(DW_OP_stack_value),  OPN(DW_OP_piece, 4)};
    CHECK_EQ(parse(piece, 8, 8, p, &n), HCR__LOC_PIECES);
    CHECK_EQ(n, 1);
    CHECK_EQ(p[0].offset, 4);
    CHECK_EQ(p[0].size, 4);
    CHECK_EQ(p[0].address, 0x2000);
    CHECK_EQ(p[0].flag_mul, 300);
    CHECK_EQ(p[0].flag_add, 7);
    Dwarf_Op no_add[] = {OPN(DW_OP_addr, 0x2000), OPN(DW_OP_deref_size, 1), OP(DW_OP_lit3),
                         OP(DW_OP_mul), OP(DW_OP_stack_value)};
    CHECK_EQ(parse(no_add, 5, 1, p, &n), HCR__LOC_PIECES);
    CHECK_EQ(p[0].flag_add, 0);
}

/* Each of these describes a static's storage in a way that does not add
   up: refused, never half-trusted. */
TEST(malformed_pieces_are_invalid)
{
    struct hcr__dwarf_piece p[16];
    size_t n;
    Dwarf_Op past_end[] = {OPN(DW_OP_addr, 1), OPN(DW_OP_piece, 4), OPN(DW_OP_addr, 2),
                           OPN(DW_OP_piece, 8)};
    CHECK_EQ(parse(past_end, 4, 8, p, &n), HCR__LOC_INVALID);
    Dwarf_Op zero[] = {OPN(DW_OP_addr, 1), OPN(DW_OP_piece, 0)};
    CHECK_EQ(parse(zero, 2, 8, p, &n), HCR__LOC_INVALID);
    Dwarf_Op bits[] = {OPN(DW_OP_addr, 1), {.atom = DW_OP_bit_piece, .number = 3, .number2 = 0}};
    CHECK_EQ(parse(bits, 2, 8, p, &n), HCR__LOC_INVALID);
    Dwarf_Op trailing[] = {OPN(DW_OP_addr, 1), OPN(DW_OP_piece, 4), OPN(DW_OP_addr, 2)};
    CHECK_EQ(parse(trailing, 3, 8, p, &n), HCR__LOC_INVALID);
    Dwarf_Op flag_no_value[] = {OPN(DW_OP_addr, 1), OPN(DW_OP_deref_size, 1), OP(DW_OP_mul),
                                OP(DW_OP_stack_value)};
    CHECK_EQ(parse(flag_no_value, 4, 4, p, &n), HCR__LOC_INVALID);
    Dwarf_Op flag_times_zero[] = {OPN(DW_OP_addr, 1), OPN(DW_OP_deref_size, 1), OP(DW_OP_lit0),
                                  OP(DW_OP_mul), OP(DW_OP_stack_value)};
    CHECK_EQ(parse(flag_times_zero, 5, 4, p, &n), HCR__LOC_INVALID);
    Dwarf_Op flag_too_wide[] = {OPN(DW_OP_addr, 1), OPN(DW_OP_deref_size, 9), OP(DW_OP_lit1),
                                OP(DW_OP_mul), OP(DW_OP_stack_value)};
    CHECK_EQ(parse(flag_too_wide, 5, 16, p, &n), HCR__LOC_INVALID);
    Dwarf_Op flag_of_struct[] = {OPN(DW_OP_addr, 1), OPN(DW_OP_deref_size, 1), OP(DW_OP_lit1),
                                 OP(DW_OP_mul), OP(DW_OP_stack_value)};
    CHECK_EQ(parse(flag_of_struct, 5, 16, p, &n), HCR__LOC_INVALID);
    Dwarf_Op flag_unended[] = {OPN(DW_OP_addr, 1), OPN(DW_OP_deref_size, 1), OP(DW_OP_lit1),
                               OP(DW_OP_mul)};
    CHECK_EQ(parse(flag_unended, 4, 4, p, &n), HCR__LOC_INVALID);
    Dwarf_Op addrx[] = {OPN(DW_OP_addrx, 0), OPN(DW_OP_piece, 4)};
    CHECK_EQ(hcr__dwarf_parse_pieces(addrx, 2, 4, addrx_fails, NULL, p, 16, &n),
             HCR__LOC_INVALID);
    Dwarf_Op many[40];
    for (size_t i = 0; i < 40; i += 2) {
        many[i] = (Dwarf_Op)OPN(DW_OP_addr, i);
        many[i + 1] = (Dwarf_Op)OPN(DW_OP_piece, 1);
    }
    CHECK_EQ(parse(many, 40, 64, p, &n), HCR__LOC_INVALID); /* more parts than room */
}

/* What is no static's storage: a TLS address, an automatic variable's
   registers or implicit pointer. */
TEST(other_expressions_are_not_pieces)
{
    struct hcr__dwarf_piece p[16];
    size_t n;
    Dwarf_Op tls[] = {OPN(DW_OP_const8u, 16), OP(DW_OP_form_tls_address)};
    CHECK_EQ(parse(tls, 2, 4, p, &n), HCR__LOC_OTHER);
    Dwarf_Op regs[] = {OP(DW_OP_reg0), OPN(DW_OP_piece, 4), OP(DW_OP_reg1), OPN(DW_OP_piece, 4)};
    CHECK_EQ(parse(regs, 4, 8, p, &n), HCR__LOC_OTHER);
    Dwarf_Op implicit[] = {OPN(DW_OP_addr, 0x10), OP(DW_OP_stack_value), OPN(DW_OP_piece, 8)};
    CHECK_EQ(parse(implicit, 3, 16, p, &n), HCR__LOC_OTHER);
    Dwarf_Op frame[] = {OPN(DW_OP_fbreg, -20)};
    CHECK_EQ(parse(frame, 1, 4, p, &n), HCR__LOC_OTHER);
}

/* Whatever the expression, what is returned as stored lies inside the
   variable, in order, without overlap. */
TEST(random_expressions_stay_inside_the_variable)
{
    static const unsigned atoms[] = {DW_OP_addr,    DW_OP_addrx,  DW_OP_piece, DW_OP_deref_size,
                                     DW_OP_lit0,    DW_OP_lit5,   DW_OP_mul,   DW_OP_plus,
                                     DW_OP_constu,  DW_OP_stack_value, DW_OP_plus_uconst,
                                     DW_OP_bit_piece, DW_OP_reg3, DW_OP_GNU_addr_index};
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 200000; round++) {
        Dwarf_Op ops[12];
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t count = (size_t)(seed >> 60) % 12 + 1;
        for (size_t i = 0; i < count; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            ops[i] = (Dwarf_Op){.atom = (uint8_t)atoms[(seed >> 33) % (sizeof atoms / sizeof *atoms)],
                                .number = (seed >> 13) % 19};
            if ((seed & 0xff) == 7)
                ops[i].number = UINT64_MAX - (seed & 3);
        }
        uint64_t size = (seed >> 7) % 40;
        struct hcr__dwarf_piece p[16];
        size_t n = 0;
        enum hcr__location kind = parse(ops, count, size, p, &n);
        if (kind == HCR__LOC_NONE)
            CHECK_EQ(n, 0);
        if (kind != HCR__LOC_PIECES && kind != HCR__LOC_ADDRESS)
            continue; /* nothing of it is used */
        uint64_t end = 0;
        for (size_t i = 0; i < n; i++) {
            CHECK(p[i].offset >= end);
            CHECK(p[i].size <= size && p[i].offset <= size - p[i].size);
            CHECK(p[i].flag_size <= 8 && p[i].flag_size <= p[i].size);
            end = p[i].offset + p[i].size;
        }
    }
}

/* ---- field paths ------------------------------------------------------ */

static const struct hcr__type int_t = {.kind = HCR__TYPE_SIGNED, .size = 4, .name = "int"};
static const struct hcr__type long_t = {.kind = HCR__TYPE_SIGNED, .size = 8, .name = "long long"};

/* struct point {int x; int y;}; struct s1 {int a; struct point pts[3]; int c;} */
static const struct hcr__type_member point_m[] = {{"x", 0, 0, 0, &int_t}, {"y", 4, 0, 0, &int_t}};
static const struct hcr__type point_t = {.kind = HCR__TYPE_STRUCT, .size = 8, .name = "point",
                                         .u.record = {point_m, 2}};
static const struct hcr__type pts_t = {.kind = HCR__TYPE_ARRAY, .size = 24,
                                       .u.array = {&point_t, 3}};
static const struct hcr__type_member s1_m[] = {
    {"a", 0, 0, 0, &int_t}, {"pts", 4, 0, 0, &pts_t}, {"c", 28, 0, 0, &int_t}};
static const struct hcr__type s1_t = {.kind = HCR__TYPE_STRUCT, .size = 32, .name = "s",
                                      .u.record = {s1_m, 3}};
/* version 2: a field inserted before pts, c made long long */
static const struct hcr__type_member s2_m[] = {{"a", 0, 0, 0, &int_t},
                                               {"b", 4, 0, 0, &int_t},
                                               {"pts", 8, 0, 0, &pts_t},
                                               {"c", 32, 0, 0, &long_t}};
static const struct hcr__type s2_t = {.kind = HCR__TYPE_STRUCT, .size = 40, .name = "s",
                                      .u.record = {s2_m, 4}};

TEST(bytes_are_named_by_the_field_they_are)
{
    struct hcr__type_path path = {.n = 0};
    char text[128];
    const struct hcr__type *t = hcr__type_part_at(&s1_t, 4 + 2 * 8 + 4, 4, &path);
    CHECK(t == &int_t);
    CHECK_STREQ(hcr__type_path_text("s", &path, text, sizeof text), "s.pts[2].y");
    uint64_t offset;
    CHECK(hcr__type_part_by_path(&s2_t, &path, &offset) == &int_t);
    CHECK_EQ(offset, 8 + 2 * 8 + 4); /* the same field in the new layout */
    path.n = 0;
    CHECK(hcr__type_part_at(&s1_t, 4 + 8, 8, &path) == &point_t); /* the element, whole */
    CHECK_STREQ(hcr__type_path_text("s", &path, text, sizeof text), "s.pts[1]");
    path.n = 0;
    CHECK(hcr__type_part_at(&s1_t, 0, 32, &path) == &s1_t);
    CHECK_EQ(path.n, 0);
    path.n = 0;
    CHECK(hcr__type_part_at(&s1_t, 28, 4, &path) == &int_t);
    CHECK(hcr__type_part_by_path(&s2_t, &path, &offset) == &long_t); /* c changed type */
    CHECK_EQ(offset, 32);
}

TEST(bytes_that_are_no_one_field_have_no_path)
{
    struct hcr__type_path path = {.n = 0};
    CHECK(hcr__type_part_at(&s1_t, 0, 8, &path) == NULL);  /* a and pts[0].x */
    path.n = 0;
    CHECK(hcr__type_part_at(&s1_t, 2, 2, &path) == NULL);  /* half of a */
    path.n = 0;
    CHECK(hcr__type_part_at(&s1_t, 30, 4, &path) == NULL); /* past the end */
    path.n = 0;
    CHECK(hcr__type_part_at(&s1_t, 8, 8, &path) == NULL);  /* across two elements */
    struct hcr__type_path missing = {.steps = {{.name = "gone"}}, .n = 1};
    uint64_t offset;
    CHECK(hcr__type_part_by_path(&s2_t, &missing, &offset) == NULL);
    struct hcr__type_path past = {.steps = {{.name = "pts"}, {.index = 3, .is_index = 1}},
                                  .n = 2};
    CHECK(hcr__type_part_by_path(&s2_t, &past, &offset) == NULL);
}

/* ---- a plan over a value known in part --------------------------------- */

TEST(a_plan_applied_to_stored_bytes_only_keeps_the_rest)
{
    struct hcr__migrate_plan *plan;
    CHECK_EQ(hcr__migrate_plan_build(&s1_t, &s2_t, "s", &plan), 0);
    int32_t old[8] = {11, 1, 2, 3, 4, 5, 6, 13}; /* a, pts[0..2].{x,y}, c */
    unsigned char stored[32] = {0};
    memset(stored, 1, 4);       /* a */
    memset(stored + 20, 1, 8);  /* pts[2] */
    memset(stored + 28, 1, 4);  /* c */
    int32_t to[10];
    for (int i = 0; i < 10; i++)
        to[i] = -1; /* the new initialiser */
    struct hcr__migrate_outcome o = {0};
    CHECK(hcr__migrate_partly_stored(plan, stored) == NULL);
    hcr__migrate_apply_stored(plan, old, stored, to, NULL, NULL, &o);
    CHECK_EQ(to[0], 11);  /* a */
    CHECK_EQ(to[1], -1);  /* b: new */
    CHECK_EQ(to[2], -1);  /* pts[0]: never stored */
    CHECK_EQ(to[5], -1);
    CHECK_EQ(to[6], 5);   /* pts[2].x */
    CHECK_EQ(to[7], 6);
    int64_t c;
    memcpy(&c, &to[8], sizeof c);
    CHECK_EQ(c, 13);      /* converted int to long long */
    memset(stored, 0, sizeof stored);
    memset(stored + 30, 1, 2); /* half of c: cannot be read */
    CHECK_STREQ(hcr__migrate_partly_stored(plan, stored), "s.c");
    hcr__migrate_plan_free(plan);
}

#ifdef PIECES_FIXTURE
/* The fixture (fixtures/pieces.c) built by clang -O2 into a shared object:
   its split static read through libdw, addresses from .debug_addr. */
struct found {
    const char *name;
    Dwarf_Die die;
    int seen;
};

static int find_variable(void *user, const char *function, const char *variable,
                         uint64_t address, Dwarf_Die *die)
{
    struct found *f = user;
    (void)function, (void)address;
    if (strcmp(variable, f->name) == 0) {
        f->die = *die;
        f->seen = 1;
        return 1;
    }
    return 0;
}

TEST(a_static_clang_split_is_read_from_its_debug_information)
{
    FILE *file = fopen(PIECES_FIXTURE, "rb");
    CHECK(file != NULL);
    fseek(file, 0, SEEK_END);
    size_t size = (size_t)ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *bytes = malloc(size);
    CHECK(bytes && fread(bytes, 1, size, file) == size);
    fclose(file);
    struct hcr__types *types;
    CHECK_EQ(hcr__types_open(bytes, size, &types), 0);
    CHECK(types != NULL);
    Dwarf *dw = hcr__types_dwarf(types);
    Dwarf_Off off = 0, next;
    size_t header;
    struct found split = {"s_split", {0}, 0}, flag = {"s_flag", {0}, 0};
    while (dwarf_nextcu(dw, off, &next, &header, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu;
        if (dwarf_offdie(dw, off + header, &cu)) {
            hcr__dwarf_each_located_die(&cu, find_variable, &split);
            hcr__dwarf_each_located_die(&cu, find_variable, &flag);
        }
        off = next;
    }
    CHECK(split.seen && flag.seen);
    const struct hcr__type *t = hcr__types_of_variable(types, &split.die);
    CHECK(t && t->size == 24);
    struct hcr__dwarf_piece p[8];
    size_t n;
    CHECK_EQ(hcr__dwarf_location_pieces(&split.die, t->size, p, 8, &n), HCR__LOC_PIECES);
    CHECK_EQ(n, 2); /* a and c: b is never written */
    struct hcr__type_path path = {.n = 0};
    char text[64];
    CHECK(hcr__type_part_at(t, p[0].offset, p[0].size, &path) != NULL);
    CHECK_STREQ(hcr__type_path_text("s_split", &path, text, sizeof text), "s_split.a");
    path.n = 0;
    CHECK(hcr__type_part_at(t, p[1].offset, p[1].size, &path) != NULL);
    CHECK_STREQ(hcr__type_path_text("s_split", &path, text, sizeof text), "s_split.c");
    CHECK(p[0].address != 0 && p[1].address != 0 && p[0].address != p[1].address);
    t = hcr__types_of_variable(types, &flag.die);
    CHECK(t && t->size == 4);
    CHECK_EQ(hcr__dwarf_location_pieces(&flag.die, t->size, p, 8, &n), HCR__LOC_PIECES);
    CHECK_EQ(n, 1);
    CHECK_EQ(p[0].flag_size, 1);
    CHECK_EQ(p[0].flag_mul, 5);
    hcr__types_free(types);
    free(bytes);
}
#endif
