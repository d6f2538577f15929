/*
 * live_compile.c: runs the compiler for live editing (see live.h). Each
 * compile is a child process with the unit's own command plus what hcr
 * needs (units.h: hcr__compile_argv), run in the unit's directory, writing
 * a fresh object and dependency file into the private cache, so a reload
 * never reads a half-written object and the build tree is never touched.
 * Its stderr is the program's: the compiler's diagnostics appear once, in
 * its own words and colours. Each child is watched through a pidfd, so the
 * live thread waits for compiles and file events in one poll().
 */
#include "live/live.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Whether environment entry `entry` is `name`=... */
static int is_variable(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(entry, name, n) && entry[n] == '=';
}

/* The value LD_PRELOAD had before hcr run put its libraries in front
   (HCR_LIVE_PRELOAD names them), as "LD_PRELOAD=..." malloc'ed; NULL
   when nothing remains or on no memory. */
static char *preload_without_hcr(const char *preload, const char *added)
{
    size_t n = strlen(added);
    if (added[0] && !strncmp(preload, added, n) && (preload[n] == '\0' || preload[n] == ':'))
        preload += preload[n] == ':' ? n + 1 : n;
    char *entry = NULL;
    if (preload[0] && asprintf(&entry, "LD_PRELOAD=%s", preload) < 0)
        entry = NULL;
    return entry;
}

/* The program's environment for the compiler: without HCR_LIVE, so that
   the compiler does not start live editing of itself, and without the
   libraries hcr run preloads (HCR_LIVE_PRELOAD, taken off LD_PRELOAD), so
   that it does not even load them. malloc'ed array of strings borrowed
   from environ, except *owned (the new LD_PRELOAD entry, or NULL), or
   NULL. */
static char **compiler_environment(char **owned)
{
    size_t n = 0;
    const char *added = getenv("HCR_LIVE_PRELOAD");
    *owned = NULL;
    while (environ[n])
        n++;
    char **env = calloc(n + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_variable(environ[i], "HCR_LIVE") || is_variable(environ[i], "HCR_LIVE_PRELOAD"))
            continue;
        if (added && is_variable(environ[i], "LD_PRELOAD")) {
            if ((*owned = preload_without_hcr(environ[i] + 11, added)))
                env[k++] = *owned;
            continue;
        }
        env[k++] = environ[i];
    }
    return env;
}

static void release(struct hcr__live_compile *c)
{
    int pidfd = c->pidfd;
    c->pidfd = -1; /* before the close: see hcr__live_compile_abandon */
    if (pidfd >= 0)
        close(pidfd);
    free(c->object);
    free(c->depfile);
    *c = (struct hcr__live_compile){.pidfd = -1};
}

/* Kills compile c and waits for it. */
static void cancel(struct hcr__live_compile *c)
{
    kill(c->pid, SIGKILL);
    while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    unlink(c->object);
    unlink(c->depfile);
    release(c);
}

/* Spawns `argv` in `dir` with stdin from /dev/null and default signal
   handling (the live thread blocks every signal); with `quiet`, its
   stderr goes to /dev/null too: a dependency run that fails (a command
   rebuilt from debug information may lack an -I) only leaves the unit's
   headers unknown, and is nothing the user has to read. The child's pid,
   or a negative errno. */
static pid_t spawn(char **argv, const char *dir, int quiet)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addchdir_np(&fa, dir);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (quiet)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *owned;
    char **env = compiler_environment(&owned);
    pid_t pid;
    int rc = env ? posix_spawnp(&pid, argv[0], &fa, &attr, argv, env) : ENOMEM;
    free(env);
    free(owned);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return rc ? -rc : pid;
}

/* Makes the paths of compile number `n` of unit u in the cache. */
static int cache_paths(const struct hcr__live *lv, size_t u, unsigned n, char **object,
                       char **depfile)
{
    const char *base = hcr__base_name(lv->units.v[u].source);
    *object = *depfile = NULL;
    if (asprintf(object, "%s/%zu-%u-%s.o", lv->cache_dir, u, n, base) < 0)
        *object = NULL;
    if (asprintf(depfile, "%s/%zu-%u-%s.d", lv->cache_dir, u, n, base) < 0)
        *depfile = NULL;
    return *object && *depfile ? 0 : HCR_ENOMEM;
}

/* Starts compile (or, with deps_only, preprocessing) of unit u in the
   free slot `slot`. Failures are logged. */
static void start_in(struct hcr__live *lv, struct hcr__live_compile *slot, size_t u,
                     int deps_only)
{
    struct hcr__live_unit_state *s = &lv->state[u];
    *slot = (struct hcr__live_compile){.pidfd = -1, .unit = u, .deps_only = deps_only};
    char **argv = NULL;
    if (cache_paths(lv, u, s->compiles++, &slot->object, &slot->depfile) == 0)
        argv = hcr__compile_argv(&lv->units.v[u], slot->object, slot->depfile, lv->extra_cflags);
    if (argv && deps_only) {
        /* -E after -c: preprocess only, still writing the dependency file. */
        size_t n = 0;
        while (argv[n])
            n++;
        char **more = realloc(argv, (n + 2) * sizeof *argv);
        char *e = more ? strdup("-E") : NULL;
        if (more)
            argv = more;
        if (!e) {
            hcr__argv_free(argv);
            argv = NULL;
        } else {
            argv[n] = e;
            argv[n + 1] = NULL;
        }
    }
    pid_t pid = argv ? spawn(argv, lv->units.v[u].directory, deps_only) : -ENOMEM;
    if (pid < 0) {
        hcr__log(lv->log, HCR_LOG_ERROR, "live: cannot run %s for %s: %s",
                 argv ? argv[0] : "the compiler", lv->units.v[u].source, strerror((int)-pid));
        hcr__argv_free(argv);
        release(slot);
        return;
    }
    hcr__argv_free(argv);
    slot->pid = pid;
    slot->started_ms = now_ms();
    slot->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
}

void hcr__live_compile_learn_deps(struct hcr__live *lv)
{
    for (size_t u = 0; u < lv->units.n && hcr__live_compile_can_start(lv); u++) {
        if (!lv->state[u].need_deps)
            continue;
        lv->state[u].need_deps = 0;
        for (size_t i = 0; i < HCR__LIVE_MAX_COMPILES; i++)
            if (!lv->compiles[i].pid) {
                start_in(lv, &lv->compiles[i], u, 1);
                break;
            }
    }
}

void hcr__live_compile_start(struct hcr__live *lv, size_t u)
{
    struct hcr__live_compile *slot = NULL;
    size_t running = 0;
    for (size_t i = 0; i < HCR__LIVE_MAX_COMPILES; i++) {
        struct hcr__live_compile *c = &lv->compiles[i];
        if (c->pid && c->unit == u)
            cancel(c); /* saved again while compiling (or preprocessing): start over */
        if (c->pid)
            running++;
        else if (!slot)
            slot = c;
    }
    struct hcr__live_unit_state *s = &lv->state[u];
    if (running >= lv->max_compiles || !slot) {
        s->dirty = 1; /* started when a compile ends */
        return;
    }
    s->need_deps = 0; /* this compile writes them */
    start_in(lv, slot, u, 0);
}

int hcr__live_compile_running(const struct hcr__live *lv, size_t u)
{
    for (size_t i = 0; i < HCR__LIVE_MAX_COMPILES; i++)
        if (lv->compiles[i].pid && lv->compiles[i].unit == u)
            return 1;
    return 0;
}

int hcr__live_compile_can_start(const struct hcr__live *lv)
{
    size_t running = 0;
    for (size_t i = 0; i < HCR__LIVE_MAX_COMPILES; i++)
        running += lv->compiles[i].pid != 0;
    return running < lv->max_compiles;
}

size_t hcr__live_compile_fds(const struct hcr__live *lv, struct pollfd *fds)
{
    size_t n = 0;
    for (size_t i = 0; i < HCR__LIVE_MAX_COMPILES; i++)
        if (lv->compiles[i].pid && lv->compiles[i].pidfd >= 0)
            fds[n++] = (struct pollfd){.fd = lv->compiles[i].pidfd, .events = POLLIN};
    return n;
}

void hcr__live_compile_reap(struct hcr__live *lv)
{
    for (size_t i = 0; i < HCR__LIVE_MAX_COMPILES; i++) {
        struct hcr__live_compile *c = &lv->compiles[i];
        int status;
        if (!c->pid || waitpid(c->pid, &status, WNOHANG) != c->pid)
            continue;
        double ms = now_ms() - c->started_ms;
        if (c->deps_only) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                hcr__live_set_uses(lv, c->unit, c->depfile);
            unlink(c->depfile);
            unlink(c->object); /* the preprocessed text */
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            hcr__live_set_uses(lv, c->unit, c->depfile);
            lv->compiled(lv, c->unit, c->object, ms);
        } else {
            unlink(c->object);
            lv->compile_failed(lv, c->unit);
        }
        release(c);
    }
}

void hcr__live_compile_cancel_all(struct hcr__live *lv)
{
    for (size_t i = 0; i < HCR__LIVE_MAX_COMPILES; i++)
        if (lv->compiles[i].pid)
            cancel(&lv->compiles[i]);
}

void hcr__live_compile_abandon(struct hcr__live *lv)
{
    /* A slot's pidfd is set only once open and reset before its close,
       so whatever the live thread was doing at the fork, this closes only
       descriptors of the parent's compiles (at worst one stays open). The
       slots' memory is left: it may have been changing. */
    for (size_t i = 0; i < HCR__LIVE_MAX_COMPILES; i++) {
        const struct hcr__live_compile *c = &lv->compiles[i];
        if (c->pid && c->pidfd >= 0)
            close(c->pidfd);
    }
}
