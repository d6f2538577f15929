/*
 * shell_split.c: splits a command line into words the way POSIX sh does
 * before any expansion, for the "command" form of a compilation database:
 * blanks separate words, '...' keeps everything, "..." keeps everything but
 * a backslash before $ ` " \ or newline, and a backslash outside quotes
 * keeps the next character (a backslash-newline joins lines). Nothing is
 * expanded: $VAR, `cmd`, globs and ~ stay as written.
 */
#include "live/units.h"

#include <stdlib.h>
#include <string.h>

/* A word being built and the words done so far. */
struct splitter {
    char **words;
    size_t n, cap;
    char *word; /* room for the whole command: a word is never longer */
    size_t len;
    int in_word; /* set by any character or quote, so '' is a word */
    int failed;
};

static void add_char(struct splitter *s, char c)
{
    s->word[s->len++] = c;
    s->in_word = 1;
}

/* Ends the current word, if one was started. */
static void end_word(struct splitter *s)
{
    if (!s->in_word || s->failed)
        return;
    char **grown = hcr__grow(s->words, s->n + 1, &s->cap, sizeof *grown, 16);
    char *copy = grown ? strndup(s->word, s->len) : NULL;
    if (grown)
        s->words = grown;
    if (!copy) {
        s->failed = 1;
        return;
    }
    s->words[s->n++] = copy;
    s->words[s->n] = NULL;
    s->len = 0;
    s->in_word = 0;
}

/* Reads a '...' quote starting after the opening quote; returns the
   position after the closing quote, or NULL when there is none. */
static const char *single_quote(struct splitter *s, const char *p)
{
    s->in_word = 1;
    for (; *p; p++) {
        if (*p == '\'')
            return p + 1;
        add_char(s, *p);
    }
    return NULL;
}

/* Reads a "..." quote starting after the opening quote, as single_quote. */
static const char *double_quote(struct splitter *s, const char *p)
{
    s->in_word = 1;
    for (; *p; p++) {
        if (*p == '"')
            return p + 1;
        if (*p == '\\' && p[1] && strchr("$`\"\\\n", p[1])) {
            p++;
            if (*p != '\n') /* backslash-newline: the two vanish */
                add_char(s, *p);
            continue;
        }
        add_char(s, *p);
    }
    return NULL;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Runs over the whole command. 0, or -1 with msg on an unterminated quote. */
static int split_all(struct splitter *s, const char *command, struct hcr__message *msg)
{
    for (const char *p = command; *p && !s->failed;) {
        const char *start = p;
        if (is_blank(*p)) {
            end_word(s);
            p++;
        } else if (*p == '\'' || *p == '"') {
            p = *p == '\'' ? single_quote(s, p + 1) : double_quote(s, p + 1);
            if (!p)
                return hcr__fail(msg, HCR_EINVAL,
                                 "unterminated %c quote at column %zu of the command \"%.200s\"",
                                 *start, (size_t)(start - command) + 1, command);
        } else if (*p == '\\' && p[1] == '\n') {
            p += 2; /* line continuation */
        } else if (*p == '\\' && p[1]) {
            add_char(s, p[1]);
            p += 2;
        } else {
            add_char(s, *p++); /* a trailing lone backslash is kept as is */
        }
    }
    end_word(s);
    return 0;
}

char **hcr__shell_split(const char *command, size_t *argc, struct hcr__message *msg)
{
    struct splitter s = {0};
    *argc = 0;
    s.word = malloc(strlen(command) + 1);
    s.words = calloc(1, sizeof *s.words);
    s.cap = 1;
    if (!s.word || !s.words) {
        free(s.word);
        free(s.words);
        hcr__fail(msg, HCR_ENOMEM, "out of memory splitting a command line");
        return NULL;
    }
    int rc = split_all(&s, command, msg);
    free(s.word);
    if (s.failed && rc == 0)
        hcr__fail(msg, HCR_ENOMEM, "out of memory splitting a command line");
    if (rc < 0 || s.failed) {
        hcr__argv_free(s.words);
        return NULL;
    }
    *argc = s.n;
    return s.words;
}
