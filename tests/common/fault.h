/*
 * fault.h: fault injection for the tests. A test executable linked with
 * fault.c and the link options of HCR_FAULT_LINK_OPTIONS (tests/CMakeLists:
 * -Wl,--wrap for malloc, calloc, realloc, strdup, strndup and mmap) routes
 * every such call made by hcr's code and the test's through a counter;
 * armed, the Nth call made by the arming thread fails as the system's
 * would (NULL with ENOMEM, MAP_FAILED with ENOMEM). Calls inside shared
 * libraries (libdw, json-c, libc's own) are not counted: they handle their
 * own failures, and hcr's handling of theirs is what the errors of their
 * APIs test.
 *
 * fault_sweep runs an operation once per N in a child process of its own,
 * so every run starts from the same state and LeakSanitizer (in sanitizer
 * builds) checks each for leaks.
 */
#ifndef HCR_TEST_FAULT_H
#define HCR_TEST_FAULT_H

struct fault_case {
    const char *name;
    /* Before arming: brings the process to the state the operation starts
       from. May fail the test. */
    void (*setup)(void *arg);
    /* The operation under test, armed; returns its result code. */
    int (*op)(void *arg);
    /* After disarming: rc is what op returned, `faulted` whether the Nth
       call was reached (and failed). Must fail the test unless the result
       is a clean error (faulted) or success, the state is as before
       (faulted), and the process can go on (for example, the operation
       succeeds when tried again). */
    void (*check)(void *arg, int rc, int faulted);
    void *arg;
};

/* Runs c for N = 1, 1 + step, 1 + 2 step, ... until a run does not reach
   its Nth call. Fails the test on a failed check, a crash, a leak or a
   hang. Returns how many runs were made. */
int fault_sweep(const struct fault_case *c, int step);

/* The step fault_sweep callers use: 1 with HCR_FAULT_ALL=1 in the
   environment (make test-all), else `sampled`. */
int fault_step(int sampled);

#endif
