/* The cheapest guest: the idle benchmark and the no-system-call test. */
#include "hcr.h"
HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op)
{
    (void)ctx, (void)op;
    return 0;
}
