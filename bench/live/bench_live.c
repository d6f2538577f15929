/*
 * bench_live.c: live editing, measured on real programs it writes and
 * builds in a scratch directory (see CMakeLists.txt):
 *  - save to new code: a program under hcr_live_start rewrites one of its
 *    own 50-line units (rename into place, as editors save) and spins until
 *    the unit's function returns the new value; the compile alone (from
 *    the after_reload callback) is printed beside it. At -O0 and -O2.
 *  - start-up: a program of 200 units calls hcr_live_start; how long the
 *    call holds up its main thread, and how long until discovery is done
 *    (hcr's "units of" log line), off the main thread.
 * The programs print raw samples; this driver prints median and p90.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EDITS 15
#define STARTS 15
#define UNITS 200

static char dir[256];

static void write_file(const char *name, const char *text)
{
    char path[512];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        fprintf(stderr, "bench_live: path too long: %s\n", name);
        exit(1);
    }
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "bench_live: cannot write %s\n", path);
        exit(1);
    }
}

static void run(const char *command)
{
    if (system(command) != 0) {
        fprintf(stderr, "bench_live: failed: %s\n", command);
        exit(1);
    }
}

/* The 50-line unit: some work, and probe() returning `version`. */
static void write_unit(const char *name, int version)
{
    char text[8192];
    int n = snprintf(text, sizeof text, "/* %s, version %d */\n#include <string.h>\n", name,
                     version);
    for (int i = 0; i < 11; i++)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "static int state%d;\nint work%d(const char *s)\n{\n    state%d += (int)strlen(s);\n"
                      "    return state%d * %d;\n}\n",
                      i, i, i, i, i + 1);
    snprintf(text + n, sizeof text - (size_t)n, "int probe(void)\n{\n    return %d;\n}\n", version);
    write_file(name, text);
}

static const char *save_main =
    "#include <hcr.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
    "#include <time.h>\n#include <unistd.h>\n"
    "int probe(void);\n"
    "static volatile double compile_ms;\nstatic volatile int reloads;\n"
    "static void after(const struct hcr_live_event *e, void *u) { (void)u; compile_ms = e->compile_ms; reloads++; }\n"
    "static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }\n"
    "static void write_version(int v) {\n"
    "    FILE *f = fopen(\"unit.c.tmp\", \"w\"), *in = fopen(\"unit.c\", \"r\");\n"
    "    char line[512], want[64]; snprintf(want, sizeof want, \"    return %d;\\n\", v);\n"
    "    while (fgets(line, sizeof line, in)) fputs(strncmp(line, \"    return \", 11) || !strstr(line, \";\") || strstr(line, \"state\") ? line : want, f);\n"
    "    fclose(in); fclose(f); rename(\"unit.c.tmp\", \"unit.c\");\n}\n"
    "int main(int argc, char **argv) {\n"
    "    int edits = atoi(argv[1]);\n"
    "    struct hcr_live_options o = {0}; o.after_reload = after;\n"
    "    if (hcr_live_start(&o)) return 1;\n"
    "    usleep(500000);\n"
    "    for (int k = 2; k < 2 + edits; k++) {\n"
    "        int before = reloads; double t0 = now();\n"
    "        write_version(k);\n"
    "        while (probe() != k) { if (now() - t0 > 20000) return 2; }\n"
    "        double t1 = now();\n"
    "        while (reloads == before) usleep(100);\n"
    "        printf(\"%f %f\\n\", t1 - t0, compile_ms); fflush(stdout);\n"
    "        usleep(100000);\n"
    "    }\n"
    "    hcr_live_stop();\n    return 0;\n}\n";

static const char *start_main =
    "#include <hcr.h>\n#include <stdio.h>\n#include <string.h>\n#include <time.h>\n"
    "#include <unistd.h>\n"
    "static volatile double found;\nstatic double t0;\n"
    "static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }\n"
    "static void sink(enum hcr_log_level l, const char *m, void *u) { (void)l; (void)u; if (strstr(m, \" units of \")) found = now() - t0; }\n"
    "int main(void) {\n"
    "    struct hcr_live_options o = {0}; o.log = sink;\n"
    "    t0 = now();\n    hcr_live_start(&o);\n    double held = now() - t0;\n"
    "    while (!found && now() - t0 < 20000) usleep(200);\n"
    "    printf(\"%f %f\\n\", held, found); hcr_live_stop(); return 0;\n}\n";

/* Writes compile_commands.json for `sources` (NULL-terminated), each
   compiled with `flags`. */
static void write_database(const char *const *sources, size_t n, const char *flags)
{
    size_t cap = 256 + n * 512;
    char *text = malloc(cap);
    size_t at = (size_t)snprintf(text, cap, "[\n");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(text + at, cap - at,
                               "  {\"directory\": \"%s\", \"file\": \"%s\", \"command\": \"%s %s "
                               "-I%s -c %s -o %s.o\"}%s\n",
                               dir, sources[i], BENCH_CC, flags, BENCH_INCLUDE, sources[i],
                               sources[i], i + 1 < n ? "," : "");
    snprintf(text + at, cap - at, "]\n");
    write_file("compile_commands.json", text);
    free(text);
}

/* Runs `command`, reading "a b" sample pairs from its stdout. */
static size_t samples(const char *command, double *a, double *b, size_t max)
{
    FILE *p = popen(command, "r");
    size_t n = 0;
    while (p && n < max && fscanf(p, "%lf %lf", &a[n], &b[n]) == 2)
        n++;
    if (!p || pclose(p) != 0 || !n) {
        fprintf(stderr, "bench_live: %s gave no samples\n", command);
        exit(1);
    }
    return n;
}

static const char *libs = BENCH_LIBS;

static void bench_save(const char *opt)
{
    char flags[512], cmd[2048];
    snprintf(flags, sizeof flags, "%s %s", BENCH_RELOAD_FLAGS, opt);
    write_unit("unit.c", 1);
    write_file("main.c", save_main);
    const char *sources[] = {"main.c", "unit.c"};
    write_database(sources, 2, flags);
    snprintf(cmd, sizeof cmd, "cd %s && %s %s -I%s main.c unit.c %s %s -o prog_save", dir, BENCH_CC,
             flags, BENCH_INCLUDE, BENCH_LIB, libs);
    run(cmd);
    double save[EDITS], compile[EDITS];
    snprintf(cmd, sizeof cmd, "cd %s && ./prog_save %d 2>/dev/null", dir, EDITS);
    size_t n = samples(cmd, save, compile, EDITS);
    char name[128];
    for (size_t i = 0; i < n; i++)
        save[i] *= 1e6, compile[i] *= 1e6;
    snprintf(name, sizeof name, "live: save to new code, 50-line unit, %s", opt);
    bench_report(name, save, n, 1e6, "ms");
    snprintf(name, sizeof name, "  the compile alone, %s", opt);
    bench_report(name, compile, n, 1e6, "ms");
}

static void bench_start(void)
{
    char flags[512], cmd[4096];
    snprintf(flags, sizeof flags, "%s -O0", BENCH_RELOAD_FLAGS);
    const char *sources[UNITS + 1];
    static char names[UNITS + 1][32];
    for (int i = 0; i < UNITS; i++) {
        snprintf(names[i], sizeof names[i], "u%03d.c", i);
        char text[256];
        snprintf(text, sizeof text, "static int s%d;\nint f%d(int x) { s%d += x; return s%d; }\n", i,
                 i, i, i);
        write_file(names[i], text);
        sources[i] = names[i];
    }
    write_file("start.c", start_main);
    snprintf(names[UNITS], sizeof names[UNITS], "start.c");
    sources[UNITS] = names[UNITS];
    write_database(sources, UNITS + 1, flags);
    snprintf(cmd, sizeof cmd, "cd %s && %s %s -I%s u*.c start.c %s %s -o prog_start", dir, BENCH_CC,
             flags, BENCH_INCLUDE, BENCH_LIB, libs);
    run(cmd);
    double held[STARTS], found[STARTS];
    for (int r = 0; r < STARTS; r++) {
        snprintf(cmd, sizeof cmd, "cd %s && ./prog_start 2>/dev/null", dir);
        samples(cmd, &held[r], &found[r], 1);
        held[r] *= 1e6, found[r] *= 1e6;
    }
    bench_report("live: hcr_live_start holds up main, 200 units", held, STARTS, 1e3, "us");
    bench_report("live: discovery done, 200 units (off main)", found, STARTS, 1e6, "ms");
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/hcr-bench-live-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("bench_live: mkdtemp");
        return 1;
    }
    bench_save("-O0");
    bench_save("-O2");
    bench_start();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    run(cmd);
    return 0;
}
