/* hidden.c: idiom 1, hidden visibility by attribute. users.c calls
   hidden_scale and reads hidden_counter, which this file writes. */
#include "idioms.h"

HIDDEN int hidden_counter = 5;

HIDDEN int hidden_scale(int x)
{
#ifdef HCR_EDIT
    return x * 30;
#else
    return x * 3;
#endif
}

int hidden_bump(void)
{
#ifdef HCR_EDIT
    hidden_counter += 100;
#else
    hidden_counter += 1;
#endif
    return hidden_counter;
}
