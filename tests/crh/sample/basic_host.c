/* basic_host.c: the same host in C, through the pointer form of the API
   that hcr's cr.h adds for C, with cr.h's 2020 calls. */
#include <stdio.h>
#include <unistd.h>

#define CR_HOST
#include "cr.h"

int main(int argc, char *argv[])
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PLUGIN\n", argv[0]);
        return 2;
    }
    struct cr_plugin ctx = {0};
    if (!cr_plugin_open(&ctx, argv[1]))
        return 1;
    while (!cr_plugin_update(&ctx, true)) {
        fflush(stdout);
        usleep(5000);
    }
    cr_plugin_close(&ctx);
    printf("closed\n");
    return 0;
}
