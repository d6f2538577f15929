/*
 * test_object_migrate.c: object mode moves a variable whose layout an edit
 * changed into new storage, field by field (tests/object/mig/). Each unit
 * is built as version 1 into this program and as later versions into
 * objects; the test reaches the state only through the units' functions,
 * so every value read after a reload is read by the new code, from the
 * new layout: a value right at its new place proves the migration.
 */
#include "harness.h"
#include "object/object.h"
#include "object_util.h"
#include "mig.h"

#include <hcr.h>
#include <pthread.h>
#include <stdatomic.h>

#if SUITE_SPLITS_STATICS
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#endif

static void reload(const char *name)
{
    int rc = hcr_object_reload(obj(name));
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "reload of %s: %s: %s", name, hcr_error_name(rc),
                     hcr_object_error());
}

static void set_old_values(void)
{
    mig_set("added.a", 11);
    mig_set("added.c", 13);
    mig_set("swapped.x", 15);
    mig_set("swapped.y", 17);
    mig_set("removed.keep", 19);
    mig_set("fit.n", -21);
    mig_set("fit.big", 123);
    mig_set("unfit.big", 1LL << 40);
    mig_set("nested.in.x", 23);
    mig_set("nested.z", 25);
    mig_set("grow[0].id", 27);
    mig_set("grow[1].id", 29);
    mig_set("shrink[0].id", 31);
    mig_set("shrink[1].id", 33);
    mig_set("union.i", 35);
}

TEST(a_field_added_in_the_middle_keeps_the_others)
{
    set_old_values();
    reload("mig_v2_state.o");
    CHECK_EQ(mig_version(), 2);
    CHECK_EQ(mig_get("added.a"), 11);
    CHECK_EQ(mig_get("added.b"), 20); /* the new initialiser */
    CHECK_EQ(mig_get("added.c"), 13);
}

/* The same size, fields swapped: bound to the old storage, the new code
   would read y for x. */
TEST(two_swapped_fields_of_the_same_size_keep_their_values)
{
    set_old_values();
    reload("mig_v2_state.o");
    CHECK_EQ(mig_get("swapped.x"), 15);
    CHECK_EQ(mig_get("swapped.y"), 17);
}

TEST(a_removed_field_is_dropped_and_the_rest_kept)
{
    set_old_values();
    CHECK_EQ(mig_get("removed.gone"), 11);
    reload("mig_v2_state.o");
    CHECK_EQ(mig_get("removed.keep"), 19);
    CHECK_EQ(mig_get("removed.gone"), -1); /* the new code has no such field */
}

TEST(an_int_widened_and_a_long_long_narrowed_convert_by_value)
{
    set_old_values();
    reload("mig_v2_state.o");
    CHECK_EQ(mig_get("fit.n"), -21);     /* int to long long, sign kept */
    CHECK_EQ(mig_get("fit.big"), 123);   /* long long to int: fits */
    CHECK_EQ(mig_get("unfit.big"), -7);  /* does not fit: the new initialiser */
}

TEST(a_nested_struct_that_gained_a_field)
{
    set_old_values();
    reload("mig_v2_state.o");
    CHECK_EQ(mig_get("nested.a"), 1);
    CHECK_EQ(mig_get("nested.in.w"), 40);
    CHECK_EQ(mig_get("nested.in.x"), 23);
    CHECK_EQ(mig_get("nested.z"), 25);
}

TEST(arrays_of_structs_grown_and_shrunk)
{
    set_old_values();
    CHECK_EQ(mig_get("shrink[2].id"), 3);
    reload("mig_v2_state.o");
    CHECK_EQ(mig_get("grow[0].id"), 27);
    CHECK_EQ(mig_get("grow[1].id"), 29);
    CHECK_EQ(mig_get("grow[1].extra"), 9); /* a new field of a kept element */
    CHECK_EQ(mig_get("grow[2].id"), 3);    /* a new element: its initialiser */
    CHECK_EQ(mig_get("grow[2].extra"), 9);
    CHECK_EQ(mig_get("shrink[0].id"), 31);
    CHECK_EQ(mig_get("shrink[1].id"), 33);
    CHECK_EQ(mig_get("shrink[2].id"), -1);
}

/* Which member of a union is live is unknowable: a changed union starts
   from the new initialiser (hcr.h section 4). */
TEST(a_changed_union_is_reset_to_its_new_initialiser)
{
    set_old_values();
    reload("mig_v2_state.o");
    CHECK_EQ(mig_get("union.i"), 77);
}

TEST(a_function_local_static_that_changed_layout_keeps_its_count)
{
    CHECK_EQ(mig_bump_local(), 1);
    CHECK_EQ(mig_bump_local(), 2);
    reload("mig_v2_state.o");
    CHECK_EQ(mig_bump_local(), 102); /* count kept, step from the new initialiser */
}

/* A pointer to another static (which keeps its layout and stays) and a
   function pointer, through three reloads each moving their struct. */
TEST(pointer_fields_stay_right_over_three_reloads)
{
    mig_init(1);
    CHECK_EQ(mig_get("ptr.target"), 42);
    CHECK_EQ(mig_get("ptr.fn"), 1);
    const char *versions[] = {"mig_v2_state.o", "mig_v3_state.o", "mig_v4_state.o"};
    for (int v = 0; v < 3; v++) {
        reload(versions[v]);
        CHECK_EQ(mig_version(), v + 2);
        CHECK_EQ(mig_get("ptr.gen"), 2); /* added by version 2, kept since */
        mig_set("target", 42 + v + 1);
        CHECK_EQ(mig_get("ptr.target"), 42 + v + 1);
        CHECK_EQ(mig_get("ptr.fn"), v + 2); /* the old entry leads to the newest code */
    }
}

TEST(a_second_reload_binds_to_the_migrated_storage)
{
    set_old_values();
    reload("mig_v2_state.o");
    mig_set("added.a", 50);
    reload("mig_v3_state.o"); /* same layout as version 2 for s_added */
    CHECK_EQ(mig_version(), 3);
    CHECK_EQ(mig_get("added.a"), 50);
    CHECK_EQ(mig_get("added.b"), 20);
}

#if SUITE_SPLITS_STATICS
/* Whether the fixture object `name` defines the symbol `symbol`. */
static int defines(const char *name, const char *symbol)
{
    size_t size;
    unsigned char *data = slurp(obj(name), &size);
    struct hcr__elf elf;
    struct hcr__message msg;
    int found = 0;
    CHECK_EQ(hcr__elf_open(&elf, name, data, size, 0, 0, &msg), 0);
    for (size_t k = 1; k < elf.nsyms; k++)
        found |= !strcmp(hcr__elf_sym_name(&elf, &elf.syms[k]), symbol);
    free(data);
    return found;
}
#endif

/* clang -O2 names the pieces of a split static by position: version 1's
   s_inserted.1 is c, version 2's is the inserted b (mig/mig_split.c). Bound
   by name, b would take c's value and c restart from its initialiser. The
   value of c is read by the new code, from wherever the reload put it. */
TEST(a_field_inserted_before_a_split_field_keeps_that_fields_value)
{
#if SUITE_SPLITS_STATICS
    CHECK(defines("mig_v1_split.o", "s_inserted.1") && !defines("mig_v1_split.o", "s_inserted.2"));
    CHECK(defines("mig_v2_split.o", "s_inserted.1") && defines("mig_v2_split.o", "s_inserted.2"));
#endif
    split_set("a", 11);
    split_set("c", 13);
    reload("mig_v2_split.o");
    CHECK_EQ(split_version(), 2);
    CHECK_EQ(split_get("a"), 11);
    CHECK_EQ(split_get("b"), 2); /* the new initialiser */
    CHECK_EQ(split_get("c"), 13);
    /* The next reload finds every field where this one left it. */
    split_set("b", 22);
    split_set("c", 23);
    reload("mig_v3_split.o");
    CHECK_EQ(split_version(), 3);
    CHECK_EQ(split_get("a"), 11);
    CHECK_EQ(split_get("b"), 22);
    CHECK_EQ(split_get("c"), 23);
}

/* clang stores s_mode as a flag byte meaning 0 or 5 in version 1, and 0
   or 7 in version 3; version 2 stores it as an int. Its value goes by
   value across the encodings. */
TEST(a_static_kept_as_a_flag_keeps_its_value_across_encodings)
{
#if SUITE_SPLITS_STATICS
    CHECK(defines("mig_v1_split.o", "s_mode"));
#endif
    split_mode(1);
    CHECK_EQ(split_mode_get(), 5);
    reload("mig_v2_split.o");
    CHECK_EQ(split_mode_get(), 5); /* decoded from the flag */
    split_mode(1);
    CHECK_EQ(split_mode_get(), 7);
    reload("mig_v3_split.o");
    CHECK_EQ(split_mode_get(), 7); /* encoded into the new flag */
}

#if SUITE_SPLITS_STATICS
/* Writes fixture `name` to `out` with `patch` applied to the DIE of its
   file-scope variable `variable`, through the bytes of the file: what a
   compiler could write but clang does not. */
static void patch_fixture(const char *name, const char *variable, const char *out,
                          void (*patch)(unsigned char *file, size_t size, Dwarf_Die *die,
                                        Elf *elf))
{
    static const Dwfl_Callbacks callbacks = {
        .find_debuginfo = dwfl_standard_find_debuginfo,
        .section_address = dwfl_offline_section_address,
    };
    size_t size;
    unsigned char *file = slurp(obj(name), &size);
    Dwfl *dwfl = dwfl_begin(&callbacks);
    Dwfl_Module *mod = dwfl_report_offline(dwfl, name, obj(name), -1);
    dwfl_report_end(dwfl, NULL, NULL);
    Dwarf_Addr bias;
    Dwarf *dw = mod ? dwfl_module_getdwarf(mod, &bias) : NULL;
    Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
    CHECK(dw && elf);
    Dwarf_Off next;
    size_t header;
    Dwarf_Die cu, die;
    int found = 0;
    CHECK(dwarf_nextcu(dw, 0, &next, &header, NULL, NULL, NULL) == 0 &&
          dwarf_offdie(dw, header, &cu) && dwarf_child(&cu, &die) == 0);
    do {
        if (dwarf_tag(&die) == DW_TAG_variable && dwarf_diename(&die) &&
            !strcmp(dwarf_diename(&die), variable)) {
            patch(file, size, &die, elf);
            found = 1;
            break;
        }
    } while (dwarf_siblingof(&die, &die) == 0);
    CHECK(found);
    dwfl_end(dwfl);
    spill(out, file, size);
    free(file);
}

/* The offset in the file of a byte libdw read at `p`. */
static size_t file_offset(Elf *elf, const unsigned char *p)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        Elf_Data *d = elf_getdata(scn, NULL);
        GElf_Shdr sh;
        if (d && d->d_buf && gelf_getshdr(scn, &sh) && p >= (unsigned char *)d->d_buf &&
            p < (unsigned char *)d->d_buf + d->d_size)
            return sh.sh_offset + (size_t)(p - (unsigned char *)d->d_buf);
    }
    harness_fail(__FILE__, __LINE__, "no section holds the patched byte");
}

/* struct inserted's c moved to offset 6 (in the middle of b and c): the
   piece s_inserted.2, bytes 8..11, is then no one field. */
static void move_member_c(unsigned char *file, size_t size, Dwarf_Die *die, Elf *elf)
{
    Dwarf_Attribute attr;
    Dwarf_Die type, member;
    CHECK(dwarf_formref_die(dwarf_attr(die, DW_AT_type, &attr), &type) &&
          dwarf_child(&type, &member) == 0);
    do {
        if (!strcmp(dwarf_diename(&member), "c")) {
            CHECK(dwarf_attr(&member, DW_AT_data_member_location, &attr));
            CHECK(attr.form == DW_FORM_data1);
            size_t at = file_offset(elf, attr.valp);
            CHECK(at < size && file[at] == 8);
            file[at] = 6;
            return;
        }
    } while (dwarf_siblingof(&member, &member) == 0);
    harness_fail(__FILE__, __LINE__, "struct inserted has no member c");
}

/* The first DW_OP_piece of s_inserted's location made a DW_OP_deref_size:
   a storage the reader does not know. */
static void garble_location(unsigned char *file, size_t size, Dwarf_Die *die, Elf *elf)
{
    Dwarf_Attribute attr;
    Dwarf_Block block;
    CHECK(dwarf_attr(die, DW_AT_location, &attr) && dwarf_formblock(&attr, &block) == 0);
    for (size_t i = 0; i < block.length; i++)
        if (block.data[i] == DW_OP_piece) {
            size_t at = file_offset(elf, block.data + i);
            CHECK(at < size);
            file[at] = DW_OP_deref_size;
            return;
        }
    harness_fail(__FILE__, __LINE__, "s_inserted's location has no DW_OP_piece");
}

static void check_refused_unchanged(const char *path)
{
    int rc = hcr_object_reload(path);
    CHECK_EQ(rc, HCR_ESTATE);
    CHECK_STR_HAS(hcr_object_error(), path);
    CHECK_STR_HAS(hcr_object_error(), "s_inserted");
    CHECK_STR_HAS(hcr_object_error(), "nothing was changed");
    CHECK_EQ(split_version(), 1);
    CHECK_EQ(split_get("a"), 11);
    CHECK_EQ(split_get("c"), 13);
    reload("mig_v2_split.o"); /* the real edit still reloads */
    CHECK_EQ(split_get("c"), 13);
}

TEST(a_piece_that_is_no_one_field_of_a_changed_type_is_refused)
{
    const char *path = obj("mig_v2_split_no_field.o");
    patch_fixture("mig_v2_split.o", "s_inserted", path, move_member_c);
    split_set("a", 11);
    split_set("c", 13);
    int rc = hcr_object_reload(path);
    CHECK_EQ(rc, HCR_ESTATE);
    CHECK_STR_HAS(hcr_object_error(), "bytes 8..11 of s_inserted");
    CHECK_STR_HAS(hcr_object_error(), "s_inserted.2");
    check_refused_unchanged(path);
}

TEST(a_split_static_whose_location_cannot_be_read_is_refused)
{
    const char *path = obj("mig_v2_split_garbled.o");
    patch_fixture("mig_v2_split.o", "s_inserted", path, garble_location);
    split_set("a", 11);
    split_set("c", 13);
    check_refused_unchanged(path);
}
#endif

TEST(a_global_another_unit_names_is_refused_with_its_name)
{
    global_set("a", 5);
    int rc = hcr_object_reload(obj("mig_v2_global.o"));
    CHECK_EQ(rc, HCR_ESTATE);
    CHECK_STR_HAS(hcr_object_error(), "gstate");
    CHECK_STR_HAS(hcr_object_error(), "mig_user.c");
    CHECK_EQ(global_version(), 1); /* nothing changed */
    CHECK_EQ(global_get("a"), 5);
    CHECK_EQ(user_read(), 5002);
}

/* Reloaded with every unit that names it, the global moves; the user is
   given first, so it is linked once more after the move is registered. */
TEST(a_global_reloaded_with_every_unit_that_names_it_is_migrated)
{
    global_set("a", 5);
    global_set("b", 6);
    struct hcr__reload_item items[] = {{obj("mig_v2_user.o"), NULL, {0}},
                                       {obj("mig_v2_global.o"), NULL, {0}}};
    int rc = hcr__object_reload_batch(items, 2, 0);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "batch: %s: %s", hcr_error_name(rc), hcr_object_error());
    CHECK_EQ(global_version(), 2);
    CHECK_EQ(user_version(), 2);
    CHECK_EQ(global_get("a"), 5);
    CHECK_EQ(global_get("b"), 6);
    CHECK_EQ(global_get("added"), 30);
    CHECK_EQ(user_read(), 1005006); /* the new user, on the new storage */
    global_set("a", 7);
    CHECK_EQ(user_read(), 1007006);
}

TEST(a_file_static_whose_address_escapes_is_refused_with_its_name)
{
    CHECK_EQ(escape_through_pointer(), 5);
    int rc = hcr_object_reload(obj("mig_v2_escape.o"));
    CHECK_EQ(rc, HCR_ESTATE);
    CHECK_STR_HAS(hcr_object_error(), "s_escaped");
    CHECK_STR_HAS(hcr_object_error(), "pointer");
    CHECK_EQ(escape_version(), 1);
}

static void crash(void *arg)
{
    *(int *)arg = mig_crash();
}

/* The migration only read the old storage: reverting the reload after a
   crash resumes the old code on the old layout's values as they were. */
TEST(a_crash_after_a_migrating_reload_reverts_to_the_old_values)
{
    set_old_values();
    reload("mig_v2_state.o");
    mig_set("added.c", 80); /* the new storage */
    mig_set("fit.big", 456); /* the new storage, whatever the compiler */
    int result = 0;
    CHECK_EQ(hcr_object_protect(crash, &result), HCR_ECRASH);
    CHECK_EQ(mig_version(), 1);
#if SUITE_SPLITS_STATICS
    /* clang -O2 split s_added into one variable per field: a and c kept
       their type and stay bound to the program's pieces (README, object
       mode), shared by both versions like any variable whose layout did not
       change: what the crashed code and the test wrote there stays. */
    CHECK_EQ(mig_get("added.a"), 999);
    CHECK_EQ(mig_get("added.c"), 80);
#else
    CHECK_EQ(mig_get("added.a"), 11);
    CHECK_EQ(mig_get("added.c"), 13);
#endif
    CHECK_EQ(mig_get("swapped.x"), 15);
    CHECK_EQ(mig_get("removed.gone"), 11);
    CHECK_EQ(mig_get("fit.big"), 123);
    CHECK_EQ(mig_get("unfit.big"), 1LL << 40);
    /* The revert forgot the new storage: the same edit again migrates
       from the old values, not from those the crashed code left. */
    mig_set("added.a", 12);
    reload("mig_v2_state.o");
    CHECK_EQ(mig_get("added.a"), 12);
#if SUITE_SPLITS_STATICS
    CHECK_EQ(mig_get("added.c"), 80);
#else
    CHECK_EQ(mig_get("added.c"), 13);
#endif
    CHECK_EQ(mig_get("fit.big"), 123);
}


/* ---- a busy thread while the values move -------------------------------- */

static struct {
    atomic_int stop;
    atomic_long calls; /* busy_bump calls that returned */
} busy;

static void *bump_until_stopped(void *arg)
{
    (void)arg;
    while (!atomic_load(&busy.stop)) {
        busy_bump();
        atomic_fetch_add(&busy.calls, 1);
    }
    return NULL;
}

static void wait_calls(long at_least)
{
    for (int waited = 0; atomic_load(&busy.calls) < at_least; waited++) {
        if (waited > harness_scale(20000))
            harness_fail(__FILE__, __LINE__, "the busy thread stopped calling");
        harness_sleep_ms(1);
    }
}

/* The value moves with the other threads paused: every call of the old
   code made before the switch is in the value the new code starts from.
   Only a call running at the pause may finish on the old storage. Were
   the value copied while the thread ran, the calls made while the unit's
   other functions were switched would be lost. */
TEST(a_busy_thread_loses_no_write_while_the_values_move)
{
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, bump_until_stopped, NULL), 0);
    wait_calls(10000);
    reload("mig_v2_busy.o");
    long after = atomic_load(&busy.calls);
    wait_calls(after + 10000); /* the thread runs the new code now */
    atomic_store(&busy.stop, 1);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(busy_version(), 2);
    CHECK_EQ(busy_added(), 64); /* the new layout's field, its initialiser */
    long calls = atomic_load(&busy.calls);
    long count = busy_bump(); /* one more, by the new code */
    if (count < calls || count > calls + 1)
        harness_fail(__FILE__, __LINE__, "%ld calls returned, the new code counts %ld: %ld "
                     "writes lost", calls + 1, count, calls + 1 - count);
}

/* A library binds its references to a global of the program when it is
   loaded, through its own GOT, which no scan of the program sees: the
   global cannot move, and the library is named. */
TEST(a_global_a_library_names_is_refused_with_the_library)
{
    CHECK_EQ(libuser_read(), 5);
    int rc = hcr_object_reload(obj("mig_v2_libglobal.o"));
    CHECK_EQ(rc, HCR_ESTATE);
    CHECK_STR_HAS(hcr_object_error(), "lib_named");
    CHECK_STR_HAS(hcr_object_error(), "libmig_libuser");
    CHECK_EQ(libglobal_version(), 1);
    CHECK_EQ(libglobal_get(), 5);
}
