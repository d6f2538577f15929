/* A guest for the benchmarks. STEP returns VERSION, so the host sees the
   first step of a new build; with IDLE it only returns 0. BLOB_FILE, when defined, adds that file's
   bytes as read-only data (the 8 MB plugin). FILLER adds code to reach a
   realistic small plugin size. */
#include "hcr.h"

#ifndef VERSION
#define VERSION 1
#endif

#ifdef BLOB_FILE
#define HCR_BENCH_STR2(x) #x
#define HCR_BENCH_STR(x) HCR_BENCH_STR2(x)
__asm__(".section .rodata.blob,\"a\"\n"
        ".globl bench_blob\n"
        "bench_blob:\n"
        ".incbin \"" HCR_BENCH_STR(BLOB_FILE) "\"\n"
        ".previous\n");
extern const unsigned char bench_blob[];
#endif

static int HCR_STATE frames;
int bench_values[64];

#ifdef FILLER
#define FILLER_FN(n)                                                                        \
    __attribute__((noinline)) int filler_##n(int x)                                         \
    {                                                                                       \
        for (int i = 0; i < 64; i++)                                                        \
            x = x * 31 + bench_values[(x + i + n) & 63];                                    \
        return x;                                                                           \
    }
FILLER_FN(0) FILLER_FN(1) FILLER_FN(2) FILLER_FN(3) FILLER_FN(4) FILLER_FN(5) FILLER_FN(6)
FILLER_FN(7) FILLER_FN(8) FILLER_FN(9) FILLER_FN(10) FILLER_FN(11) FILLER_FN(12)
FILLER_FN(13) FILLER_FN(14) FILLER_FN(15) FILLER_FN(16) FILLER_FN(17) FILLER_FN(18)
FILLER_FN(19)
#endif

HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op)
{
    (void)ctx;
#ifdef IDLE
    /* The idle benchmark's guest, as the goal defines it: returns 0. */
    (void)op;
    return 0;
#endif
    if (op == HCR_STEP) {
        frames++;
#ifdef BLOB_FILE
        return VERSION + bench_blob[frames & 1023] * 0;
#endif
    }
    return op == HCR_STEP ? VERSION : 0;
}
