/*
 * gdb_host.c: a host run under gdb by test_plugin_gdb.c. Puts the build
 * argv[2] in place at argv[1], opens it and steps it three times, then puts
 * argv[3] in its place and steps until that version runs, calls
 * host_reloaded, and steps once more.
 */
#include "hcr.h"
#include "report.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Copies src beside dst and renames it into place, as a linker would. */
static void install(const char *src, const char *dst)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int in = open(src, O_RDONLY), out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in < 0 || out < 0) {
        perror(src);
        exit(2);
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            exit(2);
    close(in);
    close(out);
    if (rename(tmp, dst) != 0)
        exit(2);
}

/* Where the test's gdb stops between the two versions. */
void host_reloaded(int version);
__attribute__((noinline)) void host_reloaded(int version)
{
    printf("host: version %d runs\n", version);
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    ctx.userdata = &r;
    install(argv[2], argv[1]);
    if (hcr_plugin_open(&ctx, argv[1]) != 0)
        return 1;
    for (int i = 0; i < 3; i++)
        hcr_plugin_update(&ctx);
    install(argv[3], argv[1]);
    for (int waited = 0; r.version != 2 && waited < 5000; waited++) {
        hcr_plugin_update(&ctx);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    host_reloaded(r.version);
    hcr_plugin_update(&ctx);
    hcr_plugin_close(&ctx);
    return r.version == 2 ? 0 : 1;
}
