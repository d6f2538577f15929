/* For the tests that must know a new build is ready before they step: the
   plugin's internal `pending`, read the way the host's thread reads it. */
#include "plugin/plugin_internal.h"

int crh_build_waiting(const void *ctx);

int crh_build_waiting(const void *ctx)
{
    const struct hcr_plugin *plugin = ctx;
    return plugin->p && atomic_load(&plugin->p->pending) != NULL;
}
