/* flow.h: what the host of the rollback flow (flow_run.h) tells its guest
   (flow_body.h) through userdata, and what the guest tells back. Shared by
   C and C++, the cr.h drop-in and hcr's own API. */
#ifndef HCR_TEST_FLOW_H
#define HCR_TEST_FLOW_H

#include <stddef.h>

enum flow_action {
    FLOW_VERSION,      /* step: return ctx->version */
    FLOW_BUILD,        /* step: return the BUILD this code was built as */
    FLOW_LAPS,         /* step: count on a function-local state variable */
    FLOW_SCORE,        /* step: count on a file-scope state variable */
    FLOW_HEAP_FILL,    /* step: fill a block on the heap and return its
                          size, or if there is one return 0 when it is
                          intact, its first bad index + 1 otherwise */
    FLOW_HEAP_FREE,    /* step: free it, return its size */
    /* In the faulty build only; other builds step returning 0: */
    FLOW_CRASH_STEP,   /* add 1000 to both counters, then crash: in a step */
    FLOW_CRASH_LOAD,   /* ... in CR_LOAD */
    FLOW_CRASH_UNLOAD, /* ... in CR_UNLOAD */
    FLOW_FAIL_STEP     /* add 1000 to both, then return -7 from a step */
};

struct flow_command {
    enum flow_action action;
    int faulty_build;       /* the build the failing actions fail in */
    int *block;             /* FLOW_HEAP_FILL's block */
    int block_size;
    int loads, unloads;     /* counted by every build */
    int load_failure;       /* ctx->failure as the newest load saw it */
};

#endif
