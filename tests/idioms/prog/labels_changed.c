/* labels_changed.c: a writable table of label addresses (as gcc's manual
   writes them) that the program changes at run time; the edit changes the
   code its labels lead to. hcr cannot keep the table (it points into the
   old code) nor take the new one (the program's change would be lost), so
   the reload must fail and name it. */
#include "idioms.h"

static int steps_taken;

int labels_run(int op, int swap)
{
    static void *table[] = {&&add, &&sub, &&stop};
    if (swap) {
        void *first = table[0];
        table[0] = table[1];
        table[1] = first;
        return 0;
    }
    goto *table[op];
add:
#ifndef HCR_EDIT
    return ++steps_taken;
#else
    return steps_taken += 100;
#endif
sub:
    return --steps_taken;
stop:
    return steps_taken;
}
