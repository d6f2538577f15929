/* nest.h: the command a host gives the nest guest through ctx->userdata. */
#ifndef HCR_TEST_NEST_H
#define HCR_TEST_NEST_H

struct hcr_plugin;

enum nest_action {
    NEST_STEP,                    /* return 1 */
    NEST_CRASH,                   /* clobber the callee-saved registers, fault */
    NEST_FAIL,                    /* return -5 */
    NEST_UPDATE_INNER,            /* hcr_plugin_update(inner), return 1 */
    NEST_UPDATE_INNER_THEN_CRASH, /* the same, then clobber and fault */
};

struct nest_command {
    enum nest_action action;
    struct hcr_plugin *inner;
    int inner_result;
    int steps;
};

#endif
