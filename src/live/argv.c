/*
 * argv.c: word lists and paths for the live-editing discovery (argv.h),
 * and hcr__argv_free (units.h).
 */
#include "live/argv.h"
#include "live/units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hcr__argv_push_n(struct hcr__argv *a, const char *word, size_t len)
{
    if (a->failed)
        return;
    char **grown = hcr__grow(a->v, a->n + 1, &a->cap, sizeof *grown, 32);
    if (grown) {
        a->v = grown;
        a->v[a->n] = NULL; /* a new array is terminated before the copy can fail */
    }
    char *copy = grown ? strndup(word, len) : NULL;
    if (!copy) {
        a->failed = 1;
        return;
    }
    a->v[a->n++] = copy;
    a->v[a->n] = NULL;
}

void hcr__argv_push(struct hcr__argv *a, const char *word)
{
    hcr__argv_push_n(a, word, strlen(word));
}

void hcr__argv_push_words(struct hcr__argv *a, const char *words)
{
    for (const char *p = words; p && *p;) {
        p += strspn(p, " \t\n");
        size_t len = strcspn(p, " \t\n");
        if (len)
            hcr__argv_push_n(a, p, len);
        p += len;
    }
}

char *hcr__path_in(const char *directory, const char *path)
{
    char *joined;
    if (path[0] == '/' || !directory)
        joined = strdup(path);
    else if (asprintf(&joined, "%s/%s", directory, path) < 0)
        joined = NULL;
    char *real = joined ? realpath(joined, NULL) : NULL;
    if (!real)
        return joined;
    free(joined);
    return real;
}

void hcr__argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}
