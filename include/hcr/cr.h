/*
 * cr.h as hcr provides it: the API of cr.h, the single-header plugin
 * reloader, over hcr's plugin mode.
 *
 * Moving a project from cr.h is one change: this directory goes on the
 * include path in place of the directory holding cr.h (delete or move the
 * old copy, which would otherwise still be found first beside the source
 * that includes it), and the host links hcr:
 *
 *     cc host.c $(pkg-config --cflags --libs hcr-cr)
 *     target_link_libraries(host PRIVATE hcr::cr)           (CMake)
 *
 * Guests build as before, with this directory on their include path; they
 * do not link hcr. Everything written against cr.h compiles unchanged:
 *
 *   - Both generations of its API: cr_plugin_load, cr_plugin_update(ctx)
 *     and cr_plugin_close (2018); cr_plugin_open, cr_plugin_update(ctx,
 *     reloadCheck), cr_set_temporary_path and the fields next_version and
 *     last_working_version (2020). In C++ the host functions take the
 *     context by reference, as cr.h's do; in C, which cr.h's host part does
 *     not support, they take a pointer: cr_plugin_open(&ctx, path),
 *     cr_plugin_update(&ctx) or cr_plugin_update(&ctx, reloadCheck).
 *   - struct cr_plugin, enum cr_op, cr_failure and cr_mode, field for field
 *     and value for value; CR_HOST and its modes, CR_EXPORT, CR_IMPORT,
 *     CR_STATE, CR_PLUGIN, CR_MAIN_FUNC, CR_DEBUG, CR_LOG, CR_ERROR,
 *     CR_TRACE, CR_ASSERT, CR_MALLOC, CR_REALLOC, CR_FREE.
 *   - cr_plugin_update's results: what the guest returned; -1 after a crash
 *     in CR_STEP, the guest's own value after a negative return from it;
 *     -2 after a failure in loading, unloading or rolling back, or with
 *     no version to run. They are computed here from hcr's calls
 *     (hcr_plugin_failed_in_step), not passed through, so they stay cr.h's.
 *   - The rollback rules: any failure of a version (a crash in CR_LOAD,
 *     CR_STEP or CR_UNLOAD, or a negative return) rolls back to the
 *     version before it, with the state that version had when it was
 *     replaced; ctx.version then names the version rolled back to, and
 *     the next good build loads when it appears (hcr.h, section 5).
 *
 * What hcr does underneath, and where it differs from cr.h:
 *   - New builds are seen by inotify on a background thread, which also
 *     copies, checks and loads them: cr_plugin_update makes no system call
 *     while nothing changed (cr.h stats the file every call). A build still
 *     being written is never loaded.
 *   - Each version runs from a private copy in a directory only this user
 *     can read, removed at close; cr_set_temporary_path chooses where that
 *     directory is made (call it before the first update, as cr.h asks).
 *   - State is carried per variable, matched by file and name: variables
 *     without an initialiser keep their values, as cr.h's .bss does, and
 *     so do CR_STATE ones; variables with an initialiser start from it at
 *     every load, as they do under cr.h. Adding, removing or reordering
 *     variables moves no value into the wrong one, and a variable whose
 *     type changed is migrated field by field (hcr.h section 4); a
 *     CR_STATE variable refuses the build (CR_STATE_INVALIDATED) only
 *     when migrating it would lose data (a removed field, say). CR_SAFEST,
 *     CR_SAFE and CR_UNSAFE all mean this; CR_DISABLE carries nothing. A
 *     guest built with cr.h itself keeps its CR_STATE variables too.
 *   - Crash protection covers every plugin on every thread, each crash
 *     charged to the plugin whose call crashed, and chains to the host's own
 *     signal handlers. SIGFPE is caught too: failure 18, which is what
 *     cr.h's rule for signals it does not name (CR_OTHER + the signal
 *     number) gives it.
 *   - A rollback goes to the version the failed one replaced. cr.h counts
 *     one down from the failed version's number instead, which after an
 *     earlier rollback can name a version that failed; last_working_version
 *     here is always the version a failure would roll back to (0: none).
 *     The update that fails does the rollback: when it returns,
 *     ctx.version names the version rolled back to and that version's
 *     CR_LOAD has run (cr.h does both at the next update), and a failure
 *     that leaves no version to run already reads CR_INITIAL_FAILURE.
 *   - Messages: hcr's, one line per event, naming the file and the problem,
 *     through CR_LOG (events) and CR_ERROR (errors and warnings). With
 *     neither macro defined nor CR_DEBUG, errors and warnings still go to
 *     stderr; define CR_ERROR(...) as nothing to silence them.
 */
#ifndef HCR_CR_H
#define HCR_CR_H

/* cr.h's own include guard: code that tests for it finds it, and an
   original cr.h included after this one adds nothing. */
#ifndef __CR_H__
#define __CR_H__
#endif

#include "../hcr.h"

#if !defined(__linux__)
#error "hcr's cr.h supports Linux only"
#endif

#define CR_LINUX
#define CR_PLUGIN(name) "lib" name ".so"

#ifdef __cplusplus
#define CR_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define CR_EXPORT __attribute__((visibility("default")))
#endif
#define CR_IMPORT

/* How state is carried, chosen by the value of CR_HOST in the host. */
enum cr_mode {
    CR_SAFEST = 0,
    CR_SAFE = 1,
    CR_UNSAFE = 2,
    CR_DISABLE = 3
};

/* Why the guest is called; hcr's enum hcr_op has the same values. */
enum cr_op {
    CR_LOAD = 0,
    CR_STEP = 1,
    CR_UNLOAD = 2,
    CR_CLOSE = 3,
};

/* Why a call failed; hcr's enum hcr_failure has the same values. */
enum cr_failure {
    CR_NONE,
    CR_SEGFAULT,
    CR_ILLEGAL,
    CR_ABORT,
    CR_MISALIGN,
    CR_BOUNDS,            /* a Windows exception: never reported on Linux */
    CR_STACKOVERFLOW,
    CR_STATE_INVALIDATED,
    CR_BAD_IMAGE,
    CR_INITIAL_FAILURE,
    CR_OTHER,
    CR_USER = 0x100,
};

struct cr_plugin;

typedef int (*cr_plugin_main_func)(struct cr_plugin *ctx, enum cr_op operation);

/* The context a host owns and every guest call receives. hcr keeps it up
   to date: it is hcr's own struct hcr_plugin, which has this layout. */
struct cr_plugin {
    void *p;
    void *userdata;
    unsigned int version;
    enum cr_failure failure;
    unsigned int next_version;
    unsigned int last_working_version;
};

#ifndef __cplusplus
typedef struct cr_plugin cr_plugin;
#endif

/* The equalities the two APIs rest on, checked wherever this is used. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define CR__SAME(what, why) static_assert(what, why)
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define CR__SAME(what, why) _Static_assert(what, why)
#else
#define CR__SAME(what, why)
#endif
CR__SAME(sizeof(struct cr_plugin) == sizeof(struct hcr_plugin), "cr_plugin is hcr_plugin");
CR__SAME(offsetof(struct cr_plugin, p) == offsetof(struct hcr_plugin, p), "p");
CR__SAME(offsetof(struct cr_plugin, userdata) == offsetof(struct hcr_plugin, userdata), "userdata");
CR__SAME(offsetof(struct cr_plugin, version) == offsetof(struct hcr_plugin, version), "version");
CR__SAME(offsetof(struct cr_plugin, failure) == offsetof(struct hcr_plugin, failure), "failure");
CR__SAME(offsetof(struct cr_plugin, next_version) == offsetof(struct hcr_plugin, next_version),
         "next_version");
CR__SAME(offsetof(struct cr_plugin, last_working_version) ==
             offsetof(struct hcr_plugin, last_working_version),
         "last_working_version");
CR__SAME(sizeof(enum cr_failure) == sizeof(enum hcr_failure), "failure's size");
CR__SAME((int)CR_SEGFAULT == (int)HCR_SEGFAULT && (int)CR_ILLEGAL == (int)HCR_ILLEGAL &&
             (int)CR_ABORT == (int)HCR_ABORT && (int)CR_MISALIGN == (int)HCR_MISALIGN &&
             (int)CR_STACKOVERFLOW == (int)HCR_STACKOVERFLOW &&
             (int)CR_STATE_INVALIDATED == (int)HCR_STATE_INVALIDATED &&
             (int)CR_BAD_IMAGE == (int)HCR_BAD_IMAGE &&
             (int)CR_INITIAL_FAILURE == (int)HCR_INITIAL_FAILURE &&
             (int)CR_OTHER == (int)HCR_OTHER && (int)CR_USER == (int)HCR_USER,
         "cr_failure is hcr_failure");
CR__SAME((int)CR_LOAD == (int)HCR_LOAD && (int)CR_STEP == (int)HCR_STEP &&
             (int)CR_UNLOAD == (int)HCR_UNLOAD && (int)CR_CLOSE == (int)HCR_CLOSE,
         "cr_op is hcr_op");

#ifndef CR_HOST

/* Guest side: a variable that keeps its value across every reload. */
#define CR_STATE HCR_STATE

#else /* CR_HOST */

/* ---- The host part: compiled in the one source file that defines
   CR_HOST, as cr.h's is. ---- */

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __cplusplus
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#else
#include <stdbool.h>
#endif

/* Whether hcr's errors go through CR_ERROR: when the host defined it, or
   asked for cr.h's debug output. */
#if defined(CR_ERROR) || defined(CR_DEBUG)
#define CR__ERRORS_THROUGH_HOST 1
#else
#define CR__ERRORS_THROUGH_HOST 0
#endif

#ifndef CR_LOG
#ifdef CR_DEBUG
#define CR_LOG(...) fprintf(stdout, __VA_ARGS__)
#else
#define CR_LOG(...)
#endif
#endif

#ifndef CR_ERROR
#ifdef CR_DEBUG
#define CR_ERROR(...) fprintf(stderr, __VA_ARGS__)
#else
#define CR_ERROR(...)
#endif
#endif

#ifndef CR_TRACE
#ifdef CR_DEBUG
#define CR_TRACE fprintf(stdout, "cr: %s\n", __func__);
#else
#define CR_TRACE
#endif
#endif

#ifndef CR_MAIN_FUNC
#define CR_MAIN_FUNC "cr_main"
#endif

#ifndef CR_ASSERT
#define CR_ASSERT(e) assert(e)
#endif
#ifndef CR_MALLOC
#define CR_MALLOC(size) malloc(size)
#endif
#ifndef CR_REALLOC
#define CR_REALLOC(ptr, size) realloc(ptr, size)
#endif
#ifndef CR_FREE
#define CR_FREE(ptr) free(ptr)
#endif

/* The mode CR_HOST names: nothing (`#define CR_HOST`) means CR_UNSAFE,
   cr.h's default; a mode's name or its number (-DCR_HOST gives 1) means
   that mode. Pasting the value onto a prefix tells the three apart where
   the preprocessor cannot compare enumerators. */
#define CR__PASTE(a, b) a##b
#define CR__MODE_OF(host) CR__PASTE(CR__MODE_, host)
#define CR__MODE_ CR_UNSAFE
#define CR__MODE_CR_SAFEST CR_SAFEST
#define CR__MODE_CR_SAFE CR_SAFE
#define CR__MODE_CR_UNSAFE CR_UNSAFE
#define CR__MODE_CR_DISABLE CR_DISABLE
#define CR__MODE_0 CR_SAFEST
#define CR__MODE_1 CR_SAFE
#define CR__MODE_2 CR_UNSAFE
#define CR__MODE_3 CR_DISABLE
#define CR_OP_MODE CR__MODE_OF(CR_HOST)

/* The host's context is hcr's: the layouts are checked equal above. hcr's
   library reads and writes it through its own type, on the far side of a
   call the compiler cannot see into. */
static inline struct hcr_plugin *cr__hcr(struct cr_plugin *ctx)
{
    return (struct hcr_plugin *)(void *)ctx;
}

/* hcr's log lines, through the host's CR_LOG and CR_ERROR. */
static void cr__log(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    (void)message;
    if (level < HCR_LOG_WARN) {
        CR_LOG("%s\n", message);
        return;
    }
#if CR__ERRORS_THROUGH_HOST
    CR_ERROR("%s\n", message);
#else
    fprintf(stderr, "hcr %s: %s\n", level == HCR_LOG_ERROR ? "error" : "warning", message);
#endif
}

/* cr.h's open: false when there is no file, or hcr cannot even start
   (then ctx stays closed). A build that is there but broken leaves it open:
   the first update reports it (CR_BAD_IMAGE), and loads the next build. */
static bool cr__open(struct cr_plugin *ctx, const char *fullpath)
{
    CR_TRACE
    if (!ctx || !fullpath || access(fullpath, F_OK) != 0)
        return false;
    /* cr.h hosts declare the context without initialising it. */
    void *userdata = ctx->userdata;
    memset(ctx, 0, sizeof *ctx);
    ctx->userdata = userdata;
    struct hcr_options options;
    memset(&options, 0, sizeof options);
    options.main_name = CR_MAIN_FUNC;
    options.carry = CR_OP_MODE == CR_DISABLE ? HCR_CARRY_NONE : HCR_CARRY_UNINITIALISED;
    options.log = cr__log;
    hcr_plugin_open_with(cr__hcr(ctx), fullpath, &options);
    ctx->failure = CR_NONE;
    return ctx->p != NULL;
}

/* cr.h's update and its results, from what hcr says of the update. */
static int cr__update(struct cr_plugin *ctx, bool reload_check)
{
    CR_TRACE
    if (!ctx)
        return -2;
    struct hcr_plugin *h = cr__hcr(ctx);
    int r = reload_check ? hcr_plugin_update(h) : hcr_plugin_step(h);
    if (ctx->failure == CR_NONE && r >= 0)
        return r;
    int result;
    if (hcr_plugin_failed_in_step(h, &result))
        return result;
    return -2;
}

static void cr__close(struct cr_plugin *ctx)
{
    CR_TRACE
    if (ctx)
        hcr_plugin_close(cr__hcr(ctx)); /* p NULL, version 0, userdata kept */
}

/* hcr logs a refusal itself, through cr__log. */
static void cr__set_temporary_path(struct cr_plugin *ctx, const char *path)
{
    CR_TRACE
    if (ctx)
        hcr_plugin_set_copy_dir(cr__hcr(ctx), path);
}

#ifdef __cplusplus

extern "C" bool cr_plugin_open(cr_plugin &ctx, const char *fullpath);
extern "C" bool cr_plugin_load(cr_plugin &ctx, const char *fullpath);
extern "C" int cr_plugin_update(cr_plugin &ctx, bool reloadCheck = true);
extern "C" void cr_plugin_close(cr_plugin &ctx);
void cr_set_temporary_path(cr_plugin &ctx, const std::string &path);

extern "C" bool cr_plugin_open(cr_plugin &ctx, const char *fullpath)
{
    return cr__open(&ctx, fullpath);
}

/* The 2018 name of cr_plugin_open. */
extern "C" bool cr_plugin_load(cr_plugin &ctx, const char *fullpath)
{
    return cr__open(&ctx, fullpath);
}

extern "C" int cr_plugin_update(cr_plugin &ctx, bool reloadCheck)
{
    return cr__update(&ctx, reloadCheck);
}

extern "C" void cr_plugin_close(cr_plugin &ctx)
{
    cr__close(&ctx);
}

void cr_set_temporary_path(cr_plugin &ctx, const std::string &path)
{
    cr__set_temporary_path(&ctx, path.c_str());
}

#else /* C */

bool cr_plugin_open(struct cr_plugin *ctx, const char *fullpath);
bool cr_plugin_load(struct cr_plugin *ctx, const char *fullpath);
int (cr_plugin_update)(struct cr_plugin *ctx, bool reloadCheck);
void cr_plugin_close(struct cr_plugin *ctx);
void cr_set_temporary_path(struct cr_plugin *ctx, const char *path);

bool cr_plugin_open(struct cr_plugin *ctx, const char *fullpath)
{
    return cr__open(ctx, fullpath);
}

/* The 2018 name of cr_plugin_open. */
bool cr_plugin_load(struct cr_plugin *ctx, const char *fullpath)
{
    return cr__open(ctx, fullpath);
}

/* C has no default arguments: cr_plugin_update is also a macro that
   supplies reloadCheck = true when it is left out. The parentheses keep
   the macro from expanding here. */
int (cr_plugin_update)(struct cr_plugin *ctx, bool reloadCheck)
{
    return cr__update(ctx, reloadCheck);
}
#define CR__THIRD(a, b, c, ...) c
#define CR__UPDATE_1(ctx) (cr_plugin_update)((ctx), true)
#define CR__UPDATE_2(ctx, check) (cr_plugin_update)((ctx), (check))
#define cr_plugin_update(...) CR__THIRD(__VA_ARGS__, CR__UPDATE_2, CR__UPDATE_1, ~)(__VA_ARGS__)

void cr_plugin_close(struct cr_plugin *ctx)
{
    cr__close(ctx);
}

void cr_set_temporary_path(struct cr_plugin *ctx, const char *path)
{
    cr__set_temporary_path(ctx, path);
}

#endif /* C */

#endif /* CR_HOST */

#endif /* HCR_CR_H */
