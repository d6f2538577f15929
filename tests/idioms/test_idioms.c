/*
 * test_idioms.c: the linkage idioms real C programs use, one test each,
 * reloaded in object mode. Each test builds up state, reloads the idiom's
 * edited unit (<unit>_edit.o, compiled from the same source with
 * -DHCR_EDIT) and checks that the new code runs (values the old code cannot
 * give), that every value was kept and keeps accumulating, and that files
 * not reloaded (users.c, the test itself) call the new code and see the
 * same storage.
 *
 * With IDIOMS_UNEDITED=1 in the environment every test reloads the
 * unchanged units (<unit>.o) instead, and with IDIOMS_UNEDITED=strong,ctors
 * the units named: each test must then fail at its first check of that
 * edit, which shows the checks can fail.
 */
#include "harness.h"
#include "hidlib.h"
#include "idioms.h"
#include "verlib.h"

#include <hcr.h>

/* Whether `unit` is to be reloaded unchanged: IDIOMS_UNEDITED is 1 (every
   unit) or a comma-separated list of units. */
static int unedited(const char *unit)
{
    const char *list = getenv("IDIOMS_UNEDITED");
    if (!list || !*list || !strcmp(list, "0"))
        return 0;
    if (!strcmp(list, "1"))
        return 1;
    size_t n = strlen(unit);
    for (const char *at = list; *at; at += strcspn(at, ",")) {
        at += *at == ',';
        if (!strncmp(at, unit, n) && (at[n] == ',' || !at[n]))
            return 1;
    }
    return 0;
}

/* Reloads the edited object of `unit` (or the unchanged one, see above);
   a failure ends the test with hcr's message. */
static void reload_unit(const char *unit)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s.o", OBJDIR, unit, unedited(unit) ? "" : "_edit");
    int rc = hcr_object_reload(path);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "reload of %s: %s: %s", path, hcr_error_name(rc),
                     hcr_object_error());
}

/* ---- 1 to 4: visibility ---- */

TEST(hidden_function_and_variable_by_attribute)
{
    CHECK_EQ(hidden_bump(), 6);
    CHECK_EQ(hidden_bump(), 7);
    CHECK_EQ(users_hidden_scale(2), 6);
    reload_unit("hidden");
    CHECK_EQ(hidden_bump(), 107);          /* new code, on the kept value */
    CHECK_EQ(users_hidden_counter(), 107); /* one storage for every file */
    CHECK_EQ(hidden_counter, 107);
    CHECK_EQ(users_hidden_scale(2), 60); /* a call from another file */
    CHECK_EQ(hidden_scale(2), 60);
    CHECK_EQ(hidden_bump(), 207);
    CHECK_EQ(users_hidden_counter(), 207);
}

TEST(internal_function_and_variable_by_attribute)
{
    CHECK_EQ(internal_bump(), 6);
    CHECK_EQ(internal_bump(), 7);
    CHECK_EQ(users_internal_scale(2), 8);
    reload_unit("internal");
    CHECK_EQ(internal_bump(), 107);
    CHECK_EQ(users_internal_counter(), 107);
    CHECK_EQ(internal_counter, 107);
    CHECK_EQ(users_internal_scale(2), 80);
    CHECK_EQ(internal_scale(2), 80);
    CHECK_EQ(internal_bump(), 207);
    CHECK_EQ(users_internal_counter(), 207);
}

TEST(protected_function_and_variable_by_attribute)
{
    CHECK_EQ(protected_bump(), 6);
    CHECK_EQ(protected_bump(), 7);
    CHECK_EQ(users_protected_scale(2), 10);
    reload_unit("protected");
    CHECK_EQ(protected_bump(), 107);
    CHECK_EQ(users_protected_counter(), 107);
    CHECK_EQ(protected_counter, 107);
    CHECK_EQ(users_protected_scale(2), 100);
    CHECK_EQ(protected_scale(2), 100);
    CHECK_EQ(protected_bump(), 207);
    CHECK_EQ(users_protected_counter(), 207);
}

TEST(protected_function_and_variable_in_a_library)
{
    CHECK_EQ(hidlib_prot_bump(), 10);
    CHECK_EQ(hidlib_prot_bump(), 11);
    CHECK_EQ(hidlib_peer_prot_step(), 1);
    reload_unit("hidlib");
    CHECK_EQ(hidlib_prot_bump(), 111);
    CHECK_EQ(hidlib_peer_prot_value(), 111); /* the library's other file */
    CHECK_EQ(hidlib_peer_prot_step(), 100);  /* a direct call inside the library */
    CHECK_EQ(hidlib_prot_step(), 100);       /* a call from the executable */
}

TEST(whole_file_compiled_with_fvisibility_hidden)
{
    CHECK_EQ(fvis_bump(), 6);
    CHECK_EQ(fvis_bump(), 7);
    CHECK_EQ(users_fvis_scale(2), 12);
    reload_unit("fvis");
    CHECK_EQ(fvis_bump(), 107);
    CHECK_EQ(users_fvis_counter(), 107);
    CHECK_EQ(fvis_counter, 107);
    CHECK_EQ(users_fvis_scale(2), 120);
    CHECK_EQ(fvis_scale(2), 120);
    CHECK_EQ(fvis_bump(), 207);
    CHECK_EQ(users_fvis_counter(), 207);
}

/* ---- 5, 6: weak definitions and weak references ---- */

TEST(weak_definitions_with_no_strong_one)
{
    CHECK_EQ(users_weak_only(), 1);
    CHECK_EQ(weak_only_bump(), 4);
    CHECK_EQ(weak_only_bump(), 5);
    reload_unit("weak");
    CHECK_EQ(users_weak_only(), 2);
    CHECK_EQ(weak_only(), 2);
    CHECK_EQ(weak_only_bump(), 105);
    CHECK_EQ(users_weak_only_count(), 105);
    CHECK_EQ(weak_only_count, 105);
}

TEST(weak_definitions_overridden_by_strong_ones)
{
    CHECK_EQ(weak_overridden(), 20);
    CHECK_EQ(weak_calls_overridden(), 20);
    CHECK_EQ(weak_add_shared(1), 41);
    /* The weak copies, edited: the strong ones stay in charge. */
    reload_unit("weak");
    CHECK_EQ(weak_add_shared(1), 141); /* new code, strong.c's storage */
    CHECK_EQ(strong_shared(), 141);
    CHECK_EQ(weak_shared, 141);
    CHECK_EQ(weak_calls_overridden(), 20); /* the new weak.c calls strong.c's */
    CHECK_EQ(users_weak_overridden(), 20);
    CHECK_EQ(weak_overridden(), 20);
    /* The strong ones, edited. */
    reload_unit("strong");
    CHECK_EQ(strong_shared(), 1000141);
    CHECK_EQ(users_weak_overridden(), 200);
    CHECK_EQ(weak_calls_overridden(), 200);
    /* The weak ones again: still the edited strong ones. */
    reload_unit("weak");
    CHECK_EQ(users_weak_overridden(), 200);
    CHECK_EQ(weak_calls_overridden(), 200);
    CHECK_EQ(weak_add_shared(1), 241);
    CHECK_EQ(strong_shared(), 1000241);
}

TEST(weak_references_to_defined_and_undefined_symbols)
{
    CHECK_EQ(weakref_probe(), 341);
    CHECK_EQ(weakref_probe(), 341);
    reload_unit("weakref");
    CHECK_EQ(weakref_probe(), 342); /* users.c's found, the others null */
    CHECK_EQ(weakref_calls(), 3);
}

/* ---- 7, 8: aliases, statics of the same name ---- */

TEST(aliases_of_functions_and_variables)
{
    CHECK_EQ(alias_real(1), 2);
    CHECK_EQ(users_alias_other(1), 2);
    CHECK_EQ(users_alias_weak(1), 2);
    CHECK_EQ(users_alias_of_static(3), 6);
    CHECK_EQ(alias_var_add(1), 6);
    reload_unit("alias");
    CHECK_EQ(alias_real(1), 101);
    CHECK_EQ(users_alias_other(1), 101);
    CHECK_EQ(alias_other(1), 101);
    CHECK_EQ(users_alias_weak(1), 101);
    CHECK_EQ(users_alias_of_static(3), 60);
    CHECK_EQ(alias_calls(), 7);
    CHECK_EQ(alias_var_add(1), 106);
    CHECK_EQ(users_alias_var_other(), 106);
    CHECK_EQ(alias_var, 106);
}

TEST(statics_of_the_same_names_in_two_files)
{
    CHECK_EQ(statics_a_bump(), 1);
    CHECK_EQ(statics_a_bump(), 2);
    CHECK_EQ(statics_b_bump(), 501);
    CHECK_EQ(statics_a_count(), 2);
    CHECK_EQ(statics_b_count(), 1002);
    reload_unit("statics_a");
    CHECK_EQ(statics_a_bump(), 3);
    CHECK_EQ(statics_a_count(), 12);
    CHECK_EQ(statics_b_bump(), 502); /* statics_b.c's code and statics, untouched */
    CHECK_EQ(statics_b_count(), 1004);
    reload_unit("statics_b");
    CHECK_EQ(statics_b_bump(), 503);
    CHECK_EQ(statics_b_count(), 1024);
    CHECK_EQ(statics_a_bump(), 4);
    CHECK_EQ(statics_a_count(), 22);
}

/* ---- 9, 10: function pointer tables, label address tables ---- */

TEST(functions_reached_through_tables_of_function_pointers)
{
    const struct idiom_ops *before = ops_get();
    CHECK_EQ(users_ops_public(3, 4), 7);
    CHECK_EQ(users_ops_private(3, 4), -1);
    CHECK_EQ(ops_public.calls(), 2);
    reload_unit("ops");
    CHECK_EQ(users_ops_public(3, 4), 12);  /* the program's table */
    CHECK_EQ(users_ops_private(3, 4), -5); /* the table ops_get now returns */
    CHECK_EQ(before->combine(3, 4), -5);   /* the table taken before */
    CHECK_EQ(ops_public.calls(), 1005);
    CHECK_EQ(ops_get()->calls(), 1005);
}

static const unsigned char interp_code[] = {INTERP_ADD, INTERP_ADD, INTERP_MUL, INTERP_ADD,
                                             INTERP_END};

/* The writable table is a function-local static the program keeps, holding
   addresses inside the old code. At -O2 gcc sees that nothing writes it and
   makes it read-only (.data.rel.ro), a constant of the unit; at -O0 it
   stays writable (.data.rel.local). Either way the new code must dispatch
   to its own labels. */
TEST(a_threaded_interpreter_with_a_writable_table_of_label_addresses)
{
    CHECK_EQ(interp_run(interp_code), 5);
    CHECK_EQ(interp_steps(), 4);
    reload_unit("interp");
    CHECK_EQ(interp_steps(), 4);
    CHECK_EQ(interp_run(interp_code), 70);
    CHECK_EQ(interp_steps(), 8);
}

TEST(a_threaded_interpreter_with_a_const_table_of_label_addresses)
{
    CHECK_EQ(interp_const_run(interp_code), 5);
    CHECK_EQ(interp_const_steps(), 4);
    reload_unit("interp_const");
    CHECK_EQ(interp_const_steps(), 4);
    CHECK_EQ(interp_const_run(interp_code), 70);
    CHECK_EQ(interp_const_steps(), 8);
}

/* ---- 11, 12: custom sections, common symbols ---- */

TEST(variables_in_one_custom_section_walked_by_start_and_stop)
{
    CHECK_EQ(registry_bump(), 4);
    CHECK_EQ(registry_sum(), 14); /* 2 + 3 + 4 + 5 */
    reload_unit("registry");
    CHECK_EQ(registry_sum(), 14);
    CHECK_EQ(registry_beta(), 3004); /* new code, reg_beta and reg_gamma kept */
    CHECK_EQ(registry_bump(), 4);
    CHECK_EQ(registry_sum(), 414);
    CHECK_EQ(users_registry_sum(), 414);
    CHECK_EQ(reg_alpha.value, 102);
    CHECK_EQ(registry_beta(), 103104);
}

TEST(fcommon_tentative_definitions)
{
    CHECK_EQ(common_add(2), 2);
    CHECK_EQ(common_peer_add(3), 5); /* one variable for both files */
    CHECK_EQ(common_array[0], 1);
    reload_unit("common");
    CHECK_EQ(common_add(2), 205);
    CHECK_EQ(common_peer_read(), 205);
    CHECK_EQ(common_tentative, 205);
    CHECK_EQ(common_peer_add(1), 206);
    CHECK_EQ(common_add(0), 206);
    CHECK_EQ(common_array[0], 3);
    CHECK_EQ(common_array[1], 2);
}

/* ---- 13: constructors ---- */

TEST(constructors_with_priorities)
{
    CHECK_EQ(ctors_count, 2);
    CHECK_EQ(ctors_log[0], 101);
    CHECK_EQ(ctors_log[1], 102);
    reload_unit("ctors");
    CHECK_EQ(ctors_version(), 2);
    /* The program's constructors did not run again; the new ones ran once,
       by priority, the one without priority last. */
    CHECK_EQ(ctors_count, 5);
    CHECK_EQ(ctors_log[0], 101);
    CHECK_EQ(ctors_log[1], 102);
    CHECK_EQ(ctors_log[2], 201);
    CHECK_EQ(ctors_log[3], 202);
    CHECK_EQ(ctors_log[4], 300);
    reload_unit("ctors");
    CHECK_EQ(ctors_count, 5);
}

/* ---- 14, 15: shared libraries ---- */

TEST(a_library_unit_built_with_fvisibility_hidden)
{
    CHECK_EQ(hidlib_api(1), 7);
    CHECK_EQ(hidlib_api(1), 11);
    CHECK_EQ(hidlib_peer_scale(2), 8);
    reload_unit("hidlib");
    CHECK_EQ(hidlib_peer_total(), 11);
    CHECK_EQ(hidlib_api(1), 51);
    CHECK_EQ(hidlib_peer_total(), 51); /* the library's other file */
    CHECK_EQ(hidlib_peer_scale(2), 80);
    CHECK_EQ(hidlib_api_calls(), 3);
}

TEST(symbol_versions_in_a_library)
{
    CHECK_EQ(users_ver_foo_v1(), 1);
    CHECK_EQ(users_ver_foo_v2(), 2);
    reload_unit("verlib");
    CHECK_EQ(users_ver_foo_v1(), 10);
    CHECK_EQ(users_ver_foo_v2(), 20);
    CHECK_EQ(ver_calls(), 4);
}

/* ---- 16: static inline functions of a header ---- */

TEST(a_static_inline_of_a_header_changed_for_one_file)
{
    CHECK_EQ(inline_a_add(1), 5);
    CHECK_EQ(inline_b_add(1), 1005);
    reload_unit("inline_a"); /* compiled with the changed header */
    CHECK_EQ(inline_a_add(1), 55);
    CHECK_EQ(inline_b_add(1), 1010); /* not recompiled: the old inline */
    CHECK_EQ(inline_a_add(2), 155);
}

/* ---- linkage changed by the edit, names hcr cannot bind ---- */

TEST(a_global_made_static_and_a_static_made_global)
{
    CHECK_EQ(made_static_fn(1), 6);
    CHECK_EQ(linkage_bump(), 56 + 51); /* made_global_fn(6) + 51 */
    CHECK_EQ(made_static_count, 6);
    CHECK_EQ(linkage_made_global_count(), 51);
    reload_unit("linkage");
    CHECK_EQ(made_static_fn(1), 1006); /* callers elsewhere reach the static */
    CHECK_EQ(linkage_bump(), 1106 + 2151);
    CHECK_EQ(made_static_count, 106); /* one storage, kept */
    CHECK_EQ(linkage_made_global_count(), 151);
}

TEST(a_name_the_program_has_but_hcr_cannot_bind_fails_the_reload)
{
    CHECK_EQ(renamed_bump(), 4);
    char path[512];
    snprintf(path, sizeof path, "%s/renamed_edit.o", OBJDIR);
    CHECK_EQ(hcr_object_reload(path), HCR_ENOSYM);
    CHECK_STR_HAS(hcr_object_error(), "renamed_edit.o");
    CHECK_STR_HAS(hcr_object_error(), "variable renamed_total");
    CHECK_STR_HAS(hcr_object_error(), "cannot bind");
    CHECK_EQ(renamed_bump(), 5); /* the old code, on its value */
}

TEST(a_label_table_the_program_changed_fails_the_reload)
{
    CHECK_EQ(labels_run(0, 0), 1);
    CHECK_EQ(labels_run(0, 0), 2);
    labels_run(0, 1); /* table[0] now leads to sub */
    CHECK_EQ(labels_run(0, 0), 1);
    char path[512];
    snprintf(path, sizeof path, "%s/labels_changed_edit.o", OBJDIR);
    CHECK_EQ(hcr_object_reload(path), HCR_ENOTSUP);
    CHECK_STR_HAS(hcr_object_error(), "labels_changed_edit.o");
    CHECK_STR_HAS(hcr_object_error(), "&&label");
    CHECK_EQ(labels_run(1, 0), 2); /* the old code: table[1] leads to add */
    CHECK_EQ(labels_run(0, 0), 1);
}

/* Warnings the reload logs, for the test below. */
static char warnings[4096];

static void keep_warnings(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    if (level == HCR_LOG_WARN && strlen(warnings) + strlen(message) + 2 < sizeof warnings) {
        strcat(warnings, message);
        strcat(warnings, "\n");
    }
}

TEST(functions_the_edit_no_longer_defines_are_named)
{
    CHECK_EQ(dropped_use(), 11);
    hcr_set_log(keep_warnings, NULL);
    reload_unit("dropped");
    hcr_set_log(NULL, NULL);
    CHECK_EQ(dropped_use(), 510); /* the edit took effect in its file */
    CHECK_STR_HAS(warnings, "dropped_gone, a function of the program's dropped.c");
    CHECK_STR_HAS(warnings, "dropped_inlined, a function of the program's dropped.c");
    CHECK_STR_HAS(warnings, "its callers keep its old code");
    CHECK_EQ(dropped_gone(), 1);       /* as the warning says */
    CHECK_EQ(dropped_inlined(10), 11);
}
