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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Appends `value` in lower-case hex without leading zeros; returns the
   length. A reload writes one line per function, and snprintf made up a
   quarter of a large reload's time. */
static size_t put_hex(char *out, uint64_t value)
{
    char digits[16];
    size_t n = 0;
    do {
        digits[n++] = "0123456789abcdef"[value & 15];
        value >>= 4;
    } while (value);
    for (size_t i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    return n;
}

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
    for (size_t i = 0; i < count; i++) { /* "START SIZE name\n", within cap */
        len += put_hex(text + len, functions[i].address);
        text[len++] = ' ';
        len += put_hex(text + len, functions[i].size);
        text[len++] = ' ';
        size_t name_len = strlen(functions[i].name);
        memcpy(text + len, functions[i].name, name_len);
        len += name_len;
        text[len++] = '\n';
    }
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        rc = hcr__fail(msg, -e, "%s: %s", path, strerror(e));
    } else {
        ssize_t w = write(fd, text, len);
        int e = errno;
        if (w != (ssize_t)len)
            rc = hcr__fail(msg, w < 0 ? -e : HCR_EIO, "%s: %s", path,
                           w < 0 ? strerror(e) : "short write");
        close(fd);
    }
    free(text);
    return rc;
}
