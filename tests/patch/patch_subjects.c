/*
 * patch_subjects.c: see patch_subjects.h. Built with -O2 and
 * -fpatchable-function-entry=9,5 whatever the build type.
 */
#include "patch_subjects.h"

int subject_f(int x) { return x + 1; }
int subject_g(int x) { return x + 2; }
int subject_h(int x) { return x + 3; }
int subject_k(int x) { return x + 4; }

__attribute__((patchable_function_entry(0, 0))) int subject_no_pads(int x)
{
    return x + 5;
}

int cycle_0(int x) { return x + 100; }
int cycle_1(int x) { return x + 200; }
int cycle_2(int x) { return x + 300; }
int cycle_3(int x) { return x + 400; }

int stress_template(int x) { return x + STRESS_TEMPLATE_CONSTANT; }
