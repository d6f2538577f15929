/* Plugin mode: threads and cost. A guest crashing on another thread is
   caught there and charged to its own plugin; an idle update makes no
   system call at all (checked with a seccomp filter that kills on any). */
#include "plugin_util.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct worker {
    struct hcr_plugin ctx;
    struct guest_report report;
    const char *path;
    atomic_int crashes, steps, steps_after_crash, others;
    atomic_int stop;
};

/* Updates until told to stop, counting what each update did; paced by
   1 ms so that the watch thread's reloads interleave. */
static void *run_worker(void *arg)
{
    struct worker *w = arg;
    while (!atomic_load(&w->stop)) {
        int rc = hcr_plugin_update(&w->ctx);
        if (rc == HCR_ECRASH && w->ctx.failure != HCR_NONE) {
            atomic_fetch_add(&w->crashes, 1);
        } else if (rc > 0) {
            atomic_fetch_add(&w->steps, 1);
            if (atomic_load(&w->crashes))
                atomic_fetch_add(&w->steps_after_crash, 1);
        } else {
            atomic_fetch_add(&w->others, 1);
        }
        harness_sleep_ms(1);
    }
    return NULL;
}

/* Waits until `cond` holds, checking every millisecond; fails the test
   after 20 s (scaled under sanitizers). */
#define WAIT_UNTIL(cond)                                                                    \
    do {                                                                                    \
        int waited_ms_ = 0;                                                                 \
        while (!(cond)) {                                                                   \
            if (waited_ms_++ > harness_scale(20000))                                        \
                harness_fail(__FILE__, __LINE__, "timed out waiting for %s", #cond);        \
            harness_sleep_ms(1);                                                            \
        }                                                                                   \
    } while (0)

TEST(crash_on_another_thread_is_charged_to_its_plugin)
{
    static struct worker a, b;
    a.path = harness_path("a.so");
    b.path = harness_path("b.so");
    install_guest("counter_v1", a.path);
    install_guest("counter_v1", b.path);
    a.ctx.userdata = &a.report;
    b.ctx.userdata = &b.report;
    CHECK_EQ(hcr_plugin_open(&a.ctx, a.path), 0);
    CHECK_EQ(hcr_plugin_open(&b.ctx, b.path), 0);
    CHECK_EQ(hcr_plugin_update(&a.ctx), 1000001);
    CHECK_EQ(hcr_plugin_update(&b.ctx), 1000001);
    pthread_t ta, tb;
    pthread_create(&ta, NULL, run_worker, &a);
    pthread_create(&tb, NULL, run_worker, &b);
    WAIT_UNTIL(atomic_load(&a.steps) >= 5 && atomic_load(&b.steps) >= 5);
    install_guest("crash_segv", b.path); /* only b's thread meets the crash */
    WAIT_UNTIL(atomic_load(&b.steps_after_crash) >= 20);
    int a_then = atomic_load(&a.steps);
    WAIT_UNTIL(atomic_load(&a.steps) >= a_then + 20); /* a went on meanwhile */
    atomic_store(&a.stop, 1);
    atomic_store(&b.stop, 1);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_EQ(atomic_load(&a.crashes), 0);
    CHECK_EQ(atomic_load(&a.others), 0); /* every update of a's stepped */
    CHECK_EQ(atomic_load(&b.crashes), 1);
    CHECK_EQ(atomic_load(&b.others), 0);
    CHECK_EQ(b.ctx.version, 1); /* rolled back, and went on */
    CHECK_EQ(b.report.version, 1);
    hcr_plugin_close(&a.ctx);
    hcr_plugin_close(&b.ctx);
}

TEST(many_threads_crashing_at_once_each_recover)
{
    enum { N = 4 };
    static struct worker w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "p%d.so", i);
        w[i].path = strdup(harness_path(name));
        install_guest("counter_v1", w[i].path);
        w[i].ctx.userdata = &w[i].report;
        CHECK_EQ(hcr_plugin_open(&w[i].ctx, w[i].path), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, run_worker, &w[i]);
    for (int i = 0; i < N; i++)
        WAIT_UNTIL(atomic_load(&w[i].steps) >= 2);
    for (int i = 0; i < N; i++)
        install_guest(i % 2 ? "crash_fpe" : "crash_segv", w[i].path);
    for (int i = 0; i < N; i++)
        WAIT_UNTIL(atomic_load(&w[i].steps_after_crash) >= 10);
    for (int i = 0; i < N; i++) {
        atomic_store(&w[i].stop, 1);
        pthread_join(t[i], NULL);
    }
    for (int i = 0; i < N; i++) {
        CHECK_EQ(atomic_load(&w[i].crashes), 1);
        CHECK_EQ(w[i].ctx.version, 1);
        CHECK_EQ(w[i].ctx.failure, HCR_NONE);
        hcr_plugin_close(&w[i].ctx);
    }
}

/* Allows exit and exit_group, kills the process on any other system call
   made by this thread. */
static void forbid_system_calls(void)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
    CHECK_EQ(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    CHECK_EQ(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), 0);
}

TEST(idle_update_makes_no_system_call)
{
    static struct hcr_plugin ctx;
    const char *path = harness_path("idle.so");
    install_guest("idle", path);
    CHECK_EQ(hcr_plugin_open(&ctx, path), 0);
    CHECK_EQ(hcr_plugin_update(&ctx), 0); /* loads; system calls allowed here */
    forbid_system_calls();
    int sum = 0;
    for (int i = 0; i < 100000; i++)
        sum += hcr_plugin_update(&ctx);
    /* Any system call above would have killed the process. A raw exit_group:
       a sanitizer runtime makes system calls of its own before _exit. */
    syscall(SYS_exit_group, sum == 0 ? 0 : 1);
}
