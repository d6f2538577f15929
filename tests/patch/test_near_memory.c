/*
 * test_near_memory.c: near mappings lie within 32-bit reach of the image
 * they were asked for, never overlap, and a window with no free gap fails
 * cleanly.
 */
#include "harness.h"
#include "object/near_memory.h"

#include <stdint.h>
#include <sys/mman.h>

static int in_reach(uintptr_t lo, uintptr_t hi, uintptr_t p, size_t size)
{
    /* Every byte of [p, p+size) within HCR__NEAR_REACH of every byte of [lo, hi). */
    intptr_t up = (intptr_t)(p + size) - (intptr_t)lo, down = (intptr_t)hi - (intptr_t)p;
    return up <= (intptr_t)HCR__NEAR_REACH && down <= (intptr_t)HCR__NEAR_REACH &&
           -up <= (intptr_t)HCR__NEAR_REACH && -down <= (intptr_t)HCR__NEAR_REACH;
}

TEST(image_range_of_executable_and_library)
{
    uintptr_t lo, hi;
    CHECK_EQ(hcr__near_image_range((const void *)&in_reach, &lo, &hi), 0);
    CHECK(lo <= (uintptr_t)&in_reach && (uintptr_t)&in_reach < hi);
    CHECK_EQ(lo & 4095, 0);
    CHECK_EQ(hi & 4095, 0);

    uintptr_t llo, lhi;
    CHECK_EQ(hcr__near_image_range((const void *)&mmap, &llo, &lhi), 0);
    CHECK(llo <= (uintptr_t)&mmap && (uintptr_t)&mmap < lhi);
    CHECK(llo != lo);

    int on_stack = 0;
    CHECK_EQ(hcr__near_image_range(&on_stack, &lo, &hi), HCR_ENOENT);
}

static void check_allocations_near(const void *anchor)
{
    uintptr_t lo, hi;
    CHECK_EQ(hcr__near_image_range(anchor, &lo, &hi), 0);
    enum { N = 24 };
    void *maps[N];
    size_t sizes[N];
    for (int i = 0; i < N; i++) {
        struct hcr__message msg = {{0}};
        sizes[i] = (size_t)(i % 5 + 1) * 4096 * (i % 3 ? 1 : 17) - (size_t)i;
        maps[i] = hcr__near_map(lo, hi, sizes[i], &msg);
        if (!maps[i])
            harness_fail(__FILE__, __LINE__, "allocation %d: %s", i, msg.text);
        uintptr_t p = (uintptr_t)maps[i];
        CHECK_EQ(p & 4095, 0);
        CHECK(in_reach(lo, hi, p, sizes[i]));
        memset(maps[i], 0xab, sizes[i]); /* read-write */
        for (int j = 0; j < i; j++) {
            uintptr_t q = (uintptr_t)maps[j];
            CHECK(p + sizes[i] <= q || q + sizes[j] <= p);
        }
    }
    /* Executable after mprotect, and reachable with a rel32 from the image. */
    CHECK_EQ(mprotect(maps[0], 4096, PROT_READ | PROT_EXEC), 0);
    for (int i = 0; i < N; i++)
        hcr__near_unmap(maps[i], sizes[i]);
}

TEST(several_allocations_near_executable)
{
    check_allocations_near((const void *)&check_allocations_near);
}

TEST(several_allocations_near_library)
{
    check_allocations_near((const void *)&mmap);
}

TEST(bad_requests_fail)
{
    struct hcr__message msg = {{0}};
    CHECK(hcr__near_map(0x10000000, 0x10000000, 4096, &msg) == NULL);
    CHECK_STR_HAS(msg.text, "near memory");
    CHECK(hcr__near_map(0x10000000, 0x10001000, 0, &msg) == NULL);
    CHECK(hcr__near_map(0x10000000, 0x10001000, (size_t)3 << 30, &msg) == NULL);
    CHECK_STR_HAS(msg.text, "cannot all be within reach (2047 MiB)");
    CHECK(hcr__near_map(0x10000000, 0x10000000 + ((uintptr_t)3 << 30), 4096, &msg) == NULL);
}

TEST(full_window_fails_then_a_hole_is_found)
{
    /* Reserve 8 GiB of address space, pretend an image sits in its middle:
       the whole reachable window is taken, so the request must fail. */
    size_t span = (size_t)8 << 30;
    unsigned char *r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(r != MAP_FAILED);
    uintptr_t lo = (uintptr_t)r + ((uintptr_t)4 << 30), hi = lo + 65536;
    struct hcr__message msg = {{0}};
    CHECK(hcr__near_map(lo, hi, 8192, &msg) == NULL);
    CHECK_STR_HAS(msg.text, "no free gap");

    /* Open a 1 MiB hole 1 GiB above the image: the allocation lands in it. */
    unsigned char *hole = r + ((size_t)5 << 30);
    CHECK_EQ(munmap(hole, 1 << 20), 0);
    void *p = hcr__near_map(lo, hi, 8192, &msg);
    if (!p)
        harness_fail(__FILE__, __LINE__, "%s", msg.text);
    CHECK((unsigned char *)p >= hole && (unsigned char *)p + 8192 <= hole + (1 << 20));
    /* A second request too large for the rest of the hole fails. */
    CHECK(hcr__near_map(lo, hi, 1 << 20, &msg) == NULL);
    hcr__near_unmap(p, 8192);
    munmap(r, span);
}
