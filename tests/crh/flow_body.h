/* flow_body.h: the guest of the rollback flow, included by one file per
   API (flow_guest_cr.cpp, flow_guest_native.c) after it defines
   FLOW_CONTEXT (its context struct), FLOW_STATE (its state attribute) and
   BUILD. Compiles as C and C++. The operations are numbered alike in both
   APIs: 0 load, 1 step, 2 unload, 3 close. */
#include "flow.h"

#include <stdlib.h>

static int FLOW_STATE score;

static int laps(int add)
{
    static int FLOW_STATE count = 100;
    count += add;
    return count;
}

/* A fault the compiler cannot see coming: the pointer is read from a
   volatile variable, so the store is not turned into a trap instruction,
   and the store is volatile, so it is not dropped. */
static void crash(void)
{
    int *volatile nowhere = NULL;
    *(volatile int *)nowhere = 1;
}

/* The failing actions, in the faulty build: spoil the state first, as a
   bad build would. */
static int fail_in(const struct flow_command *c, int op, int failing_op, int crashes)
{
    if (op != failing_op || c->faulty_build != BUILD)
        return 0;
    score += 1000;
    laps(1000);
    if (crashes)
        crash();
    return -7;
}

static int heap(struct flow_command *c)
{
    if (!c->block) {
        c->block_size = 4096;
        c->block = (int *)malloc(sizeof(int) * (size_t)c->block_size);
        for (int i = 0; i < c->block_size; i++)
            c->block[i] = c->block_size - i;
        return c->block_size;
    }
    for (int i = 0; i < c->block_size; i++)
        if (c->block[i] != c->block_size - i)
            return i + 1;
    return 0;
}

static int flow_main(FLOW_CONTEXT *ctx, int op)
{
    struct flow_command *c = (struct flow_command *)ctx->userdata;
    if (op == 0) {
        c->loads++;
        c->load_failure = (int)ctx->failure;
    } else if (op == 2) {
        c->unloads++;
    }
    switch (c->action) {
    case FLOW_CRASH_STEP: return fail_in(c, op, 1, 1);
    case FLOW_CRASH_LOAD: return fail_in(c, op, 0, 1);
    case FLOW_CRASH_UNLOAD: return fail_in(c, op, 2, 1);
    case FLOW_FAIL_STEP: return fail_in(c, op, 1, 0);
    default: break;
    }
    if (op != 1)
        return 0;
    switch (c->action) {
    case FLOW_VERSION: return (int)ctx->version;
    case FLOW_BUILD: return BUILD;
    case FLOW_LAPS: return laps(1);
    case FLOW_SCORE: return ++score;
    case FLOW_HEAP_FILL: return heap(c);
    case FLOW_HEAP_FREE: {
        int size = c->block_size;
        free(c->block);
        c->block = NULL;
        c->block_size = 0;
        return size;
    }
    default: return 0;
    }
}
