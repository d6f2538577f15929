/*
 * test_live_compile_db.c: where live editing's compile commands come from
 * (src/live/compile_db.c, output_match.c, through units.h): reading a
 * compilation database in both entry forms, with compiler wrappers
 * dropped; the choice among duplicate entries, by output and by the
 * objects the running program was linked from (the debug information of
 * a program built here, see CMakeLists.txt); missing, corrupt and bad
 * entries; and where the database is searched for.
 */
#include "harness.h"
#include "live/units.h"
#include "units_util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* Reads a database written from `json` into the temporary directory. */
static int read_db(const char *json, struct hcr__live_units *out, struct hcr__message *msg)
{
    const char *path = write_file("compile_commands.json", json);
    return hcr__compile_db_read(path, NULL, NULL, out, msg);
}


/* ---- reading the database ---- */

TEST(db_command_form_and_directory)
{
    char *tmp = real_tmpdir();
    char src[PATH_MAX], json[2 * PATH_MAX];
    snprintf(src, sizeof src, "%s/src", tmp);
    make_dir(src);
    write_file("src/a.c", "int a;\n");
    snprintf(json, sizeof json,
             "[{\"directory\": \"%s/src\", \"file\": \"a.c\",\n"
             "  \"command\": \"/usr/bin/gcc -DNAME='\\\"x y\\\"' -I'inc dir' -c a.c -o ../obj/a.o\"}]",
             tmp);
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    int rc = read_db(json, &units, &msg);
    CHECK_EQ(rc, 0);
    CHECK_EQ(units.n, 1);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "%s/src/a.c", tmp);
    CHECK_STREQ(units.v[0].source, want);
    CHECK_STREQ(units.v[0].directory, src);
    snprintf(want, sizeof want, "%s/src/../obj/a.o", tmp); /* no such file: joined as written */
    CHECK_STREQ(units.v[0].output, want);
    CHECK_STREQ(joined(units.v[0].argv), "/usr/bin/gcc|-DNAME=\"x y\"|-Iinc dir|-c|a.c|-o|../obj/a.o");
    CHECK_EQ(units.v[0].argc, 7);
    CHECK_EQ(units.v[0].from_debug_info, 0);
    hcr__live_units_free(&units);
    CHECK(units.v == NULL && units.n == 0);
    free(tmp);
}

TEST(db_arguments_form_with_spaces)
{
    char *tmp = real_tmpdir();
    char json[2 * PATH_MAX];
    make_dir(harness_path("my dir"));
    write_file("my dir/b c.c", "int b;\n");
    snprintf(json, sizeof json,
             "[{\"directory\": \"%s/my dir\", \"file\": \"b c.c\", \"output\": \"out/b c.o\",\n"
             "  \"arguments\": [\"cc\", \"-O1\", \"-DQ=\\\"'\\\\\\\"\", \"-c\", \"b c.c\", "
             "\"-o\", \"elsewhere.o\"]},\n"
             " {\"directory\": \"sub\", \"file\": \"/abs/z.c\", \"arguments\": [\"cc\", \"-c\", "
             "\"/abs/z.c\"]}]",
             tmp);
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    CHECK_EQ(read_db(json, &units, &msg), 0);
    CHECK_EQ(units.n, 2);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "%s/my dir/b c.c", tmp);
    CHECK_STREQ(units.v[0].source, want);
    snprintf(want, sizeof want, "%s/my dir/out/b c.o", tmp); /* "output" wins over -o */
    CHECK_STREQ(units.v[0].output, want);
    CHECK_STREQ(joined(units.v[0].argv), "cc|-O1|-DQ=\"'\\\"|-c|b c.c|-o|elsewhere.o");
    /* a relative directory is taken from the database's own directory */
    snprintf(want, sizeof want, "%s/sub", tmp);
    CHECK_STREQ(units.v[1].directory, want);
    CHECK_STREQ(units.v[1].source, "/abs/z.c");
    CHECK(units.v[1].output == NULL);
    hcr__live_units_free(&units);
    free(tmp);
}

TEST(db_wrappers_dropped)
{
    const char *json =
        "[{\"directory\": \"/w\", \"file\": \"1.c\", \"command\": \"ccache gcc -c 1.c -o1.o\"},"
        " {\"directory\": \"/w\", \"file\": \"2.c\", \"command\": \"/usr/bin/distcc cc -c 2.c\"},"
        " {\"directory\": \"/w\", \"file\": \"3.c\", \"arguments\": [\"sccache\", \"clang\", "
        "\"-c\", \"3.c\"]},"
        " {\"directory\": \"/w\", \"file\": \"4.c\", \"command\": \"icecc ccache "
        "CCACHE_SLOPPINESS=time_macros gcc-12 -c 4.c\"},"
        " {\"directory\": \"/w\", \"file\": \"5.c\", \"command\": \"ccache\"}]";
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    CHECK_EQ(read_db(json, &units, &msg), 0);
    CHECK_EQ(units.n, 5);
    CHECK_STREQ(joined(units.v[0].argv), "gcc|-c|1.c|-o1.o");
    CHECK_STREQ(units.v[0].output, "/w/1.o");
    CHECK_STREQ(joined(units.v[1].argv), "cc|-c|2.c");
    CHECK_EQ(units.v[1].argc, 3);
    CHECK_STREQ(joined(units.v[2].argv), "clang|-c|3.c");
    CHECK_STREQ(joined(units.v[3].argv), "gcc-12|-c|4.c");
    CHECK_EQ(units.v[3].argc, 3);
    CHECK_STREQ(joined(units.v[4].argv), "ccache"); /* nothing after it: kept */
    hcr__live_units_free(&units);
}

static int prefer_b(const char *source, const char *output, void *user)
{
    ++*(int *)user;
    return strstr(source, "/d.c") && strstr(output, "/b/");
}

static const char dup_json[] =
    "[{\"directory\": \"/w\", \"file\": \"d.c\", \"command\": \"gcc -DA -c d.c -o a/d.o\"},"
    " {\"directory\": \"/w\", \"file\": \"e.c\", \"command\": \"gcc -c e.c -o e.o\"},"
    " {\"directory\": \"/w\", \"file\": \"/w/d.c\", \"command\": \"gcc -DB -c d.c -o b/d.o\"},"
    " {\"directory\": \"/w\", \"file\": \"d.c\", \"command\": \"gcc -DC -c d.c -o c/d.o\"}]";

TEST(db_duplicates_keep_first)
{
    hcr_set_log(capture_log, NULL);
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    CHECK_EQ(read_db(dup_json, &units, &msg), 0);
    CHECK_EQ(units.n, 2);
    CHECK_STREQ(units.v[0].source, "/w/d.c");
    CHECK_STREQ(units.v[0].output, "/w/a/d.o");
    CHECK_STREQ(units.v[1].source, "/w/e.c");
    CHECK_STR_HAS(logged, "INFO ");
    CHECK_STR_HAS(logged, "compile_commands.json lists /w/d.c 3 times; using the first "
                          "(output /w/a/d.o)");
    hcr__live_units_free(&units);
}

TEST(db_duplicates_prefer_output)
{
    hcr_set_log(capture_log, NULL);
    const char *path = write_file("compile_commands.json", dup_json);
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    int calls = 0;
    CHECK_EQ(hcr__compile_db_read(path, prefer_b, &calls, &units, &msg), 0);
    CHECK_EQ(units.n, 2);
    CHECK_INT(calls, >=, 2);
    CHECK_STREQ(units.v[0].source, "/w/e.c"); /* database order kept */
    CHECK_STREQ(units.v[1].output, "/w/b/d.o");
    CHECK_STR_HAS(joined(units.v[1].argv), "-DB");
    CHECK_STR_HAS(logged, "INFO ");
    CHECK_STR_HAS(logged, "using the one that writes /w/b/d.o");
    hcr__live_units_free(&units);

    /* none accepted: the first, and the log says so */
    logged[0] = '\0';
    int none_calls = 0;
    CHECK_EQ(hcr__compile_db_read(path, prefer_b, &none_calls, &units, &msg), 0);
    hcr__live_units_free(&units);
    const char *other = write_file("other.json", "[{\"directory\": \"/w\", \"file\": \"d.c\", "
                                                 "\"command\": \"gcc -c d.c -o x.o\"},"
                                                 "{\"directory\": \"/w\", \"file\": \"d.c\", "
                                                 "\"command\": \"gcc -c d.c -o y.o\"}]");
    logged[0] = '\0';
    CHECK_EQ(hcr__compile_db_read(other, prefer_b, &none_calls, &units, &msg), 0);
    CHECK_EQ(units.n, 1);
    CHECK_STREQ(units.v[0].output, "/w/x.o");
    CHECK_STR_HAS(logged, "using the first (output /w/x.o): none of them writes");
    hcr__live_units_free(&units);
}

/* ---- choosing among duplicates by the running program ---- */

/* dbg_prog as the one image of a process, its units read from its debug
   information. Free with hcr__live_units_free(&image->units). */
static struct hcr__live_images fixture_images(struct hcr__live_image *image)
{
    struct hcr__message msg = {{0}};
    image->path = LIVE_BUILD_DIR "/dbg_prog";
    if (hcr__units_from_debug_info(image->path, &image->units, &msg) < 0)
        harness_fail(__FILE__, __LINE__, "%s", msg.text);
    return (struct hcr__live_images){image, 1};
}

/* "[build dir]/name", the build directory resolved as the reader resolves
   an existing output. Static, rotated over 8 calls. */
static const char *built(const char *name)
{
    static char slots[8][PATH_MAX + 64];
    static int next;
    char *out = slots[next++ % 8];
    char *dir = realpath(LIVE_BUILD_DIR, NULL);
    CHECK(dir != NULL);
    snprintf(out, sizeof slots[0], "%s/%s", dir, name);
    free(dir);
    return out;
}

/* A database listing two/util.c once per output of `outputs` (in order),
   then one/main.c; returns its path. */
static const char *util_db(const char *fix, const char *const *outputs, size_t n)
{
    char json[8192];
    size_t used = (size_t)snprintf(json, sizeof json, "[");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(json + used, sizeof json - used,
                                 "{\"directory\": \"%s\", \"file\": \"two/util.c\", "
                                 "\"output\": \"%s\", \"arguments\": [\"gcc\", \"-DENTRY%zu\", "
                                 "\"-c\", \"two/util.c\"]},\n",
                                 fix, outputs[i], i);
    snprintf(json + used, sizeof json - used,
             "{\"directory\": \"%s\", \"file\": \"one/main.c\", \"arguments\": [\"gcc\", \"-c\", "
             "\"one/main.c\"]}]", fix);
    return write_file("compile_commands.json", json);
}

TEST(output_was_linked_compares_with_the_image)
{
    char *fix = realpath(LIVE_FIXTURE_DIR, NULL);
    CHECK(fix != NULL);
    struct hcr__live_image prog;
    struct hcr__live_images images = fixture_images(&prog);
    char util_c[PATH_MAX + 32], main_c[PATH_MAX + 32];
    snprintf(util_c, sizeof util_c, "%s/two/util.c", fix);
    snprintf(main_c, sizeof main_c, "%s/one/main.c", fix);
    static const struct {
        const char *object;
        int linked;
    } cases[] = {
        {"live_util.o", 1},           /* the object dbg_prog was linked from */
        {"live_util_variant.o", 0},   /* -DUTIL_VARIANT: one function more */
        {"live_util_elsewhere.o", 0}, /* another DW_AT_comp_dir */
        {"live_util_O0.o", 0},        /* another DW_AT_producer */
        {"dbg_prog", 0},              /* not an object of util.c: the program */
        {"no_such.o", 0},
    };
    for (size_t i = 0; i < HCR__ARRAY_SIZE(cases); i++) {
        int got = hcr__output_was_linked(util_c, built(cases[i].object), &images);
        if (got != cases[i].linked)
            harness_fail(__FILE__, __LINE__, "%s: linked %d, expected %d", cases[i].object, got,
                         cases[i].linked);
    }
    /* the right object for another source */
    CHECK_EQ(hcr__output_was_linked(main_c, built("live_util.o"), &images), 0);
    CHECK_EQ(hcr__output_was_linked(main_c, built("live_main.o"), &images), 1);
    CHECK_EQ(hcr__output_was_linked(util_c, built("live_util.o"), NULL), 0);
    hcr__live_units_free(&prog.units);
    free(fix);
}

TEST(db_duplicates_keep_the_linked_entry)
{
    hcr_set_log(capture_log, NULL);
    char *fix = realpath(LIVE_FIXTURE_DIR, NULL);
    CHECK(fix != NULL);
    struct hcr__live_image prog;
    struct hcr__live_images images = fixture_images(&prog);
    const char *outputs[] = {built("live_util_variant.o"), built("live_util_elsewhere.o"),
                             built("live_util_O0.o"), built("no_such.o"), built("live_util.o")};
    const char *path = util_db(fix, outputs, HCR__ARRAY_SIZE(outputs));
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    CHECK_EQ(hcr__compile_db_read(path, hcr__output_was_linked, &images, &units, &msg), 0);
    CHECK_EQ(units.n, 2);
    CHECK_STREQ(units.v[0].output, built("live_util.o"));
    CHECK_STR_HAS(joined(units.v[0].argv), "|-DENTRY4|");
    char want[2 * PATH_MAX];
    snprintf(want, sizeof want, "compile_commands.json lists %s/two/util.c 5 times; using the "
             "one that writes %s, the object this program was built from", fix,
             built("live_util.o"));
    CHECK_STR_HAS(logged, want);
    hcr__live_units_free(&units);
    hcr__live_units_free(&prog.units);
    free(fix);
}

TEST(db_duplicates_none_linked_keep_the_first)
{
    hcr_set_log(capture_log, NULL);
    char *fix = realpath(LIVE_FIXTURE_DIR, NULL);
    CHECK(fix != NULL);
    struct hcr__live_image prog;
    struct hcr__live_images images = fixture_images(&prog);
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    char want[2 * PATH_MAX];

    /* outputs that exist, none of them linked */
    const char *others[] = {built("live_util_variant.o"), built("live_util_O0.o")};
    const char *path = util_db(fix, others, HCR__ARRAY_SIZE(others));
    CHECK_EQ(hcr__compile_db_read(path, hcr__output_was_linked, &images, &units, &msg), 0);
    CHECK_EQ(units.n, 2);
    CHECK_STREQ(units.v[0].output, built("live_util_variant.o"));
    CHECK_STR_HAS(joined(units.v[0].argv), "|-DENTRY0|");
    snprintf(want, sizeof want, "lists %s/two/util.c 2 times; using the first (output %s): "
             "none of them writes an object this program was built from", fix,
             built("live_util_variant.o"));
    CHECK_STR_HAS(logged, want);
    hcr__live_units_free(&units);

    /* outputs that do not exist */
    logged[0] = '\0';
    const char *missing[] = {built("gone/first.o"), built("gone/second.o"),
                             built("gone/third.o")};
    path = util_db(fix, missing, HCR__ARRAY_SIZE(missing));
    CHECK_EQ(hcr__compile_db_read(path, hcr__output_was_linked, &images, &units, &msg), 0);
    CHECK_EQ(units.n, 2);
    CHECK_STREQ(units.v[0].output, built("gone/first.o"));
    snprintf(want, sizeof want, "lists %s/two/util.c 3 times; using the first (output %s): "
             "none of them", fix, built("gone/first.o"));
    CHECK_STR_HAS(logged, want);
    hcr__live_units_free(&units);
    hcr__live_units_free(&prog.units);
    free(fix);
}

TEST(db_missing_file)
{
    struct hcr__live_units units = {(void *)1, 5};
    struct hcr__message msg = {{0}};
    const char *path = harness_path("nothing-here.json");
    CHECK_EQ(hcr__compile_db_read(path, NULL, NULL, &units, &msg), HCR_ENOENT);
    CHECK_STR_HAS(msg.text, path);
    CHECK_STR_HAS(msg.text, "CMAKE_EXPORT_COMPILE_COMMANDS");
    CHECK(units.v == NULL && units.n == 0);
    CHECK_EQ(hcr__compile_db_read(harness_tmpdir(), NULL, NULL, &units, &msg), HCR_EISDIR);
    CHECK_STR_HAS(msg.text, "is a directory");
}

TEST(db_corrupt_truncated_not_array)
{
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    CHECK_EQ(read_db("[\n{\"directory\": \"/w\",,}]", &units, &msg), HCR_ECORRUPT);
    CHECK_STR_HAS(msg.text, "compile_commands.json is not valid JSON");
    CHECK_STR_HAS(msg.text, "line 2");
    CHECK_EQ(read_db("[{\"directory\": \"/w\", \"file\": \"a", &units, &msg), HCR_ETRUNC);
    CHECK_STR_HAS(msg.text, "compile_commands.json is truncated");
    CHECK_EQ(read_db("", &units, &msg), HCR_ETRUNC);
    CHECK_STR_HAS(msg.text, "compile_commands.json is empty");
    CHECK_EQ(read_db("{\"directory\": \"/w\"}", &units, &msg), HCR_ECORRUPT);
    CHECK_STR_HAS(msg.text, "compile_commands.json is not a JSON array of entries (it holds a "
                            "JSON object)");
    CHECK_EQ(read_db("[]\n[]", &units, &msg), HCR_ECORRUPT);
    CHECK_STR_HAS(msg.text, "text after the JSON value at line 2");
    CHECK_EQ(read_db(" [ ] \n", &units, &msg), HCR_EINVAL);
    CHECK_STR_HAS(msg.text, "lists no translation unit");
    CHECK(units.v == NULL && units.n == 0);
}

TEST(db_bad_entries_skipped)
{
    hcr_set_log(capture_log, NULL);
    const char *json =
        "[42,\n"
        " {\"file\": \"a.c\", \"command\": \"cc -c a.c\"},\n"
        " {\"directory\": \"/w\", \"command\": \"cc -c a.c\"},\n"
        " {\"directory\": \"/w\", \"file\": \"a.c\"},\n"
        " {\"directory\": \"/w\", \"file\": \"a.c\", \"arguments\": \"cc -c a.c\"},\n"
        " {\"directory\": \"/w\", \"file\": \"a.c\", \"arguments\": [\"cc\", 3]},\n"
        " {\"directory\": \"/w\", \"file\": \"a.c\", \"command\": \"cc -c 'a.c\"},\n"
        " {\"directory\": \"/w\", \"file\": \"a.c\", \"command\": \"  \"},\n"
        " {\"directory\": \"/w\", \"file\": \"good.c\", \"command\": \"cc -c good.c\"}]";
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    CHECK_EQ(read_db(json, &units, &msg), 0);
    CHECK_EQ(units.n, 1);
    CHECK_STREQ(units.v[0].source, "/w/good.c");
    hcr__live_units_free(&units);
    CHECK_STR_HAS(logged, "WARN ");
    CHECK_STR_HAS(logged, "compile_commands.json: entry 0 skipped: it is not a JSON object");
    CHECK_STR_HAS(logged, "entry 1 skipped: it has no \"directory\" string");
    CHECK_STR_HAS(logged, "entry 2 skipped: it has no \"file\" string");
    CHECK_STR_HAS(logged, "entry 3 skipped: it has neither \"arguments\" nor a \"command\"");
    CHECK_STR_HAS(logged, "entry 4 skipped: \"arguments\" is not an array of strings");
    CHECK_STR_HAS(logged, "entry 5 skipped: \"arguments\" holds a word that is not a string");
    CHECK_STR_HAS(logged, "entry 6 skipped: unterminated ' quote");
    CHECK_STR_HAS(logged, "entry 7 skipped: its command is empty");
    CHECK(strstr(logged, "entry 8") == NULL);

    CHECK_EQ(read_db("[{\"file\": \"a.c\"}, 7]", &units, &msg), HCR_ECORRUPT);
    CHECK_STR_HAS(msg.text, "no entry of the compilation database");
    CHECK_STR_HAS(msg.text, "compile_commands.json is usable (2 skipped; entry 0: it has no "
                            "\"directory\" string)");
}

/* ---- finding the database ---- */

TEST(db_find_search_order)
{
    char *tmp = real_tmpdir();
    char exe[PATH_MAX], want[PATH_MAX + 32];
    make_dir(harness_path("a"));
    make_dir(harness_path("a/b"));
    make_dir(harness_path("a/b/c"));
    make_dir(harness_path("w"));
    make_dir(harness_path("w/x"));
    snprintf(exe, sizeof exe, "%s/a/b/c/prog", tmp);
    write_file("a/b/c/prog", "not really a program\n");
    unsetenv("HCR_COMPILE_COMMANDS");
    CHECK_EQ(chdir(harness_path("w/x")), 0);

    /* nothing anywhere */
    char *found = hcr__compile_db_find(NULL, exe);
    CHECK(found == NULL);

    /* the current directory's parents */
    write_file("w/compile_commands.json", "[]");
    found = hcr__compile_db_find(NULL, exe);
    snprintf(want, sizeof want, "%s/w/compile_commands.json", tmp);
    CHECK_STREQ(found, want);
    free(found);

    /* beside the executable's parents wins over the current directory */
    write_file("a/compile_commands.json", "[]");
    found = hcr__compile_db_find(NULL, exe);
    snprintf(want, sizeof want, "%s/a/compile_commands.json", tmp);
    CHECK_STREQ(found, want);
    free(found);

    /* and the nearest parent wins */
    write_file("a/b/compile_commands.json", "[]");
    found = hcr__compile_db_find(NULL, exe);
    snprintf(want, sizeof want, "%s/a/b/compile_commands.json", tmp);
    CHECK_STREQ(found, want);
    free(found);

    /* a directory of that name is not a database */
    make_dir(harness_path("a/b/c/compile_commands.json"));
    found = hcr__compile_db_find(NULL, exe);
    CHECK_STREQ(found, want);
    free(found);

    /* the environment wins over the search, the explicit path over both,
       whether or not they exist */
    setenv("HCR_COMPILE_COMMANDS", "/from/env.json", 1);
    found = hcr__compile_db_find(NULL, exe);
    CHECK_STREQ(found, "/from/env.json");
    free(found);
    found = hcr__compile_db_find("/explicit.json", exe);
    CHECK_STREQ(found, "/explicit.json");
    free(found);
    setenv("HCR_COMPILE_COMMANDS", "", 1); /* empty: unset */
    found = hcr__compile_db_find(NULL, NULL);
    snprintf(want, sizeof want, "%s/w/compile_commands.json", tmp);
    CHECK_STREQ(found, want);
    free(found);
    free(tmp);
}
