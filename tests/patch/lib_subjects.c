/*
 * lib_subjects.c: functions with hot-patch pads in a shared library, far
 * from the executable: their slots and trampolines must be placed near the
 * library.
 */
int lib_subject_f(int x);
int lib_subject_g(int x);

int lib_subject_f(int x) { return x + 1000; }
int lib_subject_g(int x) { return x + 2000; }
