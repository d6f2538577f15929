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
