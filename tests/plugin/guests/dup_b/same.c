/* The other same.c: its `count` counts down. */
static int count = -100;
int count_b(void);
int count_b(void) { return --count; }
