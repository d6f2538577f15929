/*
 * compile_argv.c: the command hcr runs to recompile one translation unit
 * for reloading, derived from the command that built it, and the reader of
 * the dependency file that command writes (which headers to watch).
 */
#include "live/units.h"
#include "live/argv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HCR_RELOAD_CFLAGS_STRING
#error "HCR_RELOAD_CFLAGS_STRING comes from the library's compile line (CMakeLists.txt)"
#endif

/* 1 if `arg` is an option hcr replaces that takes the next word as its
   value (-o X, -MF X, -MT X, -MQ X). */
static int drops_with_value(const char *arg)
{
    return !strcmp(arg, "-o") || !strcmp(arg, "-MF") || !strcmp(arg, "-MT") ||
           !strcmp(arg, "-MQ");
}

/* 1 if `arg` is an option hcr replaces written as one word: -c, -MD, -MMD,
   -MP, -flto*, and the joined forms -oX, -MFX, -MTX, -MQX. */
static int drops_alone(const char *arg)
{
    static const char *const exact[] = {"-c", "-MD", "-MMD", "-MP"};
    for (size_t i = 0; i < HCR__ARRAY_SIZE(exact); i++)
        if (!strcmp(arg, exact[i]))
            return 1;
    return !strncmp(arg, "-flto", 5) || !strncmp(arg, "-o", 2) || !strncmp(arg, "-MF", 3) ||
           !strncmp(arg, "-MT", 3) || !strncmp(arg, "-MQ", 3);
}

/* 1 if the word `arg` of the unit's command names its source file. */
static int is_source(const struct hcr__live_unit *unit, const char *arg)
{
    if (arg[0] == '-' || !unit->source)
        return 0;
    if (!strcmp(arg, unit->source))
        return 1;
    char *path = hcr__path_in(unit->directory, arg);
    int same = path && !strcmp(path, unit->source);
    free(path);
    return same;
}

char **hcr__compile_argv(const struct hcr__live_unit *unit, const char *object,
                         const char *depfile, const char *extra_flags)
{
    struct hcr__argv b = {0};
    for (size_t i = 0; i < unit->argc && unit->argv[i]; i++) {
        const char *arg = unit->argv[i];
        if (i > 0 && drops_with_value(arg)) {
            i++; /* and its value */
            continue;
        }
        if (i > 0 && (drops_alone(arg) || is_source(unit, arg)))
            continue;
        hcr__argv_push(&b, arg);
    }
    hcr__argv_push_words(&b, extra_flags);
    hcr__argv_push_words(&b, HCR_RELOAD_CFLAGS_STRING);
    hcr__argv_push(&b, "-c");
    hcr__argv_push(&b, unit->source ? unit->source : "");
    hcr__argv_push(&b, "-o");
    hcr__argv_push(&b, object);
    if (depfile) {
        hcr__argv_push(&b, "-MD");
        hcr__argv_push(&b, "-MF");
        hcr__argv_push(&b, depfile);
    }
    if (b.failed || !b.v) {
        hcr__argv_free(b.v);
        return NULL;
    }
    return b.v;
}

/* The whole file at `path`, NUL-terminated, or NULL. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    char buf[8192];
    size_t got;
    while (mem && (got = fread(buf, 1, sizeof buf, f)) > 0)
        if (fwrite(buf, 1, got, mem) != got)
            break;
    int bad = ferror(f) || !mem;
    fclose(f);
    if (mem && fclose(mem) != 0)
        bad = 1;
    if (bad) {
        free(text);
        return NULL;
    }
    return text;
}

/* Reads one Make word at *p into `word` (room for the rest of the text),
   undoing gcc's quoting: "\ " for a space (with the backslashes before it
   doubled), "\#" for '#', "$$" for '$'. Stops at a blank, a newline, or
   the end; a backslash-newline is a blank. Advances *p; returns the length. */
static size_t make_word(const char **p, char *word)
{
    const char *s = *p;
    size_t len = 0;
    while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
        if (*s == '$' && s[1] == '$') {
            word[len++] = '$';
            s += 2;
        } else if (*s == '\\') {
            size_t run = strspn(s, "\\");
            char after = s[run];
            if (after == '\n' || (after == '\r' && s[run + 1] == '\n')) {
                if (run == 1)
                    break; /* continuation: ends the word */
                run--;     /* the last one continues the line */
            }
            if (after == ' ' || after == '\t') {
                memset(word + len, '\\', run / 2);
                len += run / 2;
                s += run;
                if (!(run & 1))
                    break; /* an even run: the blank separates */
                word[len++] = *s++;
            } else if (after == '#' && run == 1) {
                word[len++] = '#';
                s += 2;
            } else {
                memset(word + len, '\\', run);
                len += run;
                s += run;
            }
        } else {
            word[len++] = *s++;
        }
    }
    *p = s;
    return len;
}

/* Skips blanks and backslash-newlines; stops at a bare newline. */
static const char *skip_blanks(const char *s)
{
    for (;;) {
        if (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        else if (s[0] == '\\' && s[1] == '\n')
            s += 2;
        else if (s[0] == '\\' && s[1] == '\r' && s[2] == '\n')
            s += 3;
        else
            return s;
    }
}

/* The prerequisites of the first rule of `text`, made absolute against
   `directory`, pushed onto b. 0, or -1 when there is no rule. */
static int first_rule(const char *text, const char *directory, struct hcr__argv *b)
{
    char *word = malloc(strlen(text) + 1);
    if (!word)
        return -1;
    const char *p = text;
    int seen_colon = 0;
    while (!b->failed) {
        p = skip_blanks(p);
        if (*p == '\n' || !*p) {
            if (seen_colon || !*p)
                break;
            p++; /* a blank line before the rule */
            continue;
        }
        size_t len = make_word(&p, word);
        if (!seen_colon) {
            /* targets until the word that ends with ':' ("a.o:" or ":") */
            seen_colon = len && word[len - 1] == ':';
            if (!seen_colon && *p == ':') {
                seen_colon = 1;
                p++;
            }
            continue;
        }
        word[len] = '\0';
        char *path = len ? hcr__path_in(directory, word) : NULL;
        if (path)
            hcr__argv_push(b, path);
        else if (len)
            b->failed = 1;
        free(path);
    }
    free(word);
    return seen_colon ? 0 : -1;
}

char **hcr__depfile_read(const char *path, const char *directory, size_t *count)
{
    *count = 0;
    char *text = read_text(path);
    if (!text)
        return NULL;
    struct hcr__argv b = {0};
    int rc = first_rule(text, directory, &b);
    free(text);
    if (rc == 0 && !b.failed && !b.v) {
        b.v = calloc(1, sizeof *b.v); /* a rule without prerequisites */
        b.failed = !b.v;
    }
    if (rc < 0 || b.failed) {
        hcr__argv_free(b.v);
        return NULL;
    }
    *count = b.n;
    return b.v;
}
