/*
 * test_object.c: hcr_object_reload end to end on the test program itself
 * (prog/, built into this executable with the reload flags): edited
 * translation units are reloaded and the program is checked to run the new
 * code with every variable keeping its value; bad objects fail with a clear
 * error and leave the old code running.
 */
#include "harness.h"
#include "object/object.h"
#include "object_util.h"
#include "objlib.h"
#include "prog.h"

#include <hcr.h>
#include <pthread.h>
#include <unistd.h>

static void reload(const char *name)
{
    int rc = hcr_object_reload(obj(name));
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "reload of %s: %s: %s", name, hcr_error_name(rc),
                     hcr_object_error());
}

TEST(counter_and_file_static_written_by_immediate_stores_keep_one_copy)
{
    CHECK_EQ(a_bump(), 1);
    CHECK_EQ(a_bump(), 2);
    CHECK_EQ(counter, 2);
    CHECK_EQ(a_total(), 7);
    reload("v2_prog_a.o");
    CHECK_EQ(counter, 2);
    CHECK_EQ(a_total(), 7);
    a_set(); /* new code: movl $300 / $400 */
    CHECK_EQ(counter, 300);
    CHECK_EQ(b_counter(), 300); /* read by code that was not reloaded */
    CHECK_EQ(a_total(), 400);
    CHECK_EQ(a_bump(), 12); /* function-local static kept, new step */
    CHECK_EQ(counter, 310);
    CHECK_EQ(a_total(), 410);
}

/* The same edit built without -fdata-sections: its statics share .data and
   .bss, and the code refers to them as section + offset, with an
   immediate after the displacement in `movl $400, total(%rip)`. Each
   reference must still reach the program's own variable, and the new
   variables their fresh storage. */
TEST(statics_sharing_one_data_section_keep_their_values)
{
    CHECK_EQ(a_bump(), 1);
    CHECK_EQ(a_bump(), 2);
    CHECK_EQ(a_total(), 7);
    CHECK_EQ(a_hits(), 2);
    reload("nods_prog_a.o");
    CHECK_EQ(counter, 2);
    CHECK_EQ(a_total(), 7);
    CHECK_EQ(a_hits(), 2);
    a_set(); /* new code: movl $300, counter / movl $400, total */
    CHECK_EQ(counter, 300);
    CHECK_EQ(b_counter(), 300);
    CHECK_EQ(a_total(), 400);
    CHECK_EQ(a_bump(), 12); /* function-local static kept, new step */
    CHECK_EQ(a_hits(), 12);
    CHECK_EQ(a_total(), 410);
    CHECK_EQ(a_probe(), 101); /* new variables initialised, new constructor ran */
    CHECK_EQ(a_version(), 2);
}

TEST(statics_of_the_same_name_in_two_files_stay_apart)
{
    a_bump();
    b_twice(1);
    b_twice(1);
    reload("v2_prog_a.o");
    CHECK_EQ(a_hits(), 1);
    CHECK_EQ(b_hits(), 2);
    a_bump();
    CHECK_EQ(a_hits(), 11);
    CHECK_EQ(b_hits(), 2);
    reload("v2_prog_b.o");
    b_twice(1);
    CHECK_EQ(b_hits(), 3);
    CHECK_EQ(a_hits(), 11);
}

TEST(function_local_statics_match_by_function_not_by_number)
{
    CHECK_EQ(b_seq(), 1);
    CHECK_EQ(b_seq(), 2);
    CHECK_EQ(b_other(), 101);
    reload("v2_prog_b.o"); /* a new function's static renumbers count.N */
    CHECK_EQ(b_seq(), 30);
    CHECK_EQ(b_other(), 1020);
    reload("v1_prog_b.o");
    CHECK_EQ(b_seq(), 4);
    CHECK_EQ(b_other(), 103);
}

TEST(new_code_calls_far_libraries_and_is_called_back)
{
    int v[] = {5, 2, 9, 1};
    CHECK_EQ(b_strlen("hello"), 5);
    CHECK_EQ(b_sort_first(v, 4), 1);
    reload("v2_prog_b.o");
    CHECK_EQ(b_strlen("hello"), 10); /* strlen is an IFUNC of libc */
    CHECK_EQ(b_sort_first(v, 4), 9); /* qsort calls the new comparator */
}

TEST(files_with_the_same_base_name_keep_their_own_statics)
{
    one_raise();
    two_raise();
    two_raise();
    reload("v2_one_util.o");
    CHECK_EQ(one_level(), 1002);
    CHECK_EQ(two_level(), 52);
    one_raise();
    CHECK_EQ(one_level(), 1004);
    CHECK_EQ(two_level(), 52);
}

TEST(a_static_function_made_global_is_the_same_function)
{
    int (*helper)(void) = two_helper_address();
    CHECK_EQ(helper(), 5);
    reload("v2_two_util.o");
    CHECK_EQ(helper(), 6);
    CHECK(two_helper_address() != helper); /* the new copy's own entry */
    CHECK_EQ(two_helper_address()(), 6);
}

TEST(new_code_brings_its_strings_and_switch_tables)
{
    CHECK_STR_HAS(a_word(3), "three");
    reload("v2_prog_a.o");
    CHECK_STR_HAS(a_word(0), "ZERO");
    CHECK_STR_HAS(a_word(3), "THREE");
    CHECK_STR_HAS(a_word(7), "SEVEN");
    CHECK_STR_HAS(a_word(42), "MANY");
}

TEST(function_pointers_taken_before_the_reload_reach_the_new_code)
{
    int (*volatile version)(void) = a_version;
    const char *(*volatile word)(int) = a_word;
    CHECK_EQ(version(), 1);
    reload("v2_prog_a.o");
    CHECK_EQ(version(), 2);
    CHECK_STR_HAS(word(1), "ONE");
}

TEST(recursion_runs_the_new_code_all_the_way)
{
    CHECK_EQ(a_fact(5), 120);
    reload("v2_prog_a.o");
    CHECK_EQ(a_fact(5), 240);
}

TEST(calls_across_files_reach_new_code_both_ways)
{
    CHECK_EQ(b_calls_a(), 10);
    CHECK_EQ(a_calls_b(4), 9);
    reload("v2_prog_a.o");
    CHECK_EQ(b_calls_a(), 20);  /* old prog_b.c calls new prog_a.c */
    CHECK_EQ(a_calls_b(4), 10); /* new prog_a.c calls old prog_b.c */
    reload("v2_prog_b.o");
    CHECK_EQ(b_calls_a(), 200);
    CHECK_EQ(a_calls_b(4), 14);
}

TEST(a_new_global_gets_its_initialiser_and_a_removed_function_stays)
{
    reload("v2_prog_a.o");
    CHECK_EQ(a_version(), 2); /* 42 / 21 from the new global */
    CHECK_EQ(a_removed(), 7);
}

TEST(what_a_reload_added_is_kept_by_the_next_reload)
{
    reload("v2_prog_a.o");
    CHECK_EQ(a_probe(), 101);
    reload("v2_prog_a.o");
    CHECK_EQ(a_probe(), 101);
    reload("v1_prog_a.o");
    CHECK_EQ(a_version(), 1);
    reload("v2_prog_a.o");
    CHECK_EQ(a_version(), 2);
    CHECK_EQ(a_probe(), 101);
}

TEST(constructors_run_only_for_new_functions)
{
    int *table = a_table;
    CHECK_EQ(a_probe(), 1);
    reload("v2_prog_a.o");
    CHECK_EQ(a_probe(), 101); /* the new constructor ran once; a_init did not */
    CHECK(a_table == table);
    CHECK_EQ(a_table_sum(), 360);
    reload("v2_prog_a.o");
    CHECK_EQ(a_probe(), 101); /* a_late_init now exists: not run again */
}

static pthread_barrier_t tls_barrier;

static void *tls_thread(void *arg)
{
    (void)arg;
    a_tls_set(7);
    pthread_barrier_wait(&tls_barrier); /* main reloads */
    pthread_barrier_wait(&tls_barrier);
    return (void *)(intptr_t)a_tls_get();
}

TEST(thread_locals_keep_their_value_in_every_thread)
{
    pthread_t t;
    void *result;
    pthread_barrier_init(&tls_barrier, NULL, 2);
    CHECK_EQ(pthread_create(&t, NULL, tls_thread, NULL), 0);
    a_tls_set(5);
    pthread_barrier_wait(&tls_barrier);
    reload("v2_prog_a.o");
    pthread_barrier_wait(&tls_barrier);
    pthread_join(t, &result);
    CHECK_EQ((intptr_t)result, 1021);
    CHECK_EQ(a_tls_get(), 1015);
    CHECK_EQ(a_tls, 5);
}

TEST(objects_without_function_sections_reload)
{
    b_twice(1);
    reload("nofs_prog_b.o");
    CHECK_EQ(b_version(), 2);
    CHECK_EQ(b_twice(4), 12);
    CHECK_EQ(b_hits(), 2);
}

TEST(the_same_file_reloaded_100_times)
{
    for (int i = 0; i < 100; i++) {
        reload(i % 2 ? "v1_prog_a.o" : "v2_prog_a.o");
        CHECK_EQ(a_version(), i % 2 ? 1 : 2);
        a_bump();
    }
    CHECK_EQ(counter, 50 * 10 + 50 * 1);
    CHECK_EQ(a_probe(), 1); /* version 1 of a_probe */
    reload("v2_prog_a.o");
    /* a_late_runs, new in the first reload, kept its storage through the
       later ones, and its constructor ran once. */
    CHECK_EQ(a_probe(), 101);
}

static int reload_meanwhile(void)
{
    int rc = hcr_object_reload(obj("v2_prog_b.o"));
    if (rc == HCR_EBUSY && !SUITE_HAS_PADS) {
        /* Built without pads, b_call may start with a call whose return
           address lies in the bytes its redirecting jump replaces (clang:
           push; call *%rdi): while that call runs, the reload must fail
           cleanly, naming it, and work once it has returned. */
        CHECK_STR_HAS(hcr_object_error(), "b_call");
        CHECK_STR_HAS(hcr_object_error(), "is in a call made from the first");
        CHECK_EQ(b_version(), 1);
        return 200;
    }
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "reload: %s: %s", hcr_error_name(rc),
                     hcr_object_error());
    return 100;
}

static int plain(void)
{
    return 100;
}

TEST(a_function_on_the_stack_finishes_in_its_old_code)
{
    /* b_call is running (version 1) when it is replaced: it returns
       through its old code; the next call runs version 2. */
    int first = b_call(reload_meanwhile);
    if (first == 201) /* refused while on the stack: reload now */
        reload("v2_prog_b.o");
    else
        CHECK_EQ(first, 101);
    CHECK_EQ(b_call(plain), 102);
}

/* ---- failures: a clear error naming the object, old code untouched ---- */

static void check_failed_reload(const char *path, int expected, const char *detail)
{
    int rc = hcr_object_reload(path);
    if (rc != expected)
        harness_fail(__FILE__, __LINE__, "%s: expected %s, got %s: %s", path,
                     hcr_error_name(expected), hcr_error_name(rc), hcr_object_error());
    CHECK_STR_HAS(hcr_object_error(), path);
    if (detail)
        CHECK_STR_HAS(hcr_object_error(), detail);
    CHECK_EQ(a_version(), 1);
    CHECK_EQ(b_version(), 1);
    CHECK_STR_HAS(a_word(2), "two");
}

TEST(a_missing_object_is_a_clean_error)
{
    check_failed_reload(harness_path("nothing.o"), HCR_ENOENT, NULL);
}

TEST(a_truncated_object_is_a_clean_error)
{
    size_t size;
    unsigned char *data = slurp(obj("v2_prog_a.o"), &size);
    spill(harness_path("truncated.o"), data, size / 2);
    check_failed_reload(harness_path("truncated.o"), HCR_ETRUNC, NULL);
    spill(harness_path("empty.o"), data, 0);
    check_failed_reload(harness_path("empty.o"), HCR_ETRUNC, NULL);
    free(data);
}

TEST(a_corrupt_object_is_a_clean_error)
{
    size_t size;
    unsigned char *data = slurp(obj("v2_prog_a.o"), &size);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)data;
    eh->e_shstrndx = (Elf64_Half)(eh->e_shnum + 3);
    spill(harness_path("corrupt.o"), data, size);
    check_failed_reload(harness_path("corrupt.o"), HCR_ECORRUPT, NULL);
    memcpy(data, "\x7f" "ELG", 4);
    spill(harness_path("notelf.o"), data, size);
    check_failed_reload(harness_path("notelf.o"), HCR_ENOEXEC, NULL);
    free(data);
}

TEST(an_object_for_another_architecture_is_a_clean_error)
{
    size_t size;
    unsigned char *data = slurp(obj("v2_prog_a.o"), &size);
    ((Elf64_Ehdr *)data)->e_machine = EM_AARCH64;
    spill(harness_path("arm.o"), data, size);
    check_failed_reload(harness_path("arm.o"), HCR_EARCH, NULL);
    free(data);
}

TEST(an_unknown_symbol_is_a_clean_error)
{
    check_failed_reload(obj("bad_prog_a.o"), HCR_ENOSYM, "hcr_test_nowhere");
}

TEST(an_unknown_relocation_type_is_a_clean_error)
{
    size_t size;
    unsigned char *data = slurp(obj("v2_prog_b.o"), &size);
    struct hcr__elf elf;
    struct hcr__message msg;
    CHECK_EQ(hcr__elf_open(&elf, "v2_prog_b.o", data, size, EM_X86_64, ET_REL, &msg), 0);
    size_t changed = 0;
    for (size_t i = 1; i < elf.shnum && !changed; i++) {
        size_t n;
        if (elf.shdrs[i].sh_type == SHT_RELA &&
            /* .rela.text without -ffunction-sections */
            !strncmp(hcr__elf_section_name(&elf, i), ".rela.text", 10) &&
            hcr__elf_rela(&elf, i, &n) && n) {
            Elf64_Rela *r = (Elf64_Rela *)(data + elf.shdrs[i].sh_offset);
            r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), 200);
            changed = 1;
        }
    }
    CHECK(changed);
    spill(harness_path("reloc.o"), data, size);
    check_failed_reload(harness_path("reloc.o"), HCR_ERELOC, "type 200");
    free(data);
}

/* hits, an int, became a long long: it moves to new storage with its
   value (it is a file static whose address the program never takes). The
   new b_hits adds 1000, so the value read is the new code's. */
TEST(a_file_static_that_changed_size_is_migrated)
{
    b_twice(1);
    b_twice(1);
    b_twice(1);
    CHECK_EQ(b_hits(), 3);
    reload("bad_size_prog_b.o");
    CHECK_EQ(b_hits(), 1003);
    b_twice(1);
    CHECK_EQ(b_hits(), 1004);
}

/* Without debug information there is nothing to migrate it by. */
TEST(a_variable_that_changed_size_without_debug_information_is_a_clean_error)
{
    check_failed_reload(obj("nog_size_prog_b.o"), HCR_ESTATE, "hits");
}

TEST(a_name_only_one_file_defines_as_a_local_resolves_to_it)
{
    reload("local_ref.o");
    CHECK_EQ(b_version(), 41); /* prog_a.c's a_ready, set by its constructor */
}

TEST(a_name_several_files_define_as_locals_is_a_clean_error)
{
    check_failed_reload(obj("bad_local_ambiguous.o"), HCR_ENOSYM, "level");
}

TEST(a_new_thread_local_is_a_clean_error)
{
    check_failed_reload(obj("bad_tls_new.o"), HCR_ENOTSUP, "b_new_tls");
}

TEST(objects_built_without_what_hcr_needs_are_a_clean_error)
{
    check_failed_reload(obj("lto_prog_b.o"), HCR_EFLAGS, "-flto");
    check_failed_reload(obj("nog_prog_b.o"), HCR_EFLAGS, "-g"); /* function-local statics */
    check_failed_reload(obj("nog_one_util.o"), HCR_ENOSYM, "-g"); /* two files named util.c */
}

/* Edited units built without the recommended flags reload and run: their
   functions are redirected by a jump over their first bytes. */
static void check_reloads_new_code(const char *name)
{
    b_twice(1);
    reload(name);
    CHECK_EQ(b_version(), 2);
    CHECK_EQ(b_twice(4), 12);
    CHECK_EQ(b_hits(), 2);
    /* Reloading the reloaded unit rewrites the copy's own first bytes. */
    reload("v2_prog_b.o");
    CHECK_EQ(b_version(), 2);
    CHECK_EQ(b_twice(5), 15);
    CHECK_EQ(b_hits(), 3);
}

TEST(an_object_without_patchable_entries_reloads)
{
    check_reloads_new_code("nopad_prog_b.o");
}

TEST(an_object_with_cet_entries_reloads)
{
    check_reloads_new_code("cet_prog_b.o");
}

TEST(a_function_whose_loop_starts_at_its_entry)
{
    struct loop_node tail = {NULL, 21}, head = {&tail, 1};
    int rc = hcr_object_reload(obj("v2_loop.o"));
    if (SUITE_LOOP_AT_ENTRY) {
        /* Without pads the jump would replace the loop's head: refused by
           name, nothing changed. */
        CHECK_EQ(rc, HCR_ENOTSUP);
        CHECK_STR_HAS(hcr_object_error(), "loop_last");
        CHECK_STR_HAS(hcr_object_error(), "a loop starts at its entry");
        CHECK_EQ(loop_version(), 1);
        CHECK_EQ(loop_last(&head), 21);
    } else {
        if (rc != 0)
            harness_fail(__FILE__, __LINE__, "%s: %s", hcr_error_name(rc), hcr_object_error());
        CHECK_EQ(loop_version(), 2);
        CHECK_EQ(loop_last(&head), 42);
    }
}

int test_unpadded(void);

/* noipa: the call must not be replaced by the value the compiler knows. */
__attribute__((noipa)) int test_unpadded(void)
{
    return 1;
}

TEST(a_program_function_built_without_the_flags_is_redirected)
{
    CHECK_EQ(test_unpadded(), 1);
    reload("bad_unpadded.o");
    CHECK_EQ(test_unpadded(), 2);
}

#ifdef HAVE_CLANG_OBJECT
TEST(an_object_built_by_clang_reloads)
{
    check_reloads_new_code("clang_prog_b.o");
}
#endif

TEST(bad_arguments_are_a_clean_error)
{
    CHECK_EQ(hcr_object_reload(NULL), HCR_EINVAL);
    CHECK_EQ(hcr_object_reload(""), HCR_EINVAL);
    CHECK_EQ(hcr_object_reload(harness_tmpdir()), HCR_EISDIR);
    CHECK_EQ(a_version(), 1);
}

TEST(a_failed_reload_leaves_the_previous_reload_running)
{
    reload("v2_prog_a.o");
    CHECK_EQ(hcr_object_reload(obj("bad_prog_a.o")), HCR_ENOSYM);
    CHECK_EQ(a_version(), 2);
    CHECK_STR_HAS(a_word(2), "TWO");
}

/* ---- several objects in one transaction (live editing's header edits) ---- */

TEST(objects_of_one_reload_go_live_together_or_not_at_all)
{
    struct hcr__reload_item bad[2] = {{obj("v2_prog_b.o"), "prog_b.c", {0}},
                                      {obj("bad_prog_a.o"), "prog_a.c", {0}}};
    CHECK_EQ(hcr__object_reload_batch(bad, 2, 0), HCR_ENOSYM);
    CHECK_STR_HAS(hcr_object_error(), "bad_prog_a.o");
    CHECK_EQ(b_version(), 1); /* linked first, never switched in */
    CHECK_EQ(b_calls_a(), 10);
    CHECK_EQ(a_version(), 1);
    CHECK_EQ(bad[0].stats.redirected, 0);

    struct hcr__reload_item good[2] = {{obj("v2_prog_b.o"), "prog_b.c", {0}},
                                       {obj("v2_prog_a.o"), "prog_a.c", {0}}};
    CHECK_EQ(hcr__object_reload_batch(good, 2, 0), 0);
    CHECK_EQ(b_version(), 2);
    CHECK_EQ(a_version(), 2);
    CHECK_EQ(b_calls_a(), 200);
    CHECK(good[0].stats.redirected > 0);
    CHECK(good[1].stats.redirected > 0);
    CHECK_EQ(a_probe(), 101); /* prog_a.c's new constructor ran */
}

TEST(an_object_binds_to_what_another_of_its_reload_adds_in_any_order)
{
    /* Alone, prog_b.c's edit names a variable the program does not have. */
    CHECK_EQ(hcr_object_reload(obj("fresh_prog_b.o")), HCR_ENOSYM);
    CHECK_STR_HAS(hcr_object_error(), "a_fresh");
    CHECK_EQ(b_version(), 1);
    struct hcr__reload_item items[2] = {{obj("fresh_prog_b.o"), "prog_b.c", {0}},
                                        {obj("v2_prog_a.o"), "prog_a.c", {0}}};
    CHECK_EQ(hcr__object_reload_batch(items, 2, 0), 0);
    CHECK_EQ(b_version(), 42); /* prog_a.c's new a_fresh, initialised */
    CHECK_EQ(a_version(), 2);
}

/* A log sink that reloads: sinks run after the reload lock is released. */
static int sink_reloads;

static void reloading_sink(enum hcr_log_level level, const char *line, void *user)
{
    (void)level;
    (void)user;
    if (sink_reloads++ == 0 && strstr(line, "v2_prog_b.o"))
        CHECK_EQ(hcr_object_reload(obj("v2_prog_a.o")), 0);
}

TEST(a_log_sink_may_reload)
{
    hcr_set_log(reloading_sink, NULL);
    reload("v2_prog_b.o");
    hcr_set_log(NULL, NULL);
    CHECK(sink_reloads >= 2); /* its own line, then the nested reload's */
    CHECK_EQ(b_version(), 2);
    CHECK_EQ(a_version(), 2);
}

char ctor_reload_path[512];
int ctor_reload_status = 1;

TEST(a_new_constructor_may_reload)
{
    snprintf(ctor_reload_path, sizeof ctor_reload_path, "%s", obj("v2_prog_b.o"));
    reload("ctor_prog_a.o");
    CHECK_EQ(ctor_reload_status, 0);
    CHECK_EQ(a_version(), 2);
    CHECK_EQ(b_version(), 2);
}

/* ---- a translation unit of a shared library ---- */

static void *lib_tls_thread(void *arg)
{
    (void)arg;
    lib_tls = 9;
    pthread_barrier_wait(&tls_barrier);
    pthread_barrier_wait(&tls_barrier);
    return (void *)(intptr_t)lib_tls_get();
}

TEST(a_library_unit_reloads_with_its_state)
{
    pthread_t t;
    void *result;
    int (*volatile version)(void) = lib_version;
    CHECK_EQ(lib_bump(), 1);
    CHECK_EQ(lib_bump(), 2);
    CHECK_EQ(lib_calls_exe(), 1);
    pthread_barrier_init(&tls_barrier, NULL, 2);
    CHECK_EQ(pthread_create(&t, NULL, lib_tls_thread, NULL), 0);
    lib_tls = 5;
    pthread_barrier_wait(&tls_barrier);
    reload("v2_objlib.o");
    pthread_barrier_wait(&tls_barrier);
    pthread_join(t, &result);
    CHECK_EQ((intptr_t)result, 109);
    CHECK_EQ(lib_tls_get(), 105);
    CHECK_EQ(version(), 2);
    CHECK_EQ(lib_bump(), 12);
    CHECK_EQ(lib_total, 12);
    CHECK_EQ(lib_calls_exe(), 1000); /* the library calls into the executable */
}

/* Built without -g, a unit whose names are all unique in the program
   reloads with its state: debug information is needed only to tell
   same-named statics apart. */
TEST(a_unit_without_debug_information_reloads_when_its_names_are_unique)
{
    CHECK_EQ(lib_bump(), 1);
    CHECK_EQ(lib_bump(), 2);
    reload("nog_objlib.o");
    CHECK_EQ(lib_version(), 2);
    CHECK_EQ(lib_bump(), 12);
    CHECK_EQ(lib_total, 12);
}
