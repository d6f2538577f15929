/*
 * test_patch.c: redirecting real functions (compiled into this executable
 * with hot-patch pads, see patch_subjects.c) through the patcher: to
 * another version and back, twice in a row, reverts, function pointers
 * taken before, refusal of code without pads, and writes that leave no page
 * writable and executable.
 */
#include "harness.h"
#include "object/patch.h"
#include "patch_subjects.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Calls through a pointer the compiler cannot see through. */
static int call(int (*volatile fn)(int), int x)
{
    return fn(x);
}

/* The code bytes of fn, hidden from the compiler's object-size tracking. */
static const unsigned char *code(int (*fn)(int))
{
    uintptr_t a = (uintptr_t)fn;
    __asm__("" : "+r"(a));
    return (const unsigned char *)a;
}

static struct hcr__patch_target *target(int (*fn)(int), const char *name)
{
    struct hcr__message msg = {{0}};
    struct hcr__patch_target *t;
    if (hcr__patch_target_get((void *)fn, 0, name, &t, &msg) < 0)
        harness_fail(__FILE__, __LINE__, "target %s: %s", name, msg.text);
    return t;
}

static void set(struct hcr__patch_target *t, int (*fn)(int))
{
    struct hcr__message msg = {{0}};
    int rc = hcr__patch_target_set(t, (void *)fn, &msg);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "set %s: %d %s", hcr__patch_target_name(t), rc, msg.text);
}

/* No mapping of the process is writable and executable at once. */
static void check_no_wx_mapping(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char perms[8] = "";
        if (sscanf(line, "%*s %7s", perms) == 1 && perms[1] == 'w' && perms[2] == 'x')
            harness_fail(__FILE__, __LINE__, "writable and executable: %s", line);
    }
    fclose(f);
}

TEST(redirect_to_another_function_and_back)
{
    struct hcr__patch_target *t = target(subject_f, "subject_f");
    CHECK(hcr__patch_target_find((void *)subject_f) == t);
    CHECK(hcr__patch_target_find((void *)subject_g) == NULL);
    CHECK_EQ(subject_f(10), 11);
    set(t, subject_g);
    CHECK_EQ(subject_f(10), 12);
    CHECK_EQ(subject_g(10), 12);
    CHECK(hcr__patch_target_current(t) == (void *)subject_g);
    CHECK(hcr__patch_entry_redirected(t, (void *)subject_f));
    CHECK(!hcr__patch_entry_redirected(t, (void *)subject_g));
    /* The pre-entry pad of f jumps somewhere within 2 GiB; the entry jumps
       back to the pad. */
    const unsigned char *e = code(subject_f);
    CHECK_EQ(e[-5], 0xe9);
    CHECK_EQ(e[0], 0xeb);
    check_no_wx_mapping();

    set(t, subject_f);
    CHECK_EQ(subject_f(10), 11);
    CHECK_EQ(subject_g(10), 11); /* g is an old version of f now */
    CHECK(!hcr__patch_entry_redirected(t, (void *)subject_f));
    CHECK(hcr__patch_entry_redirected(t, (void *)subject_g));
    CHECK_EQ(e[0], 0x90);
    struct hcr__patch_target *again;
    CHECK_EQ(hcr__patch_target_get((void *)subject_f, 0, "again", &again, &(struct hcr__message){{0}}), 0);
    CHECK(again == t);
}

TEST(entry_patched_twice_has_no_chain)
{
    struct hcr__patch_target *t = target(subject_f, "subject_f");
    set(t, subject_g);
    set(t, subject_h);
    CHECK_EQ(subject_f(0), 3);
    CHECK_EQ(subject_g(0), 3);
    CHECK_EQ(subject_h(0), 3);
    /* f and g both jump to the same trampoline, not f to g. */
    const unsigned char *f = code(subject_f) - 5;
    const unsigned char *g = code(subject_g) - 5;
    int32_t df, dg;
    memcpy(&df, f + 1, 4);
    memcpy(&dg, g + 1, 4);
    CHECK_EQ((uintptr_t)f + 5 + (intptr_t)df, (uintptr_t)g + 5 + (intptr_t)dg);
    set(t, subject_k);
    CHECK_EQ(subject_f(0), 4);
    CHECK_EQ(subject_g(0), 4);
    CHECK_EQ(subject_h(0), 4);
    CHECK_EQ(subject_k(0), 4);
}

TEST(revert_step_by_step)
{
    struct hcr__patch_target *t = target(subject_f, "subject_f");
    set(t, subject_g);
    set(t, subject_h);
    set(t, subject_g); /* revert the last */
    CHECK_EQ(subject_f(0), 2);
    CHECK_EQ(subject_g(0), 2);
    CHECK_EQ(subject_h(0), 2);
    set(t, subject_f); /* revert to the original */
    CHECK_EQ(subject_f(0), 1);
    CHECK_EQ(subject_g(0), 1);
    CHECK_EQ(subject_h(0), 1);
    set(t, subject_f); /* idempotent */
    CHECK_EQ(subject_f(0), 1);
    set(t, subject_h);
    CHECK_EQ(subject_g(0), 3);
    CHECK_EQ(subject_f(0), 3);
}

TEST(function_pointer_taken_before_the_redirect)
{
    int (*volatile before)(int) = subject_f;
    int (*volatile old_copy)(int) = subject_g;
    struct hcr__patch_target *t = target(subject_f, "subject_f");
    set(t, subject_g);
    CHECK_EQ(call(before, 100), 102);
    set(t, subject_h);
    CHECK_EQ(call(before, 100), 103);
    CHECK_EQ(call(old_copy, 100), 103);
}

TEST(code_without_pads_and_size_is_refused)
{
    struct hcr__message msg = {{0}};
    struct hcr__patch_target *none;
    CHECK_EQ(hcr__patch_target_get((void *)subject_no_pads, 0, "subject_no_pads", &none, &msg),
             HCR_EFLAGS);
    CHECK(none == NULL);
    CHECK_STR_HAS(msg.text, "subject_no_pads");
    CHECK_STR_HAS(msg.text, "-fpatchable-function-entry=9,5");
    CHECK(!hcr__patch_pads_untouched((const void *)subject_no_pads));
    CHECK(hcr__patch_pads_untouched((const void *)subject_k));

    struct hcr__patch_target *t = target(subject_f, "subject_f");
    CHECK_EQ(hcr__patch_target_set(t, (void *)subject_no_pads, &msg), HCR_EFLAGS);
    CHECK_STR_HAS(msg.text, "hot-patch pads");
    CHECK_EQ(subject_f(0), 1);
    CHECK_EQ(subject_no_pads(0), 5);
}

TEST(forget_an_entry)
{
    struct hcr__patch_target *t = target(subject_f, "subject_f");
    set(t, subject_g);
    CHECK_EQ(hcr__patch_target_forget(t, (void *)subject_g), HCR_EBUSY); /* current */
    CHECK_EQ(hcr__patch_target_forget(t, (void *)subject_f), HCR_EBUSY); /* original */
    CHECK_EQ(hcr__patch_target_forget(t, (void *)subject_h), HCR_ENOENT);
    set(t, subject_h);
    CHECK_EQ(hcr__patch_target_forget(t, (void *)subject_g), 0);
    /* g is no longer an entry: further sets leave its bytes alone. */
    set(t, subject_f);
    CHECK_EQ(subject_f(0), 1);
    CHECK_EQ(subject_h(0), 1);
    CHECK(!hcr__patch_entry_redirected(t, (void *)subject_g));
}

TEST(several_identities)
{
    struct hcr__patch_target *tf = target(subject_f, "subject_f");
    struct hcr__patch_target *th = target(subject_h, "subject_h");
    CHECK(tf != th);
    set(tf, subject_g);
    set(th, subject_k);
    CHECK_EQ(subject_f(0), 2);
    CHECK_EQ(subject_h(0), 4);
    set(th, subject_h);
    CHECK_EQ(subject_h(0), 3);
    CHECK_EQ(subject_f(0), 2);
}

TEST(a_forked_child_patches_its_own_memory)
{
    struct hcr__patch_target *t = target(subject_f, "subject_f");
    set(t, subject_g); /* opens /proc/self/mem in this process */
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        set(t, subject_h); /* must write the child's memory, not ours */
        char result = (char)subject_f(0);
        if (write(fds[1], &result, 1) != 1)
            _exit(2);
        _exit(0);
    }
    char child_result = 0;
    CHECK_EQ(read(fds[0], &child_result, 1), 1);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_EQ(status, 0);
    CHECK_EQ(child_result, 3);
    CHECK_EQ(subject_f(0), 2); /* still g here */
    set(t, subject_k);
    CHECK_EQ(subject_f(0), 4);
}
