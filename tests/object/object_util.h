/* object_util.h: helpers shared by the object-mode tests: read a fixture
   object, link it without making it live, find a linked function. */
#ifndef HCR_TEST_OBJECT_UTIL_H
#define HCR_TEST_OBJECT_UTIL_H

#include "elf/elf_file.h"
#include "object/link.h"

#include <stdlib.h>

/* Path of a fixture object built for this test's optimisation level. */
static inline const char *obj(const char *name)
{
    static char buf[8][512];
    static int at;
    char *b = buf[at++ & 7];
    snprintf(b, 512, "%s/%s", OBJDIR, name);
    return b;
}

/* The whole file, malloc'ed; aborts the test if it cannot be read. */
static inline unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        harness_fail(__FILE__, __LINE__, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)n);
    if (!data || fread(data, 1, (size_t)n, f) != (size_t)n)
        harness_fail(__FILE__, __LINE__, "cannot read %s", path);
    fclose(f);
    *size = (size_t)n;
    return data;
}

/* Writes size bytes to path. */
static inline void spill(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size)
        harness_fail(__FILE__, __LINE__, "cannot write %s", path);
    fclose(f);
}

#endif
