/* One of two files named same.c, each with a static `count`. */
static int count = 100;
int count_a(void);
int count_a(void) { return ++count; }
