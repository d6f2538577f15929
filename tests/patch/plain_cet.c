/* plain_cet.c: functions built with -fcf-protection=full and no pads:
   each starts with endbr64. */
#include "plain_subjects.h"

int plain_cet_f(int x) { return x * 5 + 1; }
int plain_cet_g(int x) { return x * 5 + 2; }
