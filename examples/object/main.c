/*
 * main.c: the demo's main loop. Every 100 ms it advances the world under
 * hcr_object_protect and reports; when a file named reload.o appears in the
 * directory given as argv[1], it reloads it into the running program and
 * removes it. Ends by itself 15 ticks after a reload, or after 8 seconds.
 */
#include "world.h"

#include <hcr.h>
#include <stdio.h>
#include <unistd.h>

static void step(void *arg)
{
    (void)arg;
    world_step();
    report();
}

static void log_line(enum hcr_log_level level, const char *message, void *user)
{
    (void)level;
    (void)user;
    printf("  hcr: %s\n", message);
}

int main(int argc, char **argv)
{
    char path[4096];
    int last = 80;
    snprintf(path, sizeof path, "%s/reload.o", argc > 1 ? argv[1] : ".");
    hcr_set_log(log_line, NULL);
    for (int i = 0; i < last; i++) {
        if (access(path, R_OK) == 0) {
            if (hcr_object_reload(path) != 0)
                printf("  reload failed: %s\n", hcr_object_error());
            unlink(path);
            if (last > i + 15)
                last = i + 15;
        }
        if (hcr_object_protect(step, NULL) != 0)
            printf("  crashed, reverted: %s\n", hcr_object_error());
        usleep(100000);
    }
    return 0;
}
