/* robot.c: one robot. Every instance has its own `position`. */
#include "hcr.h"

void host_report(const char *what, int value);

static int position;

HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op)
{
    (void)ctx;
    if (op == HCR_STEP && ++position % 4 == 0)
        host_report("position", position); /* DEMO-EDIT */
    return 0;
}
