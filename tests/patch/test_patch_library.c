/*
 * test_patch_library.c: redirecting a function of a shared library. The
 * library is mapped far from the executable (beyond 32-bit reach of it on
 * x86-64), so its identity's trampoline must be placed near the library
 * and an executable function cannot become its new entry.
 */
#include "harness.h"
#include "object/near_memory.h"
#include "object/patch.h"
#include "patch_subjects.h"

#include <stdint.h>

int lib_subject_f(int x);
int lib_subject_g(int x);

TEST(redirect_within_a_shared_library)
{
    struct hcr__message msg = {{0}};
    struct hcr__patch_target *t;
    if (hcr__patch_target_get((void *)lib_subject_f, 0, "lib_subject_f", &t, &msg) < 0)
        harness_fail(__FILE__, __LINE__, "%s", msg.text);
    int (*volatile before)(int) = lib_subject_f;
    CHECK_EQ(hcr__patch_target_set(t, (void *)lib_subject_g, &msg), 0);
    CHECK_EQ(lib_subject_f(1), 2001);
    CHECK_EQ(before(1), 2001);
    CHECK_EQ(hcr__patch_target_set(t, (void *)lib_subject_f, &msg), 0);
    CHECK_EQ(lib_subject_f(1), 1001);
    CHECK_EQ(lib_subject_g(1), 1001);

    /* An executable function lies out of reach of the library's trampoline
       when the two images are more than 2 GiB apart (PIE executable near
       0x55..., libraries near 0x7f...). */
    uintptr_t elo, ehi, llo, lhi;
    CHECK_EQ(hcr__near_image_range((const void *)subject_f, &elo, &ehi), 0);
    CHECK_EQ(hcr__near_image_range((const void *)lib_subject_f, &llo, &lhi), 0);
    if (llo > ehi + ((uintptr_t)4 << 30)) {
        CHECK_EQ(hcr__patch_target_set(t, (void *)subject_f, &msg), HCR_ERANGE);
        CHECK_STR_HAS(msg.text, "out of jump reach");
        CHECK_EQ(lib_subject_f(1), 1001);
    }
}
