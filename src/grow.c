/*
 * grow.c: the one way libhcr grows an array by doubling (see hcr__grow in
 * internal.h), so that the overflow check is written once.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>

void *hcr__grow(void *items, size_t count, size_t *capacity, size_t elem_size, size_t first)
{
    if (count < *capacity)
        return items;
    size_t cap = *capacity ? *capacity * 2 : first;
    if (cap < *capacity || cap > SIZE_MAX / elem_size)
        return NULL;
    void *bigger = realloc(items, cap * elem_size);
    if (bigger)
        *capacity = cap;
    return bigger;
}
