/* greet.c: the reply to "hello NAME". */
#include "svc.h"

#include <stdio.h>

static int greeted;

void greet(char *out, size_t size, const char *name)
{
    greeted++;
    snprintf(out, size, "hello, %s (greeting %d, bonus %d, extra %d, %s)", name, greeted,
             SVC_BONUS, SVC_EXTRA, SVC_BUILD);
}
