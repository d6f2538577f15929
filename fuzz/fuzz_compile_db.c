/*
 * fuzz_compile_db.c: libFuzzer target for live editing's readers of
 * outside text. Every input is read as a compilation database (through a
 * memfd, by its /proc path), as a shell command line, and as a dependency
 * file; every unit the database yields gets its recompile command built.
 * A unit or word list that breaks the contract of units.h aborts.
 */
#include "live/units.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)level;
    (void)message;
    (void)user;
}

/* An argv of `argc` words, NULL-terminated, no word longer than `limit`. */
static void check_argv(char **argv, size_t argc, size_t limit)
{
    for (size_t i = 0; i < argc; i++)
        REQUIRE(argv[i] && strlen(argv[i]) <= limit);
    REQUIRE(argv[argc] == NULL);
}

static void check_units(const struct hcr__live_units *units, size_t size)
{
    for (size_t i = 0; i < units->n; i++) {
        const struct hcr__live_unit *u = &units->v[i];
        REQUIRE(u->source && u->source[0] == '/' && u->directory && u->directory[0] == '/');
        REQUIRE(u->argc >= 1);
        check_argv(u->argv, u->argc, size);
        char **cmd = hcr__compile_argv(u, "/cache/o.o", "/cache/o.d", "-DX");
        REQUIRE(cmd != NULL);
        size_t n = 0;
        while (cmd[n])
            n++;
        REQUIRE(n >= 5 && !strcmp(cmd[n - 1], "/cache/o.d"));
        hcr__argv_free(cmd);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hcr_set_log(quiet, NULL);
    int fd = memfd_create("fuzz-db", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    if (hcr__compile_db_read(path, NULL, NULL, &units, &msg) == 0) {
        REQUIRE(units.n > 0);
        check_units(&units, size + 64);
        hcr__live_units_free(&units);
    } else {
        REQUIRE(units.n == 0 && units.v == NULL && msg.text[0]);
    }
    size_t n = 0;
    char **deps = hcr__depfile_read(path, "/w", &n);
    if (deps)
        check_argv(deps, n, size + 4096);
    hcr__argv_free(deps);
    close(fd);

    char *text = strndup((const char *)data, size);
    char **words = text ? hcr__shell_split(text, &n, &msg) : NULL;
    if (words)
        check_argv(words, n, strlen(text));
    hcr__argv_free(words);
    free(text);
    return 0;
}
