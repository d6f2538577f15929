/* rules.c: the rule the demo edits while the program runs. */
#include "rules.h"

#include <stdlib.h>

static long applied; /* kept across reloads */

long rule_apply(long total)
{
    applied++;
    return total + 1;
}

const char *rule_name(void)
{
    return "+1 per tick";
}

int atoi_or(const char *text, int fallback)
{
    char *end;
    long v = strtol(text, &end, 10);
    return *end || v <= 0 ? fallback : (int)v;
}
