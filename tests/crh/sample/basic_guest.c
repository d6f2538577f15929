/* basic_guest.c: a guest in the pattern of cr.h's basic sample, written
   for cr.h and built unchanged against hcr's. It says hello once in the
   life of the process (a CR_STATE flag), counts frames across reloads
   (CR_STATE), and tells which build runs once per load (a static with an
   initialiser, which starts again at every load under cr.h's rules). Build
   2 asks its host to stop on its third frame. */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>

#include "cr.h"

#ifndef BUILD
#define BUILD 1
#endif

static unsigned int CR_STATE frames = 0;
static bool CR_STATE greeted = false;

CR_EXPORT int cr_main(struct cr_plugin *ctx, enum cr_op operation)
{
    assert(ctx);
    switch (operation) {
    case CR_LOAD: printf("load version %u\n", ctx->version); return 0;
    case CR_UNLOAD: printf("unload version %u\n", ctx->version); return 0;
    case CR_CLOSE: printf("close version %u\n", ctx->version); return 0;
    case CR_STEP: break;
    }
    static unsigned int first_frame = ~0u;
    if (first_frame == ~0u) {
        first_frame = frames + 1;
        printf("build %d runs as version %u\n", BUILD, ctx->version);
    }
    if (!greeted) {
        greeted = true;
        printf("hello\n");
    }
    frames++;
    printf("frame %u\n", frames);
    return BUILD == 2 && frames - first_frame == 2;
}
