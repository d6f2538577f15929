/* Defines a function of the test program that was compiled without the
   reload flags (test_object.c's test_unpadded): it is redirected by a
   jump over its first bytes. */
int test_unpadded(void);

int test_unpadded(void)
{
    return 2;
}
