/* prog_a.c calling a function that exists nowhere: the reload must fail
   and leave version 1 running. */
#include "prog.h"

int hcr_test_nowhere(void);

int a_version(void)
{
    return hcr_test_nowhere();
}
