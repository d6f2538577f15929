/* gdb_batch.c: see gdb_batch.h. */
#include "gdb_batch.h"

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

const char *gdb_batch(const char *commands, const char *program_and_args)
{
    static char out[65536];
    char cmd[8192];
    const char *asan = getenv("ASAN_OPTIONS");
    snprintf(cmd, sizeof cmd, "%s%sdetect_leaks=0", asan ? asan : "", asan ? ":" : "");
    setenv("ASAN_OPTIONS", cmd, 1);
    int n = snprintf(cmd, sizeof cmd, "gdb -batch -nx %s --args %s 2>&1 </dev/null", commands,
                     program_and_args);
    CHECK(n > 0 && (size_t)n < sizeof cmd);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    int status = pclose(p);
    if (status != 0)
        harness_fail(__FILE__, __LINE__, "gdb exited with %d:\n%s", status, out);
    return out;
}
