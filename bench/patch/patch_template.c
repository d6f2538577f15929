/* patch_template.c: a leaf function with hot-patch pads that
   bench_patch.c copies into memory to make many functions. */
int patch_template(int x);

int patch_template(int x)
{
    return x + 1;
}
