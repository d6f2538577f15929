/* A guest for the instance tests. Each step calls the host's exported
   host_callback in one of several ways (MODE from userdata), among them
   calls in tail position, which the compiler turns into jumps unless the
   plugin is built with hcr's plugin flags. */
#include "hcr.h"

#ifndef VERSION
#define VERSION 1
#endif

struct instance_report {
    int mode;      /* how to call the host: see step() */
    int crash;     /* crash on every step of this version number */
    int counter;
    int version;
};

int host_callback(int value); /* defined by the host executable */

int counter; /* one per instance */
static int HCR_STATE steps;
int (*volatile indirect_callback)(int) = host_callback;

__attribute__((noinline)) int tail_call(int x)
{
    return host_callback(x + 1) ; /* tail position */
}

__attribute__((noinline)) int nested_call(int x)
{
    int r = host_callback(x);
    return r + 1;
}

__attribute__((noinline)) int indirect_tail_call(int x)
{
    return indirect_callback(x); /* tail position, through a pointer */
}

HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op)
{
    struct instance_report *r = ctx->userdata;
    if (op != HCR_STEP)
        return 0;
    counter++;
    steps++;
    r->counter = counter;
    r->version = VERSION;
    if (r->crash == VERSION) {
        int *volatile bad = 0;
        *(volatile int *)bad = counter;
    }
    switch (r->mode) {
    case 1: return tail_call(counter) >= 0 ? VERSION : -1;
    case 2: return nested_call(counter) >= 0 ? VERSION : -1;
    case 3: return indirect_tail_call(counter) >= 0 ? VERSION : -1;
    case 4: return host_callback(counter); /* tail call from hcr_main itself */
    default: return VERSION;
    }
}
