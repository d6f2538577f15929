/* A guest whose two same-named files each keep a static `count`. */
#include "hcr.h"
#include "report.h"
int count_a(void);
int count_b(void);
HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op)
{
    struct guest_report *r = ctx->userdata;
    if (op == HCR_STEP) {
        r->first = count_a();
        r->second = count_b();
        r->version = VERSION;
    }
    return 0;
}
