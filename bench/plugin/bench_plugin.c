/* Plugin mode benchmarks.
 *   machine: its uptime and what a first write to a page costs, which
 *     decides how fast a large reload can be (bench/common/machine.c);
 *   idle update: hcr_plugin_update with nothing changed and a guest that
 *     returns 0, in ns per call (batches of 100,000 calls, after 200 ms of
 *     warm-up);
 *   reload: from the rename of a new build into place to the first step of
 *     the new version, for a 20 KB and an 8 MB plugin, with the host
 *     calling update in a loop while another thread, the build tool,
 *     writes each build and renames it into place; and the time the one
 *     update that swapped versions blocked the host. The staged file is
 *     written back before the rename, so the rename is only a rename.
 *     Three designs reload the same builds in turn, in one host loop:
 *     hcr as configured by default (its copies in memory, /dev/shm or
 *     $XDG_RUNTIME_DIR), hcr with its copies on the build's file system
 *     (hcr_options.copy_dir), and the plain baseline of plain_reload.c
 *     (copy_file_range beside the build, then dlopen, on a thread).
 * The plugins live in a new directory under $BENCH_DIR, else /tmp. */
#include "bench.h"
#include "hcr.h"
#include "plain_reload.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

static char dir[64];

static const char *guest(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s.so", BENCH_GUESTS, name);
    return path;
}

/* Copies src to dst.tmp; the caller renames it into place. */
static void stage(const char *src, const char *tmp)
{
    int in = open(src, O_RDONLY), out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in < 0 || out < 0) {
        perror(src);
        exit(1);
    }
    static char buf[1 << 20];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            exit(1);
    /* Written back now: renaming over an existing file makes ext4 flush the
       new file's dirty pages inside rename() itself (auto_da_alloc), a cost
       of the writer that would otherwise be counted as reload time. */
    fsync(out);
    close(in);
    close(out);
}

static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    if (level >= HCR_LOG_WARN)
        fprintf(stderr, "%s\n", message);
}

enum { BATCHES = 100, CALLS = 100000 };

/* Calls update for 200 ms before measuring: the first batches after the
   open otherwise share the machine with the copy's and the staging's
   writeback and the new threads' start, and measure those instead. */
static void warm_up(struct hcr_plugin *ctx)
{
    uint64_t start = bench_now_ns();
    while (bench_now_ns() - start < 200000000u)
        for (int i = 0; i < 10000; i++)
            hcr_plugin_update(ctx);
}

static void bench_idle(const char *label, enum hcr_safety safety)
{
    char path[128];
    snprintf(path, sizeof path, "%s/idle.so", dir);
    stage(guest("bench_idle"), path);
    struct hcr_plugin ctx = {0};
    struct hcr_options options = {0};
    options.log = quiet;
    options.safety = safety;
    if (hcr_plugin_open_with(&ctx, path, &options) != 0)
        exit(1);
    double samples[BATCHES];
    warm_up(&ctx);
    for (int b = 0; b < BATCHES; b++) {
        uint64_t t0 = bench_now_ns();
        for (int i = 0; i < CALLS; i++)
            hcr_plugin_update(&ctx);
        samples[b] = (double)(bench_now_ns() - t0) / CALLS;
    }
    bench_report(label, samples, BATCHES, 1, "ns");
    hcr_plugin_close(&ctx);
}

/* For scale: the same guest called through a function pointer, no hcr. */
static void bench_bare_call(void)
{
    void *handle = dlopen(guest("bench_idle"), RTLD_NOW | RTLD_LOCAL);
    int (*volatile main_fn)(struct hcr_plugin *, enum hcr_op) =
        (int (*)(struct hcr_plugin *, enum hcr_op))dlsym(handle, "hcr_main");
    struct hcr_plugin ctx = {0};
    double samples[BATCHES];
    int (*fn)(struct hcr_plugin *, enum hcr_op) = main_fn;
    uint64_t start = bench_now_ns();
    while (bench_now_ns() - start < 200000000u)
        for (int i = 0; i < 10000; i++)
            fn(&ctx, HCR_STEP);
    for (int b = 0; b < BATCHES; b++) {
        uint64_t t0 = bench_now_ns();
        for (int i = 0; i < CALLS; i++)
            fn(&ctx, HCR_STEP);
        samples[b] = (double)(bench_now_ns() - t0) / CALLS;
    }
    bench_report("for scale: bare call of the guest, no hcr", samples, BATCHES, 1, "ns");
    dlclose(handle);
}

/* Puts the calling thread on one CPU, when there are two or more: the host
   on the first, the build tool on the second, as they would run on cores of
   their own on a larger machine instead of preempting each other. hcr's
   watch thread is left to the scheduler. */
static void pin_to_cpu(int cpu)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

/* The build tool: on each request, writes the next build beside the
   plugin, then renames it into place and says when. A thread of its own,
   as a build is another process: the host goes on calling update while the
   file system does the rename. */
struct writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    const char *next;           /* the build to install, set with request */
    const char *path, *tmp;     /* where to, and the file renamed there */
    int request, done;          /* run numbers; -1 asks the writer to end */
    _Atomic uint64_t renamed_at; /* bench_now_ns() just before rename() */
};

/* Sleeps, not spins, between requests: on a machine with few cores a
   spinning writer would take the CPU the watch thread needs. */
static void *run_writer(void *arg)
{
    struct writer *w = arg;
    pin_to_cpu(1);
    for (int seen = 0;;) {
        pthread_mutex_lock(&w->lock);
        while (w->request == seen)
            pthread_cond_wait(&w->changed, &w->lock);
        int r = w->request;
        const char *next = w->next, *path = w->path, *tmp = w->tmp;
        pthread_mutex_unlock(&w->lock);
        if (r < 0)
            return NULL;
        seen = r;
        stage(next, tmp);
        atomic_store(&w->renamed_at, bench_now_ns());
        rename(tmp, path);
        pthread_mutex_lock(&w->lock);
        w->done = r;
        pthread_cond_broadcast(&w->changed);
        pthread_mutex_unlock(&w->lock);
    }
}

static void writer_request(struct writer *w, int run, const char *next, const char *path,
                           const char *tmp)
{
    pthread_mutex_lock(&w->lock);
    w->request = run;
    w->next = next;
    w->path = path;
    w->tmp = tmp;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

static void writer_wait(struct writer *w, int run)
{
    pthread_mutex_lock(&w->lock);
    while (w->done != run)
        pthread_cond_wait(&w->changed, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

/* One design under measurement: hcr (either way), or the plain baseline.
   Each has its own directory, so none sees another's builds. */
struct contender {
    const char *name;
    char path[160], tmp[170];
    struct hcr_plugin ctx;        /* hcr */
    struct plain_reload *plain;   /* the baseline */
    double *latency, *blocked;
    int n;
};

enum design { HCR_DEFAULT, HCR_COPIES_BESIDE, PLAIN };

static void contender_open(struct contender *c, enum design design, const char *first, int runs)
{
    static const char *names[] = {"hcr", "hcr, copy_dir on build's fs", "plain"};
    static const char *subdirs[] = {"hcr", "hcr-beside", "plain"};
    *c = (struct contender){.name = names[design]};
    char sub[100];
    snprintf(sub, sizeof sub, "%s/%s", dir, subdirs[design]);
    if (mkdir(sub, 0700) != 0 && errno != EEXIST) {
        perror(sub);
        exit(1);
    }
    snprintf(c->path, sizeof c->path, "%s/reload.so", sub);
    snprintf(c->tmp, sizeof c->tmp, "%s.tmp", c->path);
    stage(guest(first), c->path);
    if (design == PLAIN) {
        c->plain = plain_reload_open(c->path);
    } else {
        struct hcr_options options = {0};
        options.log = quiet;
        if (design == HCR_COPIES_BESIDE)
            options.copy_dir = dir; /* not the plugin's directory: no events from it */
        if (hcr_plugin_open_with(&c->ctx, c->path, &options) != 0)
            exit(1);
    }
    c->latency = calloc((size_t)runs, sizeof *c->latency);
    c->blocked = calloc((size_t)runs, sizeof *c->blocked);
    if (!c->latency || !c->blocked)
        exit(1);
}

static int contender_update(struct contender *c)
{
    return c->plain ? plain_reload_update(c->plain) : hcr_plugin_update(&c->ctx);
}

static unsigned contender_version(const struct contender *c)
{
    return c->plain ? plain_reload_version(c->plain) : c->ctx.version;
}

static void contender_close(struct contender *c)
{
    if (c->plain)
        plain_reload_close(c->plain);
    else
        hcr_plugin_close(&c->ctx);
    free(c->latency);
    free(c->blocked);
}

/* One reload of `c`: the writer installs `build`, the host's loop updates,
   as a frame loop would, until the new build has stepped (returned
   `want`). */
static void measure_one(struct contender *c, struct writer *w, int run, const char *build,
                        int want)
{
    uint64_t requested = bench_now_ns();
    writer_request(w, run, build, c->path, c->tmp);
    for (;;) {
        unsigned before = contender_version(c);
        uint64_t u0 = bench_now_ns();
        int rc = contender_update(c);
        uint64_t u1 = bench_now_ns();
        if (rc == want && contender_version(c) != before) {
            c->latency[c->n] = (double)(u1 - atomic_load(&w->renamed_at));
            c->blocked[c->n] = (double)(u1 - u0);
            c->n++;
            break;
        }
        if (u1 - requested > 5000000000u) {
            fprintf(stderr, "%s: reload not seen within 5 s\n", c->name);
            break;
        }
    }
    writer_wait(w, run); /* the rename has returned */
}

static void report(const struct contender *c, const char *label)
{
    char name[160];
    snprintf(name, sizeof name, "reload %s, %s: rename to first new step", label, c->name);
    bench_report(name, c->latency, (size_t)c->n, 1000, "us");
    snprintf(name, sizeof name, "reload %s, %s: update blocked the host", label, c->name);
    bench_report(name, c->blocked, (size_t)c->n, 1000, "us");
}

/* Puts the designs in a new order for each run (a fixed sequence, the same
   in every run of the benchmark): the clean-up one design leaves to its
   thread after a reload then falls on each of the others alike, as does
   whatever else the machine does. */
static void shuffle(int *order, int n, unsigned *seed)
{
    for (int i = n - 1; i > 0; i--) {
        int j = rand_r(seed) % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* Reloads through each design in turn, the same builds (a, b, a...). */
static void bench_reload(const char *label, const char *a, const char *b, int runs)
{
    enum { N = 3 };
    struct contender c[N];
    for (int i = 0; i < N; i++) {
        contender_open(&c[i], (enum design)i, a, runs);
        contender_update(&c[i]);
    }
    cpu_set_t all;
    sched_getaffinity(0, sizeof all, &all);
    pin_to_cpu(0);
    struct writer w = {0};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.changed, NULL);
    pthread_create(&w.thread, NULL, run_writer, &w);
    int request = 0, order[N] = {0, 1, 2};
    unsigned seed = 1;
    for (int run = 1; run <= runs; run++) {
        int want = run % 2 ? 2 : 1;
        shuffle(order, N, &seed);
        for (int i = 0; i < N; i++)
            measure_one(&c[order[i]], &w, ++request, guest(run % 2 ? b : a), want);
    }
    writer_request(&w, -1, NULL, NULL, NULL);
    pthread_join(w.thread, NULL);
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.changed);
    sched_setaffinity(0, sizeof all, &all);
    for (int i = 0; i < N; i++) {
        report(&c[i], label);
        contender_close(&c[i]);
    }
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/hcr-bench-XXXXXX", getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    struct stat small, big;
    stat(guest("bench_small_1"), &small);
    stat(guest("bench_big_1"), &big);
    bench_machine_note();
    bench_idle("idle hcr_plugin_update (ns per call)", HCR_SAFETY_GUARDED);
    bench_bare_call();
    char label[64];
    snprintf(label, sizeof label, "%lld KB plugin", (long long)small.st_size / 1024);
    bench_reload(label, "bench_small_1", "bench_small_2", 100);
    snprintf(label, sizeof label, "%.1f MB plugin", (double)big.st_size / (1024 * 1024));
    bench_reload(label, "bench_big_1", "bench_big_2", 60);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
