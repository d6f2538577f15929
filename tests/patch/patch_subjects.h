/*
 * patch_subjects.h: functions compiled with hot-patch pads
 * (-fpatchable-function-entry=9,5, no sanitizers) for the patch tests. Each
 * returns x plus a constant that tells which version ran.
 */
#ifndef HCR_TEST_PATCH_SUBJECTS_H
#define HCR_TEST_PATCH_SUBJECTS_H

int subject_f(int x); /* x + 1 */
int subject_g(int x); /* x + 2 */
int subject_h(int x); /* x + 3 */
int subject_k(int x); /* x + 4 */
int subject_no_pads(int x); /* x + 5, compiled without pads */

/* For the stress test: four versions called by threads while retargeted. */
int cycle_0(int x); /* x + 100 */
int cycle_1(int x); /* x + 200 */
int cycle_2(int x); /* x + 300 */
int cycle_3(int x); /* x + 400 */

/* x + STRESS_TEMPLATE_CONSTANT: a position-independent leaf that tests copy
   into memory of their own and give a new constant per copy. */
#define STRESS_TEMPLATE_CONSTANT 0x12345678
int stress_template(int x);

#endif
