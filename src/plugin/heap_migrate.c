/*
 * heap_migrate.c: hcr_migrate, the guest's own data moved to a new layout
 * by the machinery its variables go through (src/migrate/, pointers.c).
 * It runs inside the guest's HCR_LOAD, on the host's thread, with no lock
 * of hcr's held: the versions it reads are the plugin's own (swap.c keeps
 * the version being replaced loaded until that call returns).
 */
#include "plugin_internal.h"

#include "migrate/migrate.h"

static int refuse(struct hcr__plugin *p, int code, const char *fmt, const char *a, unsigned n)
{
    hcr__fail(&p->message, code, fmt, p->path, a, n);
    hcr__log(&p->log, HCR_LOG_WARN, "%s", p->message.text);
    hcr__plugin_show_message(p);
    return code;
}

int hcr_migrate(struct hcr_plugin *ctx, const char *type_name, const void *old_objects,
                size_t count, void *new_objects)
{
    if (!ctx || !ctx->p || !type_name || (count && (!old_objects || !new_objects)))
        return HCR_EINVAL;
    struct hcr__plugin *p = ctx->p;
    struct hcr__version *from = p->migrating_from, *to = p->current;
    if (!from || !to) {
        /* The first version's HCR_LOAD, a rollback's: nothing to migrate
           from, and nothing wrong. The guest keeps its objects as they
           are; the plugin's own error message stays. */
        hcr__log(&p->log, HCR_LOG_DEBUG,
                 "%s: hcr_migrate(\"%s\") outside the HCR_LOAD of a version replacing another: "
                 "nothing to migrate from",
                 p->path, type_name);
        return HCR_EINVAL;
    }
    const struct hcr__type *ft = hcr__types_find(from->types, type_name);
    const struct hcr__type *tt = hcr__types_find(to->types, type_name);
    if (!ft || !tt)
        return refuse(p, HCR_ENOENT,
                      "%s: hcr_migrate: no type \"%s\" in the debug information of version %u "
                      "(build with -g, and name the type as C does: \"struct particle\")",
                      type_name, (!ft ? from : to)->number);
    struct hcr__migrate_plan *plan;
    struct hcr__rebase rebase;
    if (hcr__migrate_plan_build(ft, tt, "", &plan) < 0)
        return refuse(p, HCR_ENOMEM, "%s: hcr_migrate(\"%s\"): out of memory (version %u)",
                      type_name, to->number);
    hcr__rebase_init(&rebase, from, to);
    struct hcr__migrate_outcome outcome = {0};
    hcr__migrate_apply(plan, old_objects, new_objects, count, hcr__rebase_pointer, &rebase,
                       &outcome);
    int changed = !hcr__migrate_plan_identical(plan);
    if (changed || outcome.unfit)
        hcr__log(&p->log, outcome.unfit || hcr__migrate_plan_loss(plan) ? HCR_LOG_WARN : HCR_LOG_INFO,
                 "%s: %zu of %s migrated to version %u's layout: %s%s%s", p->path, count,
                 type_name, to->number, hcr__migrate_plan_summary(plan),
                 outcome.unfit ? "; kept the starting value where a value did not fit: " : "",
                 outcome.unfit ? outcome.first_unfit : "");
    hcr__migrate_plan_free(plan);
    return changed;
}
