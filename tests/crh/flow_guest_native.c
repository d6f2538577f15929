/* The rollback flow's guest through hcr's own API, in builds BUILD=1..5. */
#include "hcr.h"

#define FLOW_CONTEXT struct hcr_plugin
#define FLOW_STATE HCR_STATE
#include "flow_body.h"

HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op)
{
    return flow_main(ctx, op);
}
