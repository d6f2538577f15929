/*
 * argv.h: building NULL-terminated word lists (compile commands) and
 * resolving paths against a directory, for the live-editing discovery
 * files. A failed allocation marks the list failed and every later push is
 * ignored, so a builder checks once at the end.
 */
#ifndef HCR_LIVE_ARGV_H
#define HCR_LIVE_ARGV_H

#include <stddef.h>

/* A NULL-terminated list under construction; words are copied. */
struct hcr__argv {
    char **v; /* NULL until the first word */
    size_t n, cap;
    int failed;
};

void hcr__argv_push_n(struct hcr__argv *a, const char *word, size_t len);
void hcr__argv_push(struct hcr__argv *a, const char *word);

/* Pushes each blank-separated word of `words` (NULL: none). */
void hcr__argv_push_words(struct hcr__argv *a, const char *words);

/* `path` joined to `directory` unless absolute (or `directory` is NULL),
   resolved by realpath when it exists. malloc'ed, or NULL. */
char *hcr__path_in(const char *directory, const char *path);

#endif
