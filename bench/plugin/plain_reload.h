/* plain_reload.h: the plain reload design hcr's reload is compared with
   (plain_reload.c), driven by the same host loop. */
#ifndef HCR_BENCH_PLAIN_RELOAD_H
#define HCR_BENCH_PLAIN_RELOAD_H

#include "hcr.h"

struct plain_reload;

/* Loads the build at `path` and starts watching its directory for the
   next; exits the benchmark if it cannot. */
struct plain_reload *plain_reload_open(const char *path);

/* Takes the newest loaded build, if there is one, and calls its hcr_main
   with HCR_STEP: the guest's result. */
int plain_reload_update(struct plain_reload *r);

/* How many builds were taken, the first included. */
unsigned plain_reload_version(const struct plain_reload *r);

void plain_reload_close(struct plain_reload *r);

#endif
