/* The rollback flow's guest as a cr.h project writes it, in C++: built
   against hcr's cr.h in builds BUILD=1..5, which differ in that number. */
#include "cr.h"

#define FLOW_CONTEXT struct cr_plugin
#define FLOW_STATE CR_STATE
#include "flow_body.h"

CR_EXPORT int cr_main(struct cr_plugin *ctx, enum cr_op operation)
{
    return flow_main(ctx, operation);
}
