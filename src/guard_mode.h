/*
 * guard_mode.h: how this build guards calls, decided by the preprocessor
 * alone so that assembly files can include it too.
 *
 * HCR__GUARD_PLAIN_SETJMP: AddressSanitizer builds. The sanitizer must see
 *   every jump out of a crashed call to unpoison the stack, so guards use
 *   setjmp/longjmp.
 * HCR__GUARD_RUN_ASM: a machine with guard_run.S, without a sanitizer.
 *   Guarded calls go through that assembly, which saves only the callee-saved
 *   registers, and the signal handler resumes them by rewriting the
 *   interrupted context.
 */
#ifndef HCR_GUARD_MODE_H
#define HCR_GUARD_MODE_H

#include "arch_facts.h" /* HCR__ARCH_GUARD_RUN */

#if defined(__SANITIZE_ADDRESS__)
#define HCR__GUARD_PLAIN_SETJMP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HCR__GUARD_PLAIN_SETJMP 1
#endif
#endif

#if !defined(HCR__GUARD_PLAIN_SETJMP) && defined(HCR__ARCH_GUARD_RUN)
#define HCR__GUARD_RUN_ASM 1
#endif

/* The initial value of a thread's hcr__guard_top (guard.h), a number here
   so that assembly can compare with it. */
#define HCR__GUARD_UNREADY_MARK 1

#endif
