/* guest.c: the program the demo edits while it runs. `frames` and `total`
   keep their values across every reload. */
#include "hcr.h"

#include <stdio.h>

static int HCR_STATE frames; /* always carried over */
static long total;            /* carried over too: a plain file static */

static const char *greeting(void)
{
    return "hello"; /* DEMO-EDIT */
}

HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op)
{
    if (op == HCR_LOAD)
        printf("guest: version %u loaded with frames=%d total=%ld\n", ctx->version, frames,
               total);
    if (op != HCR_STEP)
        return 0;
    frames++;
    total += frames;
    /* DEMO-CRASH */
    if (frames % 5 == 0)
        printf("guest: %s, frame %d, total %ld\n", greeting(), frames, total);
    return 0;
}
