/*
 * page_size.c: the system's page size, asked once. Mappings, protections
 * and the layout of linked objects are rounded to it; it is a property of
 * the running kernel (4 KiB, 16 KiB or 64 KiB on arm64), not of the
 * compiler's target, so it is never a constant.
 */
#include "internal.h"

#include <stdatomic.h>
#include <unistd.h>

size_t hcr__page_size(void)
{
    static _Atomic size_t cached;
    size_t page = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!page) {
        long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
        atomic_store_explicit(&cached, page, memory_order_relaxed);
    }
    return page;
}
