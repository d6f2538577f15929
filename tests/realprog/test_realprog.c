/*
 * test_realprog.c: hcr_object_reload on rp (prog/), a scripting language of
 * 27 files built into this executable, while two worker threads keep
 * evaluating scripts through its API.
 *
 * First every file is reloaded from an object compiled from the unchanged
 * source (<file>_same.o): each reload must succeed, every script must
 * print what it printed before, the interpreter's state (script globals,
 * the shared store, hidden counters, file statics, function-local statics,
 * a thread-local) must still be there and keep accumulating, and the
 * workers must go on. Then every file is reloaded from an object compiled
 * with -DHCR_EDIT (<file>_edit.o), which changes one thing the file's code
 * prints: after each, the probe of that file must print the new text
 * (which the old code cannot print), the probes of the files reloaded
 * before it must keep printing theirs, those of the files still to come
 * must print the old text, and state and workers are checked as before.
 *
 * Checks do not stop the test: every failure is reported (with hcr's log
 * line of the reload it follows) and the test fails at the end. RP_ONLY
 * (comma-separated file names) restricts the reloads to some files;
 * RP_VERBOSE=1 prints hcr's log lines as they come. The program on its
 * own, without reloads, is tested in test_realprog_program.c.
 */
#include "harness.h"
#include "realprog.h"
#include "rp.h"

#include <hcr.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>

/* Every probe: those of the first `edited` files must print their new
   text, the others the old one. */
static void check_probes(int edited)
{
    char out[2048];
    for (int i = 0; i < NFILES; i++) {
        const struct probe *p = &probes[i];
        const char *want = i < edited ? p->after : p->before;
        run_probe(p, out, sizeof out);
        EXPECT(strcmp(out, want) == 0, "probe of %s (%s): printed \"%s\", expected \"%s\"%s",
               p->file, i < edited ? "edited" : "not edited", out, want,
               i < edited && strcmp(out, p->before) == 0 ? " (the old code's output)" : "");
    }
}

static void check_golden(void)
{
    char out[4096];
    int rc = rp_eval(golden_script, out, sizeof out);
    EXPECT(rc == 0 && strcmp(out, golden_expected) == 0,
           "the golden script printed (rc %d) \"%s\", expected \"%s\"", rc, out, golden_expected);
}

/* ------------------------------------------------------------------------ */
/* State that must survive every reload and keep accumulating. */

#define MAX_MODULES 40

struct state {
    long acc, shared, eval_id;
    int nmodules;
    char modules[MAX_MODULES][16];
    long calls[MAX_MODULES];
    uint64_t rng;      /* the test's copy of the generator in rp_lib_math.c */
    char tls[200];     /* rp_last_error() of this thread */
    int tls_serial;
};

static struct state st;

static long stat_of(const char *name)
{
    return rp_stat(name);
}

static long next_rand(void)
{
    st.rng = st.rng * 6364136223846793005ull + 1442695040888963407ull;
    return (long)((st.rng >> 33) % 1000000u);
}

/* Sets the thread's last error to a new message, remembered in st.tls. */
static void mark_tls(void)
{
    char out[256], cmd[64];
    snprintf(cmd, sizeof cmd, "fail(\"p_tls_%d\");", ++st.tls_serial);
    long errors = stat_of("errors");
    rp_eval(cmd, out, sizeof out);
    EXPECT(stat_of("errors") > errors, "rp_stat(\"errors\") stayed at %ld over an error",
           errors);
    snprintf(st.tls, sizeof st.tls, "ValueError: p_tls_%d (line 1)", st.tls_serial);
    EXPECT(strcmp(rp_last_error(), st.tls) == 0, "rp_last_error() is \"%s\", expected \"%s\"",
           rp_last_error(), st.tls);
}

static void setup_state(void)
{
    char out[2048];
    set_step("setup");
    st.rng = 0x853c49e6748fea9bull;
    CHECK_EQ(rp_eval("let acc = 0;\n"
                     "fn bump(n) { acc = acc + n; return acc; }\n"
                     "bump(5); bump(7);\n"
                     "print(acc, shared_add(\"main\", 10));\n",
                     out, sizeof out),
             0);
    CHECK(strcmp(out, "12 10\n") == 0);
    st.acc = 12;
    st.shared = 10;
    /* Every module's events, once, so that every counter is under way. */
    CHECK_EQ(rp_eval("trace(\"none\"); optimize(true); gc(); print(modules());", out, sizeof out),
             0);
    char *save = NULL;
    out[strcspn(out, "\n")] = 0;
    for (char *name = strtok_r(out, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
        CHECK(st.nmodules < MAX_MODULES);
        snprintf(st.modules[st.nmodules++], sizeof st.modules[0], "%s", name);
    }
    CHECK(st.nmodules >= 20);
    rp_eval("print(\"a\\tb\", 1 / 0);", out, sizeof out);
    rp_eval(golden_script, out, sizeof out);
    for (int i = 0; i < NFILES; i++)
        run_probe(&probes[i], out, sizeof out);
    for (int i = 0; i < st.nmodules; i++) {
        char name[32];
        snprintf(name, sizeof name, "calls.%s", st.modules[i]);
        st.calls[i] = stat_of(name);
        EXPECT(st.calls[i] > 0, "module %s has counted nothing yet", st.modules[i]);
    }
    st.eval_id = 0;
    EXPECT(stat_of("collections") >= 1, "no collection yet");
    mark_tls();
}

/* Counters of the interpreter, read through rp_stat (rp_api.c) although
   other files keep them: each must never go back, and the state script
   alone makes each of the first five grow by at least `grows`. */
static const struct counter {
    const char *name;
    long grows;
    const char *kept_by;
} counters[] = {
    {"evals", 1, "rp_eval_count, hidden, in rp_api.c"},
    {"steps", 10, "rp_vm_steps, hidden, in rp_vm.c"},
    {"allocs", 1, "rp_heap, hidden, in rp_heap.c"},
    {"folds", 1, "rp_fold_count, hidden, in rp_fold.c"},
    {"trace_lines", 1, "a static of rp_trace.c"},
    {"errors", 0, "rp_error_count, in rp_error.c"},
    {"collections", 0, "rp_heap, hidden, in rp_heap.c"},
    {"globals", 0, "rp_globals, hidden, in rp_api.c"},
};

#define NCOUNTERS ((int)(sizeof counters / sizeof counters[0]))

static long counter_seen[NCOUNTERS];

/* The state script: script globals and functions, the shared store, the
   generator's function-local static, the evaluation number, counters read
   by built-ins in rp_lib_debug.c, a folded constant, and a trace line from
   rp_vm.c while the built-in trace() of rp_lib_debug.c has set the hidden
   mask of rp_trace.c. */
static const char state_script[] =
    "print(bump(2 - 1), shared_add(\"main\", 3), rand(1000000), eval_id(), evals(), steps());\n"
    "trace(\"vm\");\n"
    "map([1], fn(x) { return x; });\n"
    "trace(\"none\");\n";

/* Checks that the state is as it was and that it keeps accumulating. */
static void check_state(void)
{
    char out[512];
    EXPECT(strcmp(rp_last_error(), st.tls) == 0,
           "the thread-local last error is \"%s\", expected \"%s\" (kept from before)",
           rp_last_error(), st.tls);

    long before[NCOUNTERS], after[NCOUNTERS];
    for (int i = 0; i < NCOUNTERS; i++) {
        before[i] = stat_of(counters[i].name);
        EXPECT(before[i] >= counter_seen[i], "rp_stat(\"%s\") went back from %ld to %ld (%s)",
               counters[i].name, counter_seen[i], before[i], counters[i].kept_by);
    }
    pthread_mutex_lock(&trace_lock);
    trace_last[0] = 0;
    pthread_mutex_unlock(&trace_lock);
    int rc = rp_eval(state_script, out, sizeof out);
    for (int i = 0; i < NCOUNTERS; i++) {
        after[i] = stat_of(counters[i].name);
        EXPECT(after[i] >= before[i] + counters[i].grows,
               "rp_stat(\"%s\") went from %ld to %ld over the state script (%s)",
               counters[i].name, before[i], after[i], counters[i].kept_by);
        counter_seen[i] = after[i];
    }
    pthread_mutex_lock(&trace_lock);
    EXPECT(strstr(trace_last, "run anonymous from frame 1") != NULL,
           "the VM's trace line under trace(\"vm\") was \"%s\"", trace_last);
    pthread_mutex_unlock(&trace_lock);

    long acc, shared, rnd, id, evals_in, steps_in;
    int n = sscanf(out, "%ld %ld %ld %ld %ld %ld", &acc, &shared, &rnd, &id, &evals_in, &steps_in);
    long want_rnd = next_rand();
    EXPECT(rc == 0 && n == 6, "the state script printed (rc %d) \"%s\"", rc, out);
    if (rc == 0 && n == 6) {
        EXPECT(acc == st.acc + 1, "the script global acc is %ld, expected %ld", acc, st.acc + 1);
        EXPECT(shared == st.shared + 3, "the shared counter is %ld, expected %ld", shared,
               st.shared + 3);
        EXPECT(rnd == want_rnd,
               "rand() gave %ld, expected %ld (the generator's function-local static)", rnd,
               want_rnd);
        EXPECT(id > st.eval_id, "eval_id() is %ld, not above %ld (function-local static)", id,
               st.eval_id);
        /* The same hidden globals read by rp_lib_debug.c. */
        EXPECT(evals_in > before[0] && evals_in <= after[0],
               "evals() in the script is %ld, rp_stat said %ld before and %ld after it",
               evals_in, before[0], after[0]);
        EXPECT(steps_in >= before[1] && steps_in <= after[1],
               "steps() in the script is %ld, rp_stat said %ld before and %ld after it",
               steps_in, before[1], after[1]);
        st.acc = acc;
        st.shared = shared;
        st.eval_id = id;
    }
    for (int i = 0; i < st.nmodules; i++) {
        char name[32];
        snprintf(name, sizeof name, "calls.%s", st.modules[i]);
        long v = stat_of(name);
        EXPECT(v >= st.calls[i], "the static counter of module %s went back from %ld to %ld",
               st.modules[i], st.calls[i], v);
        st.calls[i] = v;
    }
}

/* ------------------------------------------------------------------------ */

static const char *object_path(const char *file, const char *kind)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s_%s.o", OBJDIR, file, kind);
    return path;
}

static int selected(const char *file)
{
    const char *only = getenv("RP_ONLY");
    if (!only || !*only)
        return 1;
    size_t n = strlen(file);
    for (const char *p = only; (p = strstr(p, file)) != NULL; p += n)
        if ((p == only || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return 1;
    return 0;
}

static int reload(const char *file, const char *kind)
{
    int rc = hcr_object_reload(object_path(file, kind));
    EXPECT(rc == 0, "hcr_object_reload(%s_%s.o): %s: %s", file, kind, hcr_error_name(rc),
           hcr_object_error());
    return rc;
}

TEST_TIMEOUT(every_file_reloads_unchanged_then_edited_while_two_threads_run_scripts, 300)
{
    main_thread = pthread_self();
    verbose = getenv("RP_VERBOSE") && atoi(getenv("RP_VERBOSE"));
    hcr_set_log(log_sink, NULL);
    CHECK_EQ(rp_init(), 0);
    setup_state();
    set_step("before any reload");
    check_probes(0);
    check_golden();
    start_workers();
    mark_tls();
    check_state();
    CHECK_EQ(failures, 0); /* the program itself must work before reloading */

    double t0 = now();
    for (int i = 0; i < NFILES; i++) {
        if (!selected(probes[i].file))
            continue;
        set_step("%s_same.o", probes[i].file);
        reload(probes[i].file, "same");
        check_state();
        check_probes(0);
        check_golden();
        wait_for_workers();
        mark_tls();
    }
    double t1 = now();
    for (int i = 0; i < NFILES; i++) {
        if (!selected(probes[i].file))
            continue;
        set_step("%s_edit.o", probes[i].file);
        if (reload(probes[i].file, "edit") != 0)
            continue;
        check_state();
        /* Probes of files not selected stay unedited: only check this one
           and the golden script then. */
        if (getenv("RP_ONLY") && *getenv("RP_ONLY")) {
            char out[2048];
            run_probe(&probes[i], out, sizeof out);
            EXPECT(strcmp(out, probes[i].after) == 0,
                   "probe of %s printed \"%s\", expected \"%s\"", probes[i].file, out,
                   probes[i].after);
        } else {
            check_probes(i + 1);
        }
        check_golden();
        wait_for_workers();
        mark_tls();
    }
    double t2 = now();
    stop_and_check_workers();
    printf("  %d files: unchanged reloads %.2f s, edited reloads %.2f s; workers ran %ld and "
           "%ld scripts; %ld trace lines\n",
           NFILES, t1 - t0, t2 - t1, atomic_load(&workers[0].progress),
           atomic_load(&workers[1].progress), trace_seen);
    if (failures)
        harness_fail(__FILE__, __LINE__, "%d checks failed", failures);
}

