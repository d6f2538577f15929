/* The error table: every code has a text and a name, and codes that match
   an errno equal -errno. */
#include "harness.h"
#include "hcr.h"

#include <errno.h>

TEST(every_code_has_text_and_name)
{
#define CHECK_CODE(name, value, text)                                                       \
    CHECK(strcmp(hcr_strerror(name), text) == 0);                                           \
    CHECK(strcmp(hcr_error_name(name), #name) == 0);
    HCR_ERROR_MAP(CHECK_CODE)
#undef CHECK_CODE
    CHECK(strcmp(hcr_strerror(12345), "unknown error") == 0);
}

TEST(codes_equal_minus_errno)
{
    CHECK_EQ(HCR_ENOENT, -ENOENT);
    CHECK_EQ(HCR_ENOEXEC, -ENOEXEC);
    CHECK_EQ(HCR_ENOMEM, -ENOMEM);
    CHECK_EQ(HCR_EISDIR, -EISDIR);
    CHECK_EQ(HCR_EINVAL, -EINVAL);
}

/* A -errno hcr passes on from the system gets the system's text and
   name, not "unknown error"; codes of no kind stay unknown. */
TEST(passed_on_system_errors_have_the_systems_text)
{
    CHECK_STREQ(hcr_strerror(-ENOSPC), "No space left on device");
    CHECK_STREQ(hcr_error_name(-ENOSPC), "ENOSPC");
    CHECK_STREQ(hcr_strerror(-EMFILE), "Too many open files");
    CHECK_STREQ(hcr_error_name(-ENAMETOOLONG), "ENAMETOOLONG");
    CHECK_STREQ(hcr_strerror(-3999), "unknown error");
    CHECK_STREQ(hcr_error_name(-3999), "HCR_E?");
    CHECK_STREQ(hcr_strerror(-4999), "unknown error");
    CHECK_STREQ(hcr_strerror(7), "unknown error");
    CHECK_STREQ(hcr_error_name(7), "HCR_E?");
}
