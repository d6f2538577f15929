/*
 * realprog.c: what the tests of rp share (see realprog.h): the probe of
 * each file, the golden script, failures that do not stop the test, the
 * trace hook, and the worker threads.
 */
#include "realprog.h"

#include "harness.h"
#include "rp.h"

#include <sched.h>
#include <stdarg.h>
#include <time.h>

/* ------------------------------------------------------------------------ */
/* What each file's edit changes (see realprog.h). */

const struct probe probes[NFILES] = {
    {"rp_api", "print(p_nosuch);", "error: NameError: undefined variable 'p_nosuch' (line 1)\n",
     "error: NameError: no such variable 'p_nosuch' (line 1)\n"},
    {"rp_buf", "print(repr(\"a\\tb\"));", "\"a\\tb\"\n", "\"a\\x09b\"\n"},
    {"rp_error", "print(1 / 0);", "error: ZeroDivision: division by zero (line 1)\n",
     "error: DivideByZero: division by zero (line 1)\n"},
    {"rp_trace", "tracemsg(\"p_hello\");", "trace: [script] p_hello\n",
     "trace: script: p_hello\n"},
    {"rp_hash", "print(hash(\"p\"));", "28543221826205\n", "121433990088576\n"},
    {"rp_number", "let p_big = 1e308; print(p_big * 10, -p_big * 10);", "inf -inf\n",
     "Infinity -Infinity\n"},
    {"rp_value", "print(\"b\" < \"aa\");", "false\n", "true\n"},
    {"rp_string", "print(\"abc\"[-1]);", "c\n", "a\n"},
    {"rp_list", "print([1, 2][5]);",
     "error: IndexError: list index 5 out of range (length 2) (line 1)\n", "nil\n"},
    {"rp_table", "print({\"k\": 1});", "{\"k\": 1}\n", "{\"k\" = 1}\n"},
    {"rp_heap", "print(split(heapinfo(), \"=\")[0]);", "objects\n", "live\n"},
    {"rp_format", "print(repr(nil));", "nil\n", "null\n"},
    {"rp_func", "fn p_f(a) {} print(p_f);", "<fn p_f/1>\n", "<function p_f>\n"},
    {"rp_code", "fn p_j(a) { if (a) { return 1; } return 2; } print(disasm(p_j));",
     "== p_j ==\n"
     "0000    1 GET_LOCAL 1\n"
     "0002    | JUMP_IF_FALSE +3 -> 8\n"
     "0005    | SMALLINT 1\n"
     "0007    | RETURN\n"
     "0008    | SMALLINT 2\n"
     "0010    | RETURN\n"
     "0011    | NIL\n"
     "0012    | RETURN\n\n",
     "== p_j ==\n"
     "0000    1 GET_LOCAL 1\n"
     "0002    | JUMP_IF_FALSE 0008\n"
     "0005    | SMALLINT 1\n"
     "0007    | RETURN\n"
     "0008    | SMALLINT 2\n"
     "0010    | RETURN\n"
     "0011    | NIL\n"
     "0012    | RETURN\n\n"},
    {"rp_lex", "print(\"a\\qb\");", "a\\qb\n",
     "error: SyntaxError: unknown escape \\q (line 1)\n"},
    {"rp_ast", "print(ast(\"1 + p_x;\"));", "(program (+ 1 p_x))\n", "(program (add 1 p_x))\n"},
    {"rp_parse", "print(1)", "error: SyntaxError: expected ';' after an expression (line 1)\n",
     "error: SyntaxError: an expression is not followed by ';' (line 1)\n"},
    {"rp_fold", "fn p_c() { return 2 < 3; } print(disasm(p_c));",
     "== p_c ==\n"
     "0000    1 TRUE\n"
     "0001    | RETURN\n"
     "0002    | NIL\n"
     "0003    | RETURN\n\n",
     "== p_c ==\n"
     "0000    1 SMALLINT 2\n"
     "0002    | SMALLINT 3\n"
     "0004    | LT\n"
     "0005    | RETURN\n"
     "0006    | NIL\n"
     "0007    | RETURN\n\n"},
    {"rp_compile", "break;", "error: SyntaxError: 'break' outside a loop (line 1)\n",
     "error: SyntaxError: break is only valid inside a loop (line 1)\n"},
    {"rp_vm", "let p_a = -7; print(p_a % 3);", "-1\n", "2\n"},
    {"rp_registry", "print(help(\"len\"));", "len(1): length of a string, list or map\n",
     "len/1: length of a string, list or map\n"},
    {"rp_lib_core", "print(int(2.7));", "2\n", "3\n"},
    {"rp_lib_debug", "print(help(\"p_none\"));", "no help for 'p_none'\n",
     "'p_none' is not a built-in\n"},
    {"rp_lib_math", "print(pow(2, 10));", "1024\n", "1024.0\n"},
    {"rp_lib_string", "print(find(\"abc\", \"z\"));", "-1\n", "nil\n"},
    {"rp_lib_list", "print(pop([]));", "error: IndexError: pop from an empty list (line 1)\n",
     "nil\n"},
    {"rp_lib_table", "print(del({\"a\": 5}, \"a\"));", "true\n", "5\n"},
};

_Static_assert(sizeof probes / sizeof probes[0] == NFILES, "NFILES is the number of probes");

const char golden_script[] =
    "fn g_fib(n) { if (n < 2) { return n; } return g_fib(n - 1) + g_fib(n - 2); }\n"
    "fn g_sieve(n) {\n"
    "  let flags = [];\n"
    "  for (i in range(n)) { push(flags, true); }\n"
    "  let found = [];\n"
    "  for (i in range(2, n)) {\n"
    "    if (flags[i]) {\n"
    "      push(found, i);\n"
    "      let j = i * i;\n"
    "      while (j < n) { flags[j] = false; j += i; }\n"
    "    }\n"
    "  }\n"
    "  return found;\n"
    "}\n"
    "let g_p = g_sieve(100);\n"
    "print(len(g_p), g_p[0], g_p[len(g_p) - 1], sum(g_p));\n"
    "print(g_fib(16), pow(2.0, 3), 7 / 2, 2 * 3.25, 17 % 5);\n"
    "let g_words = split(\"pack my box with five dozen liquor jugs\");\n"
    "let g_len = {};\n"
    "for (w in g_words) { g_len[w] = len(w); }\n"
    "print(g_len[\"liquor\"], g_len.box, has(g_len, \"jugs\"), len(keys(g_len)), "
    "join(g_words, \"_\"));\n"
    "print(join(map(g_words, fn(w) { return upper(substr(w, 0, 1)); }), \"\"), g_words[1]);\n"
    "print(sorted([9, 4, 7, 1, 8]), reverse([1, 2, 3]), slice(range(10), 2, 5));\n"
    "print(filter(range(20), fn(x) { return x % 3 == 0; }), "
    "reduce(range(5), fn(a, b) { return a * 10 + b; }, 0));\n"
    "print(format(\"{} has {} chars\", \"liquor\", len(\"liquor\")), "
    "replace(\"a.b.c\", \".\", \"::\"), trim(\"  pad  \") + \"|\");\n"
    "print(1 == 1.0, [1, 2] == [1, 2], \"ab\" + \"cd\" == \"abcd\", nil or \"dflt\", 3 and 4, "
    "not false);\n"
    "let g_i = 0;\n"
    "let g_s = \"\";\n"
    "while (g_i < 5) { g_i += 1; if (g_i == 2) { continue; } g_s = g_s + str(g_i); }\n"
    "print(g_s, 0x10 + 0b11, 1.5e2, 10 / 4, -3 * 4, float(7), str(2.5) + \"!\", \"x\\ny\");\n"
    "let g_m = {\"n\": 0};\n"
    "for (k in range(4)) { g_m.n += k; g_m[k] = k * k; }\n"
    "print(g_m.n, g_m[3], len(g_m), items({\"q\": 1})[0][0], [nil, true, 1.25, \"s\"]);\n";

const char golden_expected[] =
    "25 2 97 1060\n"
    "987 8.0 3.5 6.5 2\n"
    "6 3 true 8 pack_my_box_with_five_dozen_liquor_jugs\n"
    "PMBWFDLJ my\n"
    "[1, 4, 7, 8, 9] [3, 2, 1] [2, 3, 4]\n"
    "[0, 3, 6, 9, 12, 15, 18] 1234\n"
    "liquor has 6 chars a::b::c pad|\n"
    "true true true dflt 4 true\n"
    "1345 19 150.0 2.5 -12 7.0 2.5! x\n"
    "y\n"
    "6 9 5 q [nil, true, 1.25, \"s\"]\n";

/* What each worker evaluates over and over; %d is the worker's number. */
static const char worker_template[] =
    "fn w%1$d_fib(n) { if (n < 2) { return n; } return w%1$d_fib(n - 1) + w%1$d_fib(n - 2); }\n"
    "let w%1$d_words = split(\"the quick brown fox jumps over the lazy dog\");\n"
    "let w%1$d_counts = {};\n"
    "for (w in w%1$d_words) { w%1$d_counts[w] = get(w%1$d_counts, w, 0) + 1; }\n"
    "let w%1$d_primes = [];\n"
    "for (n in range(2, 60)) {\n"
    "  let is = true;\n"
    "  for (p in w%1$d_primes) { if (n %% p == 0) { is = false; break; } }\n"
    "  if (is) { push(w%1$d_primes, n); }\n"
    "}\n"
    "print(w%1$d_fib(12), w%1$d_counts[\"the\"], len(w%1$d_primes), sum(w%1$d_primes), "
    "join(sorted([5, 3, 9, 1]), \",\"), upper(\"abc\") + str(3.5), format(\"{}-{}\", %1$d, 2));\n"
    "let w%1$d_total = shared_add(\"w%1$d\", 1);\n";

/* ------------------------------------------------------------------------ */
/* Failures are counted and reported; the test fails at the end. */

int failures;
char step[160];
char reload_log[1024];
int verbose;
static int step_failed;

void fail_soft(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    const char *slash = strrchr(file, '/');
    failures++;
    if (!step_failed && reload_log[0])
        fprintf(stderr, "  [%s] hcr: %s", step, reload_log);
    step_failed = 1;
    fprintf(stderr, "  [%s] %s:%d: ", step, slash ? slash + 1 : file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void log_sink(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    if (verbose || level >= HCR_LOG_WARN)
        fprintf(stderr, "  hcr: %s\n", message);
    size_t used = strlen(reload_log);
    snprintf(reload_log + used, sizeof reload_log - used, "%s\n", message);
}

void set_step(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(step, sizeof step, fmt, ap);
    va_end(ap);
    step_failed = 0;
    reload_log[0] = 0;
}

/* ------------------------------------------------------------------------ */
/* The trace hook: the program's default is weak, this one replaces it. */

pthread_t main_thread;
pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
char trace_last[256];
long trace_seen;

void rp_trace_hook(const char *line)
{
    pthread_mutex_lock(&trace_lock);
    trace_seen++;
    if (pthread_equal(pthread_self(), main_thread))
        snprintf(trace_last, sizeof trace_last, "%s", line);
    pthread_mutex_unlock(&trace_lock);
}

const char *run_probe(const struct probe *p, char *out, size_t cap)
{
    pthread_mutex_lock(&trace_lock);
    trace_last[0] = 0;
    pthread_mutex_unlock(&trace_lock);
    rp_eval(p->script, out, cap);
    pthread_mutex_lock(&trace_lock);
    if (trace_last[0]) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "trace: %s\n", trace_last);
    }
    pthread_mutex_unlock(&trace_lock);
    return out;
}

/* ------------------------------------------------------------------------ */
/* Workers. */

struct worker workers[2];
static atomic_int stop_workers;

static void *work(void *arg)
{
    struct worker *w = arg;
    char out[1024];
    while (!atomic_load(&stop_workers)) {
        int rc = rp_eval(w->script, out, sizeof out);
        if (atomic_load(&w->progress) == 0 && rc == 0) {
            snprintf(w->first, sizeof w->first, "%s", out);
        } else if (rc != 0 || strcmp(out, w->first) != 0) {
            if (atomic_fetch_add(&w->bad, 1) == 0)
                snprintf(w->bad_output, sizeof w->bad_output, "rc %d: %s", rc, out);
        }
        atomic_fetch_add(&w->progress, 1);
        sched_yield();
    }
    return NULL;
}

double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void wait_for_workers(void)
{
    long start[2];
    for (int i = 0; i < 2; i++)
        start[i] = atomic_load(&workers[i].progress);
    double deadline = now() + harness_scale(30);
    for (int i = 0; i < 2; i++) {
        while (atomic_load(&workers[i].progress) < start[i] + 2 && now() < deadline)
            harness_sleep_ms(1);
        EXPECT(atomic_load(&workers[i].progress) >= start[i] + 2,
               "worker %d made no progress in %d s (%ld evaluations in all)", i,
               harness_scale(30), atomic_load(&workers[i].progress));
    }
}

void start_workers(void)
{
    for (int i = 0; i < 2; i++) {
        struct worker *w = &workers[i];
        w->index = i;
        snprintf(w->script, sizeof w->script, worker_template, i);
        CHECK_EQ(pthread_create(&w->thread, NULL, work, w), 0);
    }
    double deadline = now() + harness_scale(30);
    for (int i = 0; i < 2; i++)
        while (atomic_load(&workers[i].progress) < 1 && now() < deadline)
            harness_sleep_ms(1);
    for (int i = 0; i < 2; i++) {
        CHECK(atomic_load(&workers[i].progress) >= 1);
        char want[128];
        snprintf(want, sizeof want, "144 2 17 440 1,3,5,9 ABC3.5 %d-2\n", i);
        if (strcmp(workers[i].first, want) != 0)
            harness_fail(__FILE__, __LINE__, "worker %d printed \"%s\", expected \"%s\"", i,
                         workers[i].first, want);
    }
}

void stop_and_check_workers(void)
{
    atomic_store(&stop_workers, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(workers[i].thread, NULL);
    set_step("workers");
    for (int i = 0; i < 2; i++)
        EXPECT(atomic_load(&workers[i].bad) == 0,
               "worker %d: %ld of %ld evaluations printed something else; the first: %s", i,
               atomic_load(&workers[i].bad), atomic_load(&workers[i].progress),
               workers[i].bad_output);
}

