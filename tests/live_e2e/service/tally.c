/* tally.c: the service's shared library, libtally.so, built with the
   reload flags like the rest: a tally a reload must keep. The CMake build
   also compiles this file with TALLY_VARIANT into an object no target
   links, so compile_commands.json lists it twice, the variant first. */
#include "svc.h"

#include <stdio.h>

#define TALLY_BY 1

static int tally;

#ifdef TALLY_VARIANT
#define TALLY_KIND "variant"
/* Code only the variant has, as a feature behind a definition would. */
int tally_variant_only(void)
{
    return -tally;
}
#else
#define TALLY_KIND "shared"
#endif

void tally_add(void)
{
    tally += TALLY_BY;
}

void tally_report(char *out, size_t size)
{
    snprintf(out, size, "tally %d by %d (%s)", tally, TALLY_BY, TALLY_KIND);
}
