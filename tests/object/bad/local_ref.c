/* Refers to a_ready, which the program has only as a static of prog_a.c:
   resolved to it because exactly one file defines it. */
extern int a_ready;
int b_version(void);

int b_version(void)
{
    return a_ready + 40;
}
