/* A guest that calls a function nothing defines: refused at load. */
#include "hcr.h"
int hcr_test_function_nobody_defines(int);
HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op)
{
    (void)ctx;
    return op == HCR_STEP ? hcr_test_function_nobody_defines(1) : 0;
}
