// A cr.h host, in C++, built against the installed hcr's cr.h through
// pkg-config hcr-cr.
#define CR_HOST CR_SAFE
#include "cr.h"

int main()
{
    cr_plugin ctx;
    return cr_plugin_open(ctx, "/nonexistent/plugin.so") ? 1 : 0;
}
