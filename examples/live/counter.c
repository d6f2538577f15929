/* counter.c: an ordinary program that knows nothing of hcr. It ticks ten
   times a second and applies the rule of rules.c to its running total. */
#include "rules.h"

#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int ticks = argc > 1 ? atoi_or(argv[1], 60) : 60;
    long total = 0;
    for (int tick = 1; tick <= ticks; tick++) {
        total = rule_apply(total);
        if (tick % 5 == 0)
            printf("tick %2d: total %5ld (%s)\n", tick, total, rule_name());
        fflush(stdout);
        usleep(100000);
    }
    return 0;
}
