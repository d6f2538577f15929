/* Refers to level, a static of both one/util.c and two/util.c: refused. */
extern int level;
int b_version(void);

int b_version(void)
{
    return level;
}
