/* robots.c: a host running three instances of one plugin, robot.so. Each
   has its own globals. The plugin reports through host_report(), which
   takes no context pointer: HCR_CALLER() tells the host which robot called. */
#include "hcr.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { ROBOTS = 3 };
static struct hcr_plugin robots[ROBOTS];
static const char *names[ROBOTS] = {"ada", "bob", "cyd"};

/* Exported to the plugin (the host links with -rdynamic). */
__attribute__((visibility("default"), noinline)) void host_report(const char *what, int value);
void host_report(const char *what, int value)
{
    struct hcr_plugin *caller = HCR_CALLER();
    const char *name = caller ? caller->userdata : "?";
    printf("host: robot %s (instance %ld) says %s %d\n", name,
           caller ? (long)(caller - robots) : -1L, what, value);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ROBOT.so [SECONDS]\n", argv[0]);
        return 2;
    }
    int seconds = argc > 2 ? atoi(argv[2]) : 4;
    for (int i = 0; i < ROBOTS; i++) {
        robots[i].userdata = (void *)names[i];
        if (hcr_plugin_open(&robots[i], argv[1]) < 0) {
            fprintf(stderr, "%s\n", hcr_plugin_error(&robots[i]));
            return 1;
        }
    }
    for (int tick = 0; tick < seconds * 4; tick++) {
        /* Robot i takes i + 1 steps per tick: their counters drift apart. */
        for (int i = 0; i < ROBOTS; i++)
            for (int k = 0; k <= i; k++)
                hcr_plugin_update(&robots[i]);
        fflush(stdout);
        usleep(250000);
    }
    for (int i = 0; i < ROBOTS; i++)
        hcr_plugin_close(&robots[i]);
    return 0;
}
