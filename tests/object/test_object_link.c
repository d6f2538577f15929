/*
 * test_object_link.c: the object linker alone (no redirection): objects of
 * the running program's own translation units are linked, and their new
 * functions are called at the addresses the linker gives, to check that
 * every variable binds to the program's storage, new variables get their
 * initialisers, and bad objects fail with a clear error.
 */
#include "harness.h"
#include "object_util.h"
#include "prog.h"

#include <pthread.h>

struct linked_obj {
    unsigned char *data;
    struct hcr__elf elf;
    struct hcr__linked linked;
    struct hcr__message msg;
};

/* Links the fixture `name`; returns the code and leaves msg set. */
static int link_obj(struct linked_obj *o, const char *name)
{
    size_t size;
    const char *path = obj(name);
    memset(o, 0, sizeof *o);
    o->data = slurp(path, &size);
    int rc = hcr__elf_open(&o->elf, path, o->data, size, EM_X86_64, ET_REL, &o->msg);
    if (rc < 0)
        return rc;
    struct hcr__process *p = hcr__process_get(&o->msg);
    CHECK(p != NULL);
    return hcr__link(&o->linked, &o->elf, path, p, &o->msg);
}

static void *fn(struct linked_obj *o, const char *name)
{
    for (size_t i = 0; i < o->linked.nfunctions; i++)
        if (!strcmp(o->linked.functions[i].name, name))
            return (void *)o->linked.functions[i].entry;
    harness_fail(__FILE__, __LINE__, "no function %s in the linked object", name);
}

static const struct hcr__link_function *fninfo(struct linked_obj *o, const char *name)
{
    for (size_t i = 0; i < o->linked.nfunctions; i++)
        if (!strcmp(o->linked.functions[i].name, name))
            return &o->linked.functions[i];
    return NULL;
}

TEST(globals_and_file_statics_bind_to_the_program)
{
    a_bump();
    a_bump();
    b_twice(1);
    CHECK_EQ(counter, 2);
    CHECK_EQ(a_total(), 7);
    struct linked_obj o;
    int rc = link_obj(&o, "v2_prog_a.o");
    if (rc < 0)
        harness_fail(__FILE__, __LINE__, "%s", o.msg.text);
    int (*bump)(void) = fn(&o, "a_bump");
    int (*total)(void) = fn(&o, "a_total");
    int (*hits)(void) = fn(&o, "a_hits");
    void (*set)(void) = fn(&o, "a_set");
    CHECK_EQ(bump(), 12);   /* function-local static: 2 calls, then +10 */
    CHECK_EQ(counter, 12);  /* the program's global */
    CHECK_EQ(a_total(), 17); /* old code reads what new code wrote */
    CHECK_EQ(hits(), 12);   /* prog_a.c's hits, not prog_b.c's */
    CHECK_EQ(b_hits(), 1);
    set();                  /* immediate stores from new code */
    CHECK_EQ(counter, 300);
    CHECK_EQ(a_total(), 400);
    CHECK_EQ(b_counter(), 300);
    a_set();                /* and from old code, read by new code */
    CHECK_EQ(total(), 200);
    CHECK(o.linked.bound >= 5);
}

TEST(new_code_has_its_strings_switch_tables_and_new_globals)
{
    struct linked_obj o;
    CHECK_EQ(link_obj(&o, "v2_prog_a.o"), 0);
    const char *(*word)(int) = fn(&o, "a_word");
    int (*version)(void) = fn(&o, "a_version");
    int (*fact)(int) = fn(&o, "a_fact");
    CHECK_STR_HAS(word(3), "THREE");
    CHECK_STR_HAS(word(7), "SEVEN");
    CHECK_STR_HAS(word(9), "MANY");
    CHECK_STR_HAS(a_word(3), "three");
    CHECK_EQ(version(), 2); /* a_fresh = 42, fresh storage */
    CHECK_EQ(fact(5), 240); /* recursion calls the new copy */
    CHECK_EQ(a_fact(5), 120);
}

TEST(functions_know_their_originals)
{
    struct linked_obj o;
    CHECK_EQ(link_obj(&o, "v2_prog_a.o"), 0);
    CHECK_EQ(fninfo(&o, "a_bump")->original, (uintptr_t)a_bump);
    CHECK_EQ(fninfo(&o, "a_version")->original, (uintptr_t)a_version);
    CHECK_EQ(fninfo(&o, "a_bump")->patchable, SUITE_HAS_PADS);
    CHECK(fninfo(&o, "a_removed") == NULL);
    const struct hcr__link_function *half = fninfo(&o, "a_fresh_half");
    if (half) /* inlined away at -O2 */
        CHECK_EQ(half->original, 0);
}

TEST(only_new_constructors_are_listed)
{
    struct linked_obj o;
    CHECK_EQ(link_obj(&o, "v2_prog_a.o"), 0);
    CHECK_EQ(o.linked.nconstructors, 1);
    CHECK_EQ(o.linked.constructors[0], (uintptr_t)fn(&o, "a_late_init"));
    CHECK_EQ(a_probe(), 1);
    CHECK_EQ(a_table_sum(), 36);
}

static void *tls_thread(void *arg)
{
    int (*get)(void) = arg;
    a_tls_set(7);
    return (void *)(intptr_t)get();
}

TEST(thread_locals_keep_their_per_thread_values)
{
    struct linked_obj o;
    CHECK_EQ(link_obj(&o, "v2_prog_a.o"), 0);
    int (*get)(void) = fn(&o, "a_tls_get");
    void (*set)(int) = fn(&o, "a_tls_set");
    a_tls_set(5);
    CHECK_EQ(get(), 1015);
    pthread_t t;
    void *result;
    CHECK_EQ(pthread_create(&t, NULL, tls_thread, (void *)get), 0);
    pthread_join(t, &result);
    CHECK_EQ((intptr_t)result, 1021);
    CHECK_EQ(get(), 1015);
    set(9);
    CHECK_EQ(a_tls, 9);
    CHECK_EQ(a_tls_get(), 27);
}

TEST(files_with_the_same_base_name_are_told_apart)
{
    one_raise();
    two_raise();
    two_raise();
    struct linked_obj o;
    int rc = link_obj(&o, "v2_one_util.o");
    if (rc < 0)
        harness_fail(__FILE__, __LINE__, "%s", o.msg.text);
    int (*level)(void) = fn(&o, "one_level");
    CHECK_EQ(level(), 1002);
    CHECK_EQ(two_level(), 52);
    CHECK_EQ(fninfo(&o, "one_level")->original, (uintptr_t)one_level);
}

TEST(objects_without_function_sections_link)
{
    struct linked_obj o;
    int rc = link_obj(&o, "nofs_prog_b.o");
    if (rc < 0)
        harness_fail(__FILE__, __LINE__, "%s", o.msg.text);
    int (*twice)(int) = fn(&o, "b_twice");
    CHECK_EQ(twice(4), 12);
    CHECK_EQ(b_hits(), 1);
    CHECK_EQ(fninfo(&o, "b_twice")->original, (uintptr_t)b_twice);
}

TEST(objects_without_data_sections_bind_each_variable)
{
    struct linked_obj o;
    a_bump();
    int rc = link_obj(&o, "nods_prog_a.o");
    if (rc < 0)
        harness_fail(__FILE__, __LINE__, "%s", o.msg.text);
    int (*total)(void) = fn(&o, "a_total");
    int (*hits)(void) = fn(&o, "a_hits");
    CHECK_EQ(total(), 6); /* the program's `total`, at .bss/.data + offset */
    CHECK_EQ(hits(), 1);
    void (*set)(void) = (void (*)(void))fn(&o, "a_set");
    set();
    CHECK_EQ(a_total(), 400); /* written by the new code into the program's copy */
    CHECK_EQ(counter, 300);
}

TEST(objects_without_patchable_entries_link_without_pads)
{
    struct linked_obj o;
    CHECK_EQ(link_obj(&o, "nopad_prog_b.o"), 0);
    size_t redirectable = 0;
    for (size_t i = 0; i < o.linked.nfunctions; i++) {
        CHECK(!o.linked.functions[i].patchable);
        redirectable += o.linked.functions[i].original != 0;
    }
    CHECK(redirectable > 3);
    hcr__link_discard(&o.linked);
    free(o.data);
}

TEST(unknown_symbols_fail_with_their_name)
{
    struct linked_obj o;
    CHECK_EQ(link_obj(&o, "bad_prog_a.o"), HCR_ENOSYM);
    CHECK_STR_HAS(o.msg.text, "bad_prog_a.o");
    CHECK_STR_HAS(o.msg.text, "hcr_test_nowhere");
}

TEST(new_thread_locals_are_refused)
{
    struct linked_obj o;
    CHECK_EQ(link_obj(&o, "bad_tls_new.o"), HCR_ENOTSUP);
    CHECK_STR_HAS(o.msg.text, "b_new_tls");
}

TEST(sandbox_links_without_a_process)
{
    size_t size;
    const char *path = obj("v2_prog_a.o");
    unsigned char *data = slurp(path, &size);
    struct hcr__elf elf;
    struct hcr__message msg;
    CHECK_EQ(hcr__elf_open(&elf, path, data, size, EM_X86_64, ET_REL, &msg), 0);
    struct hcr__linked l;
    int rc = hcr__link(&l, &elf, path, NULL, &msg);
    if (SUITE_NO_PIE) {
        /* Code built -fno-pie addresses its data with 32-bit absolute
           fields: without a program to place it beside (in the low 2 GB),
           it is out of their reach, and says so. */
        CHECK_EQ(rc, HCR_ERELOC);
        CHECK_STR_HAS(msg.text, "R_X86_64_32");
        CHECK_STR_HAS(msg.text, "out of the field's reach");
        free(data);
        return;
    }
    if (rc < 0)
        harness_fail(__FILE__, __LINE__, "%s", msg.text);
    CHECK(l.nfunctions > 5);
    hcr__link_discard(&l);
    free(data);
}
