/*
 * gdb_redirect_prog.c: a program run under gdb by test_patch_gdb.c. It
 * redirects subject_f to subject_g (mode "redirect") or redirects and then
 * reverts (mode "revert"), calling subject_f and stopping at checkpoint()
 * between steps so the debugger can set and delete breakpoints. It prints
 * the entry bytes it saw and which version each call ran.
 */
#include "object/patch.h"
#include "patch_subjects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* gdb stops here between steps. */
void checkpoint(int step);
__attribute__((noinline)) void checkpoint(int step)
{
    __asm__ volatile("" : : "r"(step) : "memory");
}

static void set(struct hcr__patch_target *t, int (*fn)(int))
{
    struct hcr__message msg = {{0}};
    if (hcr__patch_target_set(t, (void *)fn, &msg) != 0) {
        printf("set failed: %s\n", msg.text);
        fflush(stdout);
        _Exit(1);
    }
}

static void show(const char *what)
{
    const volatile unsigned char *e = (const volatile unsigned char *)(void *)subject_f;
    printf("%s: entry bytes %02x %02x %02x\n", what, e[0], e[1], e[2]);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "redirect";
    struct hcr__message msg = {{0}};
    struct hcr__patch_target *t;
    if (hcr__patch_target_get((void *)subject_f, 0, "subject_f", &t, &msg) < 0) {
        printf("target failed: %s\n", msg.text);
        return 1;
    }
    if (strcmp(mode, "redirect") == 0) {
        set(t, subject_g);
        show("after redirect");
        printf("call 1 ran version %d\n", subject_f(0));
        fflush(stdout);
        checkpoint(1);
        printf("call 2 ran version %d\n", subject_f(0));
    } else {
        set(t, subject_g);
        checkpoint(1);
        set(t, subject_f); /* revert under a breakpoint set after the redirect */
        show("after revert");
        printf("call 1 ran version %d\n", subject_f(0));
        fflush(stdout);
        checkpoint(2);
        printf("call 2 ran version %d\n", subject_f(0));
        set(t, subject_g);
        printf("call 3 ran version %d\n", subject_f(0));
    }
    fflush(stdout);
    return 0;
}
