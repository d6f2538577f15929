/* world.h: the demo program's state and its reporting. */
#ifndef DEMO_WORLD_H
#define DEMO_WORLD_H

extern int total;

/* world.c: advances the world by one tick. */
void world_step(void);
/* world.c: ticks so far, and how much one tick adds. */
int world_ticks(void);
const char *world_rule(void);

/* report.c: prints one line about the world. */
void report(void);

#endif
