/*
 * jit_fixture.c: code that the debug tests place in memory themselves and
 * register with hcr__debug_register. Built at build time with -g and one
 * section per function; the functions need no relocation in their text
 * (a leaf, and a caller through a register), so copying the bytes is
 * enough to run them.
 */
int jit_fixture_leaf(int x);
int jit_fixture_through(int (*callback)(int), int x);

int jit_fixture_leaf(int x)
{
    int y = x * 3; /* the leaf's first line */
    return y + 7;
}

int jit_fixture_through(int (*callback)(int), int x)
{
    int r = callback(x + 1);
    return r + 1;
}
