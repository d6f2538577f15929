/* A test guest whose behaviour is chosen at build time: VERSION, and CRASH
   (which fault to commit, and in which op; with SPOIL, after changing its
   state as a buggy build would), plus layout variants that move, add,
   resize and re-initialise variables. */
#include "hcr.h"
#include "report.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION 1
#endif
#ifndef CRASH
#define CRASH 0
#endif
#ifndef CRASH_AFTER
#define CRASH_AFTER 0 /* crash on every call of CRASH_OP after this many */
#else
static int calls_before_crash; /* only in this variant: starts at 0 */
#endif
#ifndef CRASH_OP
#define CRASH_OP HCR_STEP
#endif

#if LAYOUT == 1 /* reordered, one added before the others, initialiser edited */
int extra_added = 7;
int second = 2;
int first = 11;
#else
int first = 1;
int second = 2;
#endif

#if CR_STATE_SECTION /* as cr.h itself marks CR_STATE: its own section */
static int __attribute__((section(".state"))) pinned;
#else
static int HCR_STATE pinned;
#endif
int global_counter;
static int initialised = 100;

#if SIZED_LONG
long long sized = 5; /* 8 bytes where other builds have 4 */
#else
int sized = 5;
#endif

#if PINNED_RESIZE
static long long HCR_STATE pinned_resizable;
#else
static int HCR_STATE pinned_resizable;
#endif

const char *greeting = "hello";

#if LARGE /* LARGE KB of read-only data: a build copied through a mapping */
__attribute__((used)) const unsigned char large_table[LARGE * 1024] = {VERSION, 2, 3};
#endif

#if LAYOUT == 1
/* A new function whose static has the same name as local_reads's, placed
   first: the compiler now numbers it calls.0 and local_reads's calls.1. */
int extra_calls_seen;
static int extra_reads(void)
{
    static int calls;
    return ++calls;
}
#endif

static int local_reads(void)
{
    static int calls;
    return ++calls;
}

static int recurse(int n)
{
    volatile char pad[4096];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}

static void commit_crash(void)
{
    switch (CRASH) {
    case 1: { int *volatile bad = NULL; *(volatile int *)bad = 1; } break;
    case 2: { volatile int seven = 7, zero = 0; volatile int x = seven / zero; (void)x; } break;
    case 3: abort();
    case 4: recurse(0); break;
    case 5: __builtin_trap();
    case 6: { /* a real bus error: touch a page past the end of a mapped file */
        FILE *f = tmpfile();
        void *m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fileno(f), 0);
        volatile char c = ((volatile char *)m)[100];
        (void)c;
    } break;
    case 7: break; /* no crash, but a negative return (user failure) */
    default: break; /* CRASH 0: a well-behaved build */
    }
}

#ifndef ENTRY
#define ENTRY hcr_main /* another name for hcr_options.main_name */
#endif

HCR_EXPORT int ENTRY(struct hcr_plugin *ctx, enum hcr_op op)
{
    struct guest_report *r = ctx->userdata;
#if CRASH_AFTER
    int crash_now = op == CRASH_OP && ++calls_before_crash > CRASH_AFTER;
#else
    int crash_now = op == CRASH_OP;
#endif
    if (CRASH && crash_now) {
#if SPOIL
        pinned += 1000; /* what a rollback must not carry back */
        global_counter += 1000;
#endif
        commit_crash();
        if (CRASH == 7)
            return -5;
    }
    if (op == HCR_LOAD && r->refuse_load_of == VERSION)
        return -3;
    switch (op) {
    case HCR_LOAD: r->loads++; break;
    case HCR_UNLOAD: r->unloads++; break;
    case HCR_CLOSE: r->closes++; break;
    case HCR_STEP:
        r->steps++;
        pinned++;
        pinned_resizable++;
        global_counter++;
        initialised++;
        first += 1;
        second += 2;
        sized += 10;
        r->local_calls = local_reads();
        break;
    }
    r->version = VERSION;
    r->pinned = pinned;
    r->global_counter = global_counter;
    r->initialised = initialised;
    r->first = first;
    r->second = second;
    r->sized = (long)sized;
    r->pinned_resizable = pinned_resizable;
    r->greeting = greeting;
#if LAYOUT == 1
    r->extra = extra_added;
    if (op == HCR_STEP)
        extra_calls_seen = extra_reads();
    r->extra_calls = extra_calls_seen;
#endif
    return op == HCR_STEP ? VERSION * 1000000 + pinned : 0;
}
