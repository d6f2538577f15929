/*
 * compile_db.c: finds and reads a compilation database
 * (compile_commands.json, as written by CMake, Meson, Bear and others):
 * one unit per source file with its absolute paths and its command, a
 * compiler wrapper (ccache, distcc, sccache, icecc) dropped. Bad entries
 * are skipped with a warning naming the file and the entry; the database
 * fails as a whole only when it cannot be read or nothing usable is left.
 */
#include "live/units.h"
#include "live/argv.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMPILE_DB_NAME "compile_commands.json"
#define COMPILE_DB_MAX_SIZE (1u << 30) /* json-c takes an int length */
#define COMPILE_DB_HOWTO                                                                   \
    "generate one with CMake (-DCMAKE_EXPORT_COMPILE_COMMANDS=ON), Meson (it always "      \
    "writes one), or `bear -- make`"

int hcr__live_units_have(const struct hcr__live_units *units, const char *source)
{
    for (size_t i = 0; i < units->n; i++)
        if (!strcmp(units->v[i].source, source))
            return 1;
    return 0;
}

void hcr__live_units_free(struct hcr__live_units *units)
{
    for (size_t i = 0; i < units->n; i++)
        hcr__live_unit_clear(&units->v[i]);
    free(units->v);
    units->v = NULL;
    units->n = 0;
}

/* ---- finding the database ---- */

static int is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* compile_commands.json in `dir` or the nearest of its parents that has
   one. malloc'ed, or NULL. `dir` is absolute. */
static char *find_upwards(const char *dir)
{
    char *here = strdup(dir);
    while (here) {
        char *candidate;
        if (asprintf(&candidate, "%s/%s", strcmp(here, "/") ? here : "", COMPILE_DB_NAME) < 0)
            break;
        if (is_regular_file(candidate)) {
            free(here);
            return candidate;
        }
        free(candidate);
        char *slash = strrchr(here, '/');
        if (!slash || !strcmp(here, "/"))
            break;
        if (slash == here)
            slash[1] = '\0'; /* "/usr" -> "/" */
        else
            *slash = '\0';
    }
    free(here);
    return NULL;
}

/* The absolute directory holding the executable `exe_path`, symbolic links
   resolved. malloc'ed, or NULL. */
static char *exe_directory(const char *exe_path)
{
    char *real = realpath(exe_path, NULL);
    if (!real)
        return NULL;
    char *slash = strrchr(real, '/');
    if (slash == real)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    return real;
}

char *hcr__compile_db_find(const char *explicit_path, const char *exe_path)
{
    if (explicit_path)
        return strdup(explicit_path); /* reading it says what is wrong with it */
    const char *env = getenv("HCR_COMPILE_COMMANDS");
    if (env && *env)
        return strdup(env);
    char *found = NULL;
    char *dir = exe_path ? exe_directory(exe_path) : NULL;
    if (dir)
        found = find_upwards(dir);
    free(dir);
    char *cwd = found ? NULL : getcwd(NULL, 0);
    if (cwd)
        found = find_upwards(cwd);
    free(cwd);
    return found;
}

/* ---- reading the file ---- */

static int errno_code(int e)
{
    switch (e) {
    case ENOENT: return HCR_ENOENT;
    case EACCES: return HCR_EACCES;
    case EISDIR: return HCR_EISDIR;
    case ENOMEM: return HCR_ENOMEM;
    }
    return e > 0 ? -e : HCR_EIO; /* the system's own code (hcr_strerror knows it) */
}

/* The whole of the file at `path` in *text (NUL-terminated), its length in
   *len. 0, or a negative code with msg. */
static int slurp(const char *path, char **text, size_t *len, struct hcr__message *msg)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return hcr__fail(msg, errno_code(e), "cannot read the compilation database %s: %s; %s",
                         path, strerror(e), COMPILE_DB_HOWTO);
    }
    if (S_ISDIR(st.st_mode) || st.st_size >= COMPILE_DB_MAX_SIZE) {
        close(fd);
        return hcr__fail(msg, S_ISDIR(st.st_mode) ? HCR_EISDIR : HCR_ERANGE,
                         "the compilation database %s is %s", path,
                         S_ISDIR(st.st_mode) ? "a directory: name the file inside it"
                                             : "larger than 1 GB");
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    ssize_t got = 0;
    while (buf && (got = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)got;
    int e = errno;
    close(fd);
    if (!buf || got < 0) {
        free(buf);
        return hcr__fail(msg, buf ? (e ? -e : HCR_EIO) : HCR_ENOMEM,
                         "cannot read the compilation database %s: %s", path,
                         buf ? strerror(e) : "out of memory");
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* The line of byte `offset` of `text`, counting from 1. */
static size_t line_of(const char *text, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset; i++)
        line += text[i] == '\n';
    return line;
}

/* Parses `text` as one JSON value. The value, or NULL with msg (truncated
   files told apart from corrupt ones, with the line of the problem). */
static json_object *parse_json(const char *path, const char *text, size_t len,
                               struct hcr__message *msg, int *code)
{
    *code = HCR_ECORRUPT;
    if (strspn(text, " \t\r\n") == len) {
        *code = HCR_ETRUNC;
        hcr__fail(msg, *code, "the compilation database %s is empty; %s", path, COMPILE_DB_HOWTO);
        return NULL;
    }
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        *code = HCR_ENOMEM;
        hcr__fail(msg, *code, "out of memory reading %s", path);
        return NULL;
    }
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (root && end < len)
        end += strspn(text + end, " \t\r\n");
    if (root && end < len) {
        json_object_put(root);
        root = NULL;
        hcr__fail(msg, *code, "the compilation database %s is corrupt: text after the JSON "
                  "value at line %zu", path, line_of(text, end));
    } else if (!root && err == json_tokener_continue) {
        *code = HCR_ETRUNC;
        hcr__fail(msg, *code, "the compilation database %s is truncated: its JSON stops "
                  "before the end (line %zu); is a build still writing it?",
                  path, line_of(text, len));
    } else if (!root) {
        hcr__fail(msg, *code, "the compilation database %s is not valid JSON: %s at line %zu",
                  path, json_tokener_error_desc(err), line_of(text, end));
    }
    return root;
}

/* ---- one entry ---- */

/* A string member of `entry`, or NULL when absent or not a string. */
static const char *string_member(json_object *entry, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(entry, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* The "arguments" array as an argv, or NULL with why (not an array, a word
   that is not a string, no memory). */
static char **arguments_argv(json_object *args, size_t *argc, const char **why)
{
    if (!json_object_is_type(args, json_type_array)) {
        *why = "\"arguments\" is not an array of strings";
        return NULL;
    }
    size_t n = json_object_array_length(args);
    char **argv = calloc(n + 1, sizeof *argv);
    for (size_t i = 0; argv && i < n; i++) {
        json_object *word = json_object_array_get_idx(args, i);
        if (!json_object_is_type(word, json_type_string)) {
            *why = "\"arguments\" holds a word that is not a string";
            hcr__argv_free(argv);
            return NULL;
        }
        argv[i] = strdup(json_object_get_string(word));
        if (!argv[i]) {
            hcr__argv_free(argv);
            argv = NULL;
        }
    }
    if (!argv)
        *why = "out of memory";
    *argc = argv ? n : 0;
    return argv;
}

static int is_wrapper(const char *word)
{
    static const char *const wrappers[] = {"ccache", "distcc", "sccache", "icecc"};
    const char *base = strrchr(word, '/');
    base = base ? base + 1 : word;
    for (size_t i = 0; i < HCR__ARRAY_SIZE(wrappers); i++)
        if (!strcmp(base, wrappers[i]))
            return 1;
    return 0;
}

/* Drops compiler wrappers from the front of argv, with the KEY=VALUE
   settings ccache accepts after its name; the compiler is argv[0] after. */
static void drop_wrappers(char **argv, size_t *argc)
{
    size_t skip = 0;
    while (skip + 1 < *argc && is_wrapper(argv[skip])) {
        free(argv[skip++]);
        while (skip + 1 < *argc && argv[skip][0] != '-' && strchr(argv[skip], '=') &&
               !strchr(argv[skip], '/'))
            free(argv[skip++]);
    }
    if (!skip)
        return;
    memmove(argv, argv + skip, (*argc - skip + 1) * sizeof *argv);
    *argc -= skip;
}

/* The value of the last -o option of argv (-o X or -oX), or NULL. */
static const char *output_option(char **argv, size_t argc)
{
    const char *out = NULL;
    for (size_t i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strncmp(argv[i], "-o", 2) && argv[i][2])
            out = argv[i] + 2;
    }
    return out;
}

/* The command of `entry`: "arguments" if present, else "command" split as
   sh would. NULL with why. */
static char **entry_argv(json_object *entry, size_t *argc, const char **why,
                         struct hcr__message *split_msg)
{
    json_object *args;
    if (json_object_object_get_ex(entry, "arguments", &args))
        return arguments_argv(args, argc, why);
    const char *command = string_member(entry, "command");
    if (!command) {
        *why = "it has neither \"arguments\" nor a \"command\" string";
        return NULL;
    }
    char **argv = hcr__shell_split(command, argc, split_msg);
    if (!argv)
        *why = split_msg->text;
    return argv;
}

/* The absolute directory of an entry: relative ones are taken from the
   directory holding the database. malloc'ed, or NULL. */
static char *entry_directory(const char *db_path, const char *directory)
{
    if (directory[0] == '/')
        return hcr__path_in(NULL, directory);
    char *db_dir = strdup(db_path);
    char *slash = db_dir ? strrchr(db_dir, '/') : NULL;
    char *out;
    if (slash) {
        *slash = '\0';
        out = hcr__path_in(*db_dir ? db_dir : "/", directory);
    } else {
        char *cwd = getcwd(NULL, 0);
        out = cwd ? hcr__path_in(cwd, directory) : NULL;
        free(cwd);
    }
    free(db_dir);
    return out;
}

/* Fills *u from entry `index` of the database. 0; 1 when the entry is
   unusable, with *why; HCR_ENOMEM. */
static int read_entry(const char *db_path, json_object *entry, struct hcr__live_unit *u,
                      const char **why, struct hcr__message *split_msg)
{
    memset(u, 0, sizeof *u);
    if (!json_object_is_type(entry, json_type_object)) {
        *why = "it is not a JSON object";
        return 1;
    }
    const char *directory = string_member(entry, "directory");
    const char *file = string_member(entry, "file");
    if (!directory || !*directory || !file || !*file) {
        *why = !directory || !*directory ? "it has no \"directory\" string"
                                         : "it has no \"file\" string";
        return 1;
    }
    u->argv = entry_argv(entry, &u->argc, why, split_msg);
    if (!u->argv)
        return 1;
    if (u->argc == 0) {
        *why = "its command is empty";
        return 1;
    }
    drop_wrappers(u->argv, &u->argc);
    const char *output = string_member(entry, "output");
    if (!output)
        output = output_option(u->argv, u->argc);
    u->directory = entry_directory(db_path, directory);
    u->source = u->directory ? hcr__path_in(u->directory, file) : NULL;
    u->output = output && u->directory ? hcr__path_in(u->directory, output) : NULL;
    if (!u->directory || !u->source || (output && !u->output)) {
        *why = "out of memory";
        return HCR_ENOMEM;
    }
    return 0;
}

void hcr__live_unit_clear(struct hcr__live_unit *u)
{
    hcr__argv_free(u->argv);
    free(u->source);
    free(u->directory);
    free(u->output);
    memset(u, 0, sizeof *u);
}

/* ---- duplicates ---- */

struct dup_key {
    const char *source;
    size_t index;
};

static int compare_keys(const void *a, const void *b)
{
    const struct dup_key *x = a, *y = b;
    int c = strcmp(x->source, y->source);
    if (c)
        return c;
    return (x->index > y->index) - (x->index < y->index);
}

/* Among the units keys[0..n) (one source, in database order), the one to
   keep: the first that prefer_output accepts, else the first. Logs it. */
static size_t pick_duplicate(const char *db_path, const struct hcr__live_units *units,
                             const struct dup_key *keys, size_t n,
                             int (*prefer_output)(const char *, const char *, void *), void *user)
{
    for (size_t k = 0; prefer_output && k < n; k++) {
        const struct hcr__live_unit *u = &units->v[keys[k].index];
        if (u->output && prefer_output(u->source, u->output, user)) {
            hcr__log(NULL, HCR_LOG_INFO,
                     "%s lists %s %zu times; using the one that writes %s, the object this "
                     "program was built from", db_path, u->source, n, u->output);
            return k;
        }
    }
    const struct hcr__live_unit *first = &units->v[keys[0].index];
    hcr__log(NULL, HCR_LOG_INFO,
             "%s lists %s %zu times; using the first (output %s)%s", db_path, first->source, n,
             first->output ? first->output : "not named",
             prefer_output ? ": none of them writes an object this program was built from"
                           : "");
    return 0;
}

/* Keeps one unit per source (see pick_duplicate), in database order.
   0, or HCR_ENOMEM. */
static int drop_duplicates(const char *db_path, struct hcr__live_units *units,
                           int (*prefer_output)(const char *, const char *, void *), void *user)
{
    if (units->n < 2)
        return 0;
    struct dup_key *keys = malloc(units->n * sizeof *keys);
    char *drop = calloc(units->n, 1);
    if (!keys || !drop) {
        free(keys);
        free(drop);
        return HCR_ENOMEM;
    }
    for (size_t i = 0; i < units->n; i++)
        keys[i] = (struct dup_key){units->v[i].source, i};
    qsort(keys, units->n, sizeof *keys, compare_keys);
    for (size_t start = 0, end; start < units->n; start = end) {
        for (end = start + 1; end < units->n && !strcmp(keys[end].source, keys[start].source);)
            end++;
        if (end - start < 2)
            continue;
        size_t keep = pick_duplicate(db_path, units, keys + start, end - start, prefer_output,
                                     user);
        for (size_t k = start; k < end; k++)
            drop[keys[k].index] = k - start != keep;
    }
    size_t kept = 0;
    for (size_t i = 0; i < units->n; i++) {
        if (drop[i])
            hcr__live_unit_clear(&units->v[i]);
        else
            units->v[kept++] = units->v[i];
    }
    units->n = kept;
    free(keys);
    free(drop);
    return 0;
}

/* ---- the whole database ---- */

/* Reads every entry of the array `root` into *out, skipping bad ones with
   a warning. 0, or a negative code with msg when none is usable. */
static int read_entries(const char *path, json_object *root, struct hcr__live_units *out,
                        struct hcr__message *msg)
{
    size_t count = json_object_array_length(root), cap = 0, skipped = 0;
    struct hcr__message first_problem = {{0}};
    for (size_t i = 0; i < count; i++) {
        struct hcr__live_unit *grown = hcr__grow(out->v, out->n, &cap, sizeof *grown, 64);
        if (!grown)
            return hcr__fail(msg, HCR_ENOMEM, "out of memory reading %s", path);
        out->v = grown;
        const char *why = NULL;
        struct hcr__message split_msg = {{0}};
        int rc = read_entry(path, json_object_array_get_idx(root, i), &out->v[out->n], &why,
                            &split_msg);
        if (rc == 0) {
            out->n++;
            continue;
        }
        hcr__live_unit_clear(&out->v[out->n]);
        if (rc < 0)
            return hcr__fail(msg, rc, "out of memory reading entry %zu of %s", i, path);
        if (!skipped++)
            hcr__fail(&first_problem, 0, "entry %zu: %s", i, why);
        hcr__log(NULL, HCR_LOG_WARN, "%s: entry %zu skipped: %s", path, i, why);
    }
    if (count == 0)
        return hcr__fail(msg, HCR_EINVAL, "the compilation database %s lists no translation "
                         "unit; %s", path, COMPILE_DB_HOWTO);
    if (out->n == 0)
        return hcr__fail(msg, HCR_ECORRUPT, "no entry of the compilation database %s is usable "
                         "(%zu skipped; %s)", path, skipped, first_problem.text);
    return 0;
}

int hcr__compile_db_read(const char *path,
                         int (*prefer_output)(const char *source, const char *output, void *user),
                         void *user, struct hcr__live_units *out, struct hcr__message *msg)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    int rc = slurp(path, &text, &len, msg);
    if (rc < 0)
        return rc;
    json_object *root = parse_json(path, text, len, msg, &rc);
    free(text);
    if (!root)
        return rc;
    if (!json_object_is_type(root, json_type_array)) {
        rc = hcr__fail(msg, HCR_ECORRUPT, "the compilation database %s is not a JSON array of "
                       "entries (it holds a JSON %s)", path,
                       json_type_to_name(json_object_get_type(root)));
    } else {
        rc = read_entries(path, root, out, msg);
    }
    json_object_put(root);
    if (rc == 0 && drop_duplicates(path, out, prefer_output, user) < 0)
        rc = hcr__fail(msg, HCR_ENOMEM, "out of memory reading %s", path);
    if (rc < 0)
        hcr__live_units_free(out);
    return rc;
}
