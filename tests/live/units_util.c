/*
 * units_util.c: what the tests of live editing's units share (see
 * units_util.h).
 */
#include "units_util.h"

#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char logged[16384];

void capture_log(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    size_t used = strlen(logged);
    snprintf(logged + used, sizeof logged - used, "%s %s\n", names[level], message);
}

const char *write_file(const char *name, const char *text)
{
    const char *path = harness_path(name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK_EQ(fwrite(text, 1, strlen(text), f), strlen(text));
    CHECK_EQ(fclose(f), 0);
    return path;
}

void make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        harness_fail(__FILE__, __LINE__, "mkdir %s: %s", path, strerror(errno));
}

const char *joined(char **argv)
{
    static char buf[4096];
    buf[0] = '\0';
    for (size_t i = 0; argv && argv[i]; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, sizeof buf - used, "%s%s", i ? "|" : "", argv[i]);
    }
    return buf;
}

char *real_tmpdir(void)
{
    char *real = realpath(harness_tmpdir(), NULL);
    CHECK(real != NULL);
    return real;
}
