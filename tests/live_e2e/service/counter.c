/* counter.c: the service's counter, the state a reload must keep. */
#include "svc.h"

#include <stdio.h>

#define STEP 1

static int count;

int counter_inc(void)
{
    count += STEP;
    return count;
}

void counter_report(char *out, size_t size)
{
    snprintf(out, size, "count %d step %d bonus %d", count, STEP, SVC_BONUS);
}
