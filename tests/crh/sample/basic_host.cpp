// basic_host.cpp: a host in the pattern of cr.h's basic sample, in C++
// with cr.h's 2018 calls: load the plugin named on the command line, then
// update it until it returns non-zero.
#include <chrono>
#include <cstdio>
#include <thread>

#define CR_HOST CR_UNSAFE
#include "cr.h"

int main(int argc, char *argv[])
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PLUGIN\n", argv[0]);
        return 2;
    }
    cr_plugin ctx;
    if (!cr_plugin_load(ctx, argv[1]))
        return 1;
    while (!cr_plugin_update(ctx)) {
        fflush(stdout);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    cr_plugin_close(ctx);
    printf("closed\n");
    return 0;
}
