/* host.c: a thin console host. Loads the guest given on the command line,
   steps it ten times a second, and says when a new version arrives or a
   crash is rolled back. Ends after the given number of seconds. */
#include "hcr.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GUEST.so [SECONDS]\n", argv[0]);
        return 2;
    }
    int seconds = argc > 2 ? atoi(argv[2]) : 10;
    struct hcr_plugin ctx = {0};
    if (hcr_plugin_open(&ctx, argv[1]) < 0)
        fprintf(stderr, "host: %s (waiting for a good build)\n", hcr_plugin_error(&ctx));
    unsigned shown_version = 0;
    for (int tick = 0; tick < seconds * 10; tick++) {
        int rc = hcr_plugin_update(&ctx);
        if (rc < 0 && ctx.failure != HCR_NONE)
            printf("host: update returned %s, failure %d: %s\n", hcr_error_name(rc),
                   (int)ctx.failure, hcr_plugin_error(&ctx));
        if (ctx.version != shown_version) {
            printf("host: now running version %u\n", ctx.version);
            shown_version = ctx.version;
        }
        fflush(stdout);
        usleep(100000);
    }
    hcr_plugin_close(&ctx);
    printf("host: closed, bye\n");
    return 0;
}
