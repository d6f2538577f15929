/* The migration benchmark's guest: 10,000 records of 20 fields in state.
   LAYOUT 2 inserts a field in the middle and swaps two, so every record
   moves field by field; VERSION only tells builds of one layout apart. */
#include "hcr.h"

#if LAYOUT == 2
#define MIDDLE int inserted; double f11; int f10;
#else
#define MIDDLE int f10; double f11;
#endif

struct record {
    int f0; long long f1; double f2; int f3; short f4; int f5; float f6; long long f7;
    int f8; unsigned f9; MIDDLE int f12; long long f13; double f14; int f15; int f16;
    float f17; unsigned char f18; long long f19;
};

struct record records[10000];

HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op)
{
    int *seen = ctx->userdata;
    if (op == HCR_STEP && records[0].f0 == 0)
        for (int i = 0; i < 10000; i++)
            records[i].f0 = i + 1, records[i].f10 = i, records[i].f19 = i;
    *seen = VERSION * 10 + LAYOUT;
    return 0;
}
