/* Plugin mode: threads and cost. A guest crashing on another thread is
   caught there and charged to its own plugin; an idle update makes no
   system call at all (checked with a seccomp filter that kills on any). */
#include "plugin_util.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct worker {
    struct hcr_plugin ctx;
    struct guest_report report;
    const char *path;
    int crashes, steps;
    int iterations;
};

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < w->iterations; i++) {
        int rc = hcr_plugin_update(&w->ctx);
        if (rc == -1 && w->ctx.failure != HCR_NONE)
            w->crashes++;
        else if (rc > 0)
            w->steps++;
        harness_sleep_ms(1);
    }
    return NULL;
}

TEST(crash_on_another_thread_is_charged_to_its_plugin)
{
    struct worker a = {0}, b = {0};
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
    a.iterations = b.iterations = harness_scale(400);
    pthread_t ta, tb;
    pthread_create(&ta, NULL, run_worker, &a);
    pthread_create(&tb, NULL, run_worker, &b);
    harness_sleep_ms(50);
    install_guest("crash_segv", b.path); /* only b's thread meets the crash */
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_EQ(a.crashes, 0);
    CHECK_EQ(a.steps, a.iterations);
    CHECK_EQ(b.crashes, 1);
    CHECK_EQ(b.ctx.version, 1); /* rolled back, and went on */
    CHECK_EQ(b.report.version, 1);
    CHECK_EQ(b.steps, b.iterations - 1);
    hcr_plugin_close(&a.ctx);
    hcr_plugin_close(&b.ctx);
}

TEST(many_threads_crashing_at_once_each_recover)
{
    enum { N = 4 };
    struct worker w[N];
    pthread_t t[N];
    memset(w, 0, sizeof w);
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "p%d.so", i);
        w[i].path = strdup(harness_path(name));
        install_guest("counter_v1", w[i].path);
        w[i].ctx.userdata = &w[i].report;
        CHECK_EQ(hcr_plugin_open(&w[i].ctx, w[i].path), 0);
        w[i].iterations = harness_scale(300);
    }
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, run_worker, &w[i]);
    harness_sleep_ms(30);
    for (int i = 0; i < N; i++)
        install_guest(i % 2 ? "crash_fpe" : "crash_segv", w[i].path);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(w[i].crashes, 1);
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
