/* inline.h: idiom 16, a static inline function in a header used by
   inline_a.c and inline_b.c. Its body is edited here (under HCR_EDIT), and
   only inline_a.c is recompiled with the change and reloaded. */
#ifndef HCR_TEST_IDIOMS_INLINE_H
#define HCR_TEST_IDIOMS_INLINE_H

static inline int inline_step(int x)
{
#ifdef HCR_EDIT
    return x * 50;
#else
    return x * 5;
#endif
}

#endif
