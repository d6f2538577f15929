/* A cr.h host, in C, built against the installed hcr's cr.h (hcr::cr). */
#define CR_HOST
#include "cr.h"

int main(void)
{
    struct cr_plugin ctx = {0};
    return cr_plugin_open(&ctx, "/nonexistent/plugin.so") ? 1 : 0;
}
