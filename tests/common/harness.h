/*
 * harness.h: a tiny test framework. Each TEST runs in its own forked child
 * with a timeout, so a test that crashes or hangs fails alone. TEST_SIGNAL
 * declares a test that must die by a given signal. Checks print both values.
 */
#ifndef HCR_TEST_HARNESS_H
#define HCR_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*harness_fn)(void);
void harness_register(const char *name, harness_fn fn, int expect_signal, int timeout_s);

#define HARNESS_DEFINE(name, sig, timeout)                                                  \
    static void name(void);                                                                 \
    __attribute__((constructor)) static void harness_reg_##name(void)                       \
    {                                                                                       \
        harness_register(#name, name, sig, timeout);                                        \
    }                                                                                       \
    static void name(void)

/* A test case: passes when it returns. */
#define TEST(name) HARNESS_DEFINE(name, 0, 0)
/* A test case with its own timeout in seconds. */
#define TEST_TIMEOUT(name, seconds) HARNESS_DEFINE(name, 0, seconds)
/* A test case that passes only when its process dies by signal `sig`. */
#define TEST_SIGNAL(name, sig) HARNESS_DEFINE(name, sig, 0)

void harness_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond))                                                                        \
            harness_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                           \
    } while (0)

#define CHECK_INT(a, op, b)                                                                 \
    do {                                                                                    \
        long long harness_a_ = (long long)(a), harness_b_ = (long long)(b);                 \
        if (!(harness_a_ op harness_b_))                                                    \
            harness_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", #a, #op, #b,         \
                         harness_a_, harness_b_);                                           \
    } while (0)

#define CHECK_EQ(a, b) CHECK_INT(a, ==, b)

#define CHECK_STREQ(a, b)                                                                   \
    do {                                                                                    \
        const char *harness_sa_ = (a), *harness_sb_ = (b);                                  \
        if (!harness_sa_ || !harness_sb_ || strcmp(harness_sa_, harness_sb_))               \
            harness_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a, #b,          \
                         harness_sa_ ? harness_sa_ : "(null)",                              \
                         harness_sb_ ? harness_sb_ : "(null)");                             \
    } while (0)

#define CHECK_STR_HAS(haystack, needle)                                                     \
    do {                                                                                    \
        const char *harness_h_ = (haystack), *harness_n_ = (needle);                        \
        if (!harness_h_ || !strstr(harness_h_, harness_n_))                                 \
            harness_fail(__FILE__, __LINE__, "%s does not contain \"%s\": \"%s\"",          \
                         #haystack, harness_n_, harness_h_ ? harness_h_ : "(null)");        \
    } while (0)

/* A fresh private directory for the running test, removed when it ends. */
const char *harness_tmpdir(void);
/* Path inside harness_tmpdir(); returns a static buffer rotated over 8 slots. */
const char *harness_path(const char *name);
/* Copies src to dst through a temporary file and rename (atomic replace). */
void harness_copy_rename(const char *src, const char *dst);
/* Rewrites dst in place (open O_TRUNC, write) with the bytes of src. */
void harness_copy_in_place(const char *src, const char *dst);
/* Sleeps for ms milliseconds. */
void harness_sleep_ms(int ms);
/* Sleeps for us microseconds. */
void harness_sleep_us(int us);
/* Scales a timeout for slow builds (sanitizers): HCR_TEST_SLOW=N multiplies. */
int harness_scale(int n);

#endif
