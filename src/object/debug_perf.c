/*
 * debug_perf.c: perf's map of code without an ELF file. perf report and
 * perf top read /tmp/perf-PID.map, one "START SIZE name" line (hex, no 0x)
 * per function, to name samples in anonymous executable memory. hcr
 * appends the functions of each reloaded object; lines of older versions
 * stay, because their code stays mapped and may still have samples.
 * HCR_PERF_MAP=0 in the environment turns the map off (the tests do, so
 * that every test process does not leave a file in /tmp).
 */
#include "object/debug_parts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hcr__debug_perf_write(const struct hcr__debug_function *functions, size_t count,
                          struct hcr__message *msg)
{
    const char *enabled = getenv("HCR_PERF_MAP");
    if (count == 0 || (enabled && strcmp(enabled, "0") == 0))
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)getpid());
    /* All lines in one write: O_APPEND keeps them together even when
       another thread or a JIT in the same process appends too. */
    size_t cap = 0;
    for (size_t i = 0; i < count; i++)
        cap += strlen(functions[i].name) + 2 * 17 + 3;
    char *text = malloc(cap + 1);
    if (!text)
        return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", path);
    size_t len = 0;
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(text + len, cap + 1 - len, "%lx %lx %s\n",
                                (unsigned long)functions[i].address,
                                (unsigned long)functions[i].size, functions[i].name);
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = hcr__fail(msg, HCR_EIO, "%s: %s", path, strerror(errno));
    } else {
        ssize_t w = write(fd, text, len);
        if (w != (ssize_t)len)
            rc = hcr__fail(msg, HCR_EIO, "%s: %s", path, w < 0 ? strerror(errno) : "short write");
        close(fd);
    }
    free(text);
    return rc;
}
