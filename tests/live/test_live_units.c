/*
 * test_live_units.c: the translation units of live editing (src/live/
 * units.h) apart from the compilation database (test_live_compile_db.c):
 * shell word splitting, the recompile command, dependency files, units
 * rebuilt from the debug information of a program built here (see
 * CMakeLists.txt), and the images of the test process whose units live
 * editing takes.
 */
#include "harness.h"
#include "live/units.h"
#include "units_util.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- shell splitting ---- */

TEST(split_plain_words)
{
    size_t argc = 99;
    struct hcr__message msg = {{0}};
    char **argv = hcr__shell_split("  gcc\t-O2 \n -c  a.c ", &argc, &msg);
    CHECK(argv != NULL);
    CHECK_EQ(argc, 4);
    CHECK_STREQ(joined(argv), "gcc|-O2|-c|a.c");
    CHECK(argv[4] == NULL);
    hcr__argv_free(argv);

    argv = hcr__shell_split("", &argc, &msg);
    CHECK(argv != NULL);
    CHECK_EQ(argc, 0);
    CHECK(argv[0] == NULL);
    hcr__argv_free(argv);
}

TEST(split_quotes_and_backslashes)
{
    size_t argc;
    struct hcr__message msg = {{0}};
    const char *command = "gcc -DX='a b' \"-DY=\\\"q\\\"\" my\\ file.c '' "
                          "\"\\$x\\\\y\\a\" 'it\\s' a\"b\"'c' x\\\ny \"l1\\\nl2\"";
    char **argv = hcr__shell_split(command, &argc, &msg);
    CHECK(argv != NULL);
    CHECK_EQ(argc, 10);
    CHECK_STREQ(argv[1], "-DX=a b");
    CHECK_STREQ(argv[2], "-DY=\"q\"");
    CHECK_STREQ(argv[3], "my file.c");
    CHECK_STREQ(argv[4], "");
    CHECK_STREQ(argv[5], "$x\\y\\a"); /* \a keeps its backslash inside "..." */
    CHECK_STREQ(argv[6], "it\\s");    /* nothing escapes inside '...' */
    CHECK_STREQ(argv[7], "abc");
    CHECK_STREQ(argv[8], "xy");
    CHECK_STREQ(argv[9], "l1l2");
    hcr__argv_free(argv);
    argv = hcr__shell_split("cc -D'$HOME' `x` ~", &argc, &msg);
    CHECK_STREQ(joined(argv), "cc|-D$HOME|`x`|~");
    hcr__argv_free(argv);
}

TEST(split_unterminated_quote)
{
    size_t argc = 7;
    struct hcr__message msg = {{0}};
    CHECK(hcr__shell_split("gcc -c 'a.c", &argc, &msg) == NULL);
    CHECK_STR_HAS(msg.text, "unterminated ' quote at column 8");
    CHECK_STR_HAS(msg.text, "gcc -c 'a.c");
    CHECK(hcr__shell_split("gcc \"-DX=\\\"", &argc, &msg) == NULL);
    CHECK_STR_HAS(msg.text, "unterminated \" quote");
    CHECK_EQ(argc, 0);
}

/* ---- the recompile command ---- */

TEST(compile_argv_drops_and_appends)
{
    char *argv[] = {"gcc", "-O2", "-c", "src/a.c", "-o", "a.o", "-MD", "-MF", "a.d",
                    "-MT", "a.o", "-MQ", "x", "-MP", "-MMD", "-flto=auto", "-Wall",
                    "-I", "inc", "-oother.o", "-MFfoo.d", "-ffat-lto-objects", "-Werror",
                    "/w/src/a.c", "other.c", NULL};
    struct hcr__live_unit unit = {.source = "/w/src/a.c", .directory = "/w",
                                  .argv = argv, .argc = HCR__ARRAY_SIZE(argv) - 1};
    char **cmd = hcr__compile_argv(&unit, "/cache/a.o", "/cache/a.d", " -DEXTRA=1  -O0 ");
    CHECK(cmd != NULL);
    char want[2048];
    char reload[512];
    snprintf(reload, sizeof reload, "%s", HCR_RELOAD_CFLAGS_STRING);
    for (char *p = reload; *p; p++)
        if (*p == ' ')
            *p = '|';
    snprintf(want, sizeof want,
             "gcc|-O2|-Wall|-I|inc|-ffat-lto-objects|-Werror|other.c|-DEXTRA=1|-O0|%s|"
             "-c|/w/src/a.c|-o|/cache/a.o|-MD|-MF|/cache/a.d", reload);
    CHECK_STREQ(joined(cmd), want);
    CHECK_STR_HAS(joined(cmd), "|-fpatchable-function-entry=9,5|");
    hcr__argv_free(cmd);

    /* no extra flags, no depfile, -o last without a value */
    char *short_argv[] = {"cc", "-c", "a.c", "-o", NULL};
    unit.argv = short_argv;
    unit.argc = 4;
    unit.source = "/w/a.c";
    cmd = hcr__compile_argv(&unit, "o.o", NULL, NULL);
    snprintf(want, sizeof want, "cc|%s|-c|/w/a.c|-o|o.o", reload);
    CHECK_STREQ(joined(cmd), want);
    hcr__argv_free(cmd);
}

/* ---- dependency files ---- */

TEST(depfile_continuations_and_escapes)
{
    char *tmp = real_tmpdir();
    const char *dep = write_file("a.d", "obj/a.o obj/a.d: src/a.c /abs/b.h \\\n"
                                        "  inc/c\\ d.h dollar$$x.h \\\n"
                                        " hash\\#1.h\n"
                                        "\n"
                                        "/abs/b.h:\n"
                                        "inc/c\\ d.h:\n");
    size_t n = 99;
    char **files = hcr__depfile_read(dep, "/w", &n);
    CHECK(files != NULL);
    CHECK_EQ(n, 5);
    CHECK_STREQ(joined(files), "/w/src/a.c|/abs/b.h|/w/inc/c d.h|/w/dollar$x.h|/w/hash#1.h");
    CHECK(files[5] == NULL);
    hcr__argv_free(files);

    /* an existing file is resolved */
    make_dir(harness_path("inc"));
    write_file("inc/h.h", "");
    dep = write_file("b.d", "b.o: inc/../inc/h.h\n");
    files = hcr__depfile_read(dep, tmp, &n);
    char want[PATH_MAX + 16];
    snprintf(want, sizeof want, "%s/inc/h.h", tmp);
    CHECK_EQ(n, 1);
    CHECK_STREQ(files[0], want);
    hcr__argv_free(files);

    /* no prerequisites; then no rule at all; then no file */
    files = hcr__depfile_read(write_file("c.d", "c.o:\n"), "/w", &n);
    CHECK(files != NULL && files[0] == NULL);
    CHECK_EQ(n, 0);
    hcr__argv_free(files);
    n = 5;
    CHECK(hcr__depfile_read(write_file("d.d", "just words\n"), "/w", &n) == NULL);
    CHECK_EQ(n, 0);
    CHECK(hcr__depfile_read(harness_path("none.d"), "/w", &n) == NULL);
    free(tmp);
}

/* ---- debug information ---- */

static const struct hcr__live_unit *unit_named(const struct hcr__live_units *units,
                                               const char *source)
{
    for (size_t i = 0; i < units->n; i++)
        if (!strcmp(units->v[i].source, source))
            return &units->v[i];
    harness_fail(__FILE__, __LINE__, "no unit for %s", source);
}

static int has_word(char **argv, const char *word)
{
    for (size_t i = 0; argv[i]; i++)
        if (!strcmp(argv[i], word))
            return 1;
    return 0;
}

TEST(debug_info_units)
{
    char *fix = realpath(LIVE_FIXTURE_DIR, NULL);
    CHECK(fix != NULL);
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    int rc = hcr__units_from_debug_info(LIVE_BUILD_DIR "/dbg_prog", &units, &msg);
    if (rc < 0)
        harness_fail(__FILE__, __LINE__, "%s", msg.text);
    CHECK_EQ(units.n, 2); /* answer.S and the crt files are left out */
    char main_c[PATH_MAX + 32], util_c[PATH_MAX + 32], inc[PATH_MAX + 32], one[PATH_MAX + 32];
    snprintf(main_c, sizeof main_c, "%s/one/main.c", fix);
    snprintf(util_c, sizeof util_c, "%s/two/util.c", fix);
    snprintf(inc, sizeof inc, "-I%s/inc", fix);
    snprintf(one, sizeof one, "-I%s/one", fix);
    const struct hcr__live_unit *m = unit_named(&units, main_c);
    const struct hcr__live_unit *u = unit_named(&units, util_c);
    for (const struct hcr__live_unit *x = m; x; x = x == m ? u : NULL) {
        CHECK_STREQ(x->directory, fix);
        CHECK_STREQ(x->argv[0], "gcc");
        CHECK(has_word(x->argv, "-O2"));
        CHECK(has_word(x->argv, "-g"));
        CHECK(has_word(x->argv, inc));
        CHECK(!has_word(x->argv, one));
        CHECK(strstr(joined(x->argv), "/usr/include") == NULL);
        CHECK_EQ(x->from_debug_info, 1);
        CHECK(x->output == NULL);
        CHECK_INT(x->argc, >=, 5);
        CHECK_STREQ(x->argv[x->argc - 2], "-c");
        CHECK_STREQ(x->argv[x->argc - 1], x->source);
        CHECK(x->argv[x->argc] == NULL);
    }
    /* main.c was built with -std=c99, which gcc records: kept, no other */
    CHECK(has_word(m->argv, "-std=c99"));
    CHECK(strstr(joined(m->argv), "-std=gnu") == NULL);
    /* util.c has the default standard: from the language word "GNU C17" */
    CHECK_STR_HAS(joined(u->argv), "|-std=gnu");
    CHECK(strstr(joined(u->argv), "-std=c") == NULL);
    hcr__live_units_free(&units);
    free(fix);
}

/* ---- the process's images ---- */

/* The test process with three fixture libraries loaded: the executable
   comes first, then the libraries with debug information, built with the
   reload flags or without them; the one named like hcr's own is not even
   looked at. */
TEST(images_of_the_process)
{
    hcr_set_log(NULL, NULL);
    CHECK(dlopen(LIVE_BUILD_DIR "/libflagged.so", RTLD_NOW) != NULL);
    CHECK(dlopen(LIVE_BUILD_DIR "/libunflagged.so", RTLD_NOW) != NULL);
    CHECK(dlopen(LIVE_BUILD_DIR "/libhcr_fixture.so", RTLD_NOW) != NULL);
    struct hcr__log log = {capture_log, NULL};
    struct hcr__live_images images;
    CHECK_EQ(hcr__live_images_find(&images, &log), 0);
    char *exe = realpath("/proc/self/exe", NULL);
    char *fix = realpath(LIVE_FIXTURE_DIR, NULL);
    CHECK(exe && fix);
    CHECK_INT(images.n, >=, 1);
    CHECK_STREQ(images.v[0].path, exe);
    CHECK_EQ(images.n, 3);
    CHECK_STREQ(images.v[1].path, LIVE_BUILD_DIR "/libflagged.so");
    CHECK_EQ(images.v[1].units.n, 1);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "%s/lib/flagged.c", fix);
    CHECK_STREQ(images.v[1].units.v[0].source, want);
    CHECK_EQ(images.v[1].units.v[0].from_debug_info, 1);
    CHECK_STREQ(images.v[2].path, LIVE_BUILD_DIR "/libunflagged.so");
    CHECK_EQ(images.v[2].units.n, 1);
    snprintf(want, sizeof want, "%s/lib/unflagged.c", fix);
    CHECK_STREQ(images.v[2].units.v[0].source, want);
    CHECK(strstr(logged, "libhcr_fixture") == NULL);
    CHECK(strstr(logged, "libflagged") == NULL);
    hcr__live_images_free(&images);
    CHECK(images.v == NULL && images.n == 0);
    free(exe);
    free(fix);
}

TEST(debug_info_errors)
{
    struct hcr__live_units units;
    struct hcr__message msg = {{0}};
    const char *missing = harness_path("no-such-program");
    CHECK_EQ(hcr__units_from_debug_info(missing, &units, &msg), HCR_ENOENT);
    CHECK_STR_HAS(msg.text, missing);
    CHECK_EQ(hcr__units_from_debug_info(LIVE_FIXTURE_DIR "/one/main.c", &units, &msg),
             HCR_ENOEXEC);
    CHECK_STR_HAS(msg.text, "one/main.c is not an ELF file");
    CHECK_EQ(hcr__units_from_debug_info(LIVE_BUILD_DIR "/nodbg_prog", &units, &msg), HCR_ENOENT);
    CHECK_STR_HAS(msg.text, "nodbg_prog has no debug information");
    CHECK(units.v == NULL && units.n == 0);
}
