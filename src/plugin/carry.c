/*
 * carry.c: carrying the old version's variables into the new one at a
 * reload (hcr.h section 4). Variables match by key (state.c); a variable
 * whose type the debug information of both versions describes is moved
 * by a migration plan (src/migrate/) when its layout changed or it holds
 * pointers, which are rebased into the new version (pointers.c); without
 * debug information it is copied when its size is unchanged, as before.
 *
 * Only the new version's storage is written: the old version's stays as
 * it was when it was replaced, for a rollback to resume (swap.c), and a
 * refusal part-way leaves nothing behind but a new version that is then
 * dropped.
 */
#include "plugin_internal.h"

#include "migrate/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "file.c:name" or "name", for messages. */
static const char *var_label(const struct hcr__var *v, char *buf, size_t len)
{
    size_t file_len = strlen(v->key);
    if (file_len < v->key_len)
        snprintf(buf, len, "%s:%s", v->key, v->key + file_len + 1);
    else
        snprintf(buf, len, "%s", v->key);
    return buf;
}

/* The variable's own name, the last part of its key ("count" of
   "file.c\0function/count"), to name its fields in messages. */
static const char *var_name(const struct hcr__var *v)
{
    const char *name = v->key;
    for (size_t i = 0; i < v->key_len; i++)
        if (v->key[i] == '\0' || v->key[i] == '/')
            name = v->key + i + 1;
    return name;
}

static int same_initial(const struct hcr__var *a, const struct hcr__var *b)
{
    if (a->initial && b->initial)
        return memcmp(a->initial, b->initial, a->size) == 0;
    const unsigned char *bytes = a->initial ? a->initial : b->initial;
    if (!bytes)
        return 1;
    for (size_t i = 0; i < a->size; i++)
        if (bytes[i])
            return 0;
    return 1;
}

/* Pointers in initialisers are link-time addresses of each version's own
   image: comparing them says nothing about the source. */
static int leave_pointer(void *user, uintptr_t *value)
{
    (void)user, (void)value;
    return 0;
}

/* Whether the initialiser is unchanged but for the layout: the old one,
   migrated onto the new one, gives the new one. 1, 0, or HCR_ENOMEM. */
static int same_initial_migrated(const struct hcr__migrate_plan *plan, const struct hcr__var *f,
                                 const struct hcr__var *t)
{
    if (!f->initial && !t->initial)
        return 1; /* zeros both: zeros migrate to zeros */
    unsigned char *old = f->initial ? NULL : calloc(1, f->size ? f->size : 1);
    unsigned char *scratch = malloc(t->size ? t->size : 1);
    if ((!f->initial && !old) || !scratch) {
        free(old);
        free(scratch);
        return HCR_ENOMEM;
    }
    if (t->initial)
        memcpy(scratch, t->initial, t->size);
    else
        memset(scratch, 0, t->size);
    struct hcr__migrate_outcome outcome = {0};
    hcr__migrate_apply(plan, f->initial ? f->initial : old, scratch, 1, leave_pointer, NULL,
                       &outcome);
    int same = 1;
    for (size_t i = 0; i < t->size && same; i++)
        same = scratch[i] == (t->initial ? t->initial[i] : 0);
    free(old);
    free(scratch);
    return same;
}

/* How one variable goes across: by plan (layouts differ, or pointers to
   rebase), by bytes, or not at all. */
enum how { CARRY_BYTES, CARRY_PLAN, CARRY_NOT };

struct carry_run {
    const struct hcr__version *from, *to;
    enum hcr_carry carry;
    const struct hcr__log *log;
    const char *plugin_name;
    struct hcr__message *msg;
    struct hcr__rebase rebase;
    size_t migrated;
};

static int refuse(struct carry_run *c, const struct hcr__var *t, const char *what)
{
    char label[300];
    return hcr__fail(c->msg, HCR_ESTATE,
                     "%s: HCR_STATE variable %s cannot keep its value: %s; keeping the previous "
                     "version (keep the field, or rename the variable to start it afresh)",
                     c->plugin_name, var_label(t, label, sizeof label), what);
}

/* Carries one matched variable. 0, or HCR_ESTATE / HCR_ENOMEM with the
   message set. */
static int carry_one(struct carry_run *c, const struct hcr__var *f, const struct hcr__var *t)
{
    char label[300], what[400];
    int pinned = (t->flags & HCR__VAR_PINNED) != 0;
    struct hcr__migrate_plan *plan = NULL;
    /* A plan only for a layout that changed: an unchanged one is copied
       and its pointers rebased in place, which allocates nothing on the
       host's thread. */
    if (f->type && t->type && !hcr__type_same(f->type, t->type) &&
        hcr__migrate_plan_build(f->type, t->type, var_name(t), &plan) < 0)
        return hcr__fail(c->msg, HCR_ENOMEM, "%s: out of memory migrating %s", c->plugin_name,
                         var_label(t, label, sizeof label));
    int identical = !plan || hcr__migrate_plan_identical(plan);
    int rc = 0;
    if (!plan && f->size != t->size) {
        /* No debug information to say what changed. */
        if (pinned)
            rc = hcr__fail(c->msg, HCR_ESTATE,
                           "%s: HCR_STATE variable %s changed size from %zu to %zu bytes and "
                           "the guest has no debug information to migrate it by; keeping the "
                           "previous version (build with -g, or rename the variable to start "
                           "it afresh)",
                           c->plugin_name, var_label(t, label, sizeof label), f->size, t->size);
        else
            hcr__log(c->log, HCR_LOG_WARN,
                     "%s: %s changed size from %zu to %zu bytes: re-initialised (no debug "
                     "information to migrate it by; build with -g)",
                     c->plugin_name, var_label(t, label, sizeof label), f->size, t->size);
        return rc;
    }
    const char *loss = plan ? hcr__migrate_plan_loss(plan) : NULL;
    if (pinned && loss) {
        snprintf(what, sizeof what, "migrating it would lose %s (%s)", loss,
                 hcr__migrate_plan_summary(plan));
        rc = refuse(c, t, what);
        goto out;
    }
    if (!pinned) {
        if (c->carry == HCR_CARRY_UNINITIALISED && t->initial)
            goto out; /* it has an initialiser: it starts from it */
        int same = identical ? same_initial(f, t) : same_initial_migrated(plan, f, t);
        if (same < 0) {
            rc = hcr__fail(c->msg, same, "%s: out of memory migrating %s", c->plugin_name,
                           var_label(t, label, sizeof label));
            goto out;
        }
        if (!same) {
            hcr__log(c->log, HCR_LOG_INFO, "%s: %s has a new initialiser: takes the new value",
                     c->plugin_name, var_label(t, label, sizeof label));
            goto out;
        }
        /* Never written since loading: the new version's own initial
           value is the same value, rebased into the new image. */
        if (memcmp((const void *)f->address, f->pristine, f->size) == 0)
            goto out;
    }
    if (!plan) {
        memcpy((void *)t->address, (const void *)f->address, t->size);
        if (t->type && f->type)
            hcr__migrate_rebase_in_place(t->type, (void *)t->address, hcr__rebase_pointer,
                                         &c->rebase);
        goto out;
    }
    struct hcr__migrate_outcome outcome = {0};
    hcr__migrate_apply(plan, (const void *)f->address, (void *)t->address, 1, hcr__rebase_pointer,
                       &c->rebase, &outcome);
    if (pinned && outcome.unfit) {
        snprintf(what, sizeof what, "%s", outcome.first_unfit);
        rc = refuse(c, t, what);
        goto out;
    }
    if (!identical) {
        c->migrated++;
        hcr__log(c->log, loss || outcome.unfit ? HCR_LOG_WARN : HCR_LOG_INFO,
                 "%s: %s migrated to its new layout: %s%s%s%s", c->plugin_name,
                 var_label(t, label, sizeof label), hcr__migrate_plan_summary(plan),
                 outcome.unfit ? "; kept the new initialiser where a value did not fit: " : "",
                 outcome.unfit ? outcome.first_unfit : "",
                 outcome.unfit > 1 ? " (and others)" : "");
    }
out:
    hcr__migrate_plan_free(plan);
    return rc;
}

int hcr__state_transfer(const struct hcr__version *from, const struct hcr__version *to,
                        enum hcr_carry carry, const struct hcr__log *log,
                        const char *plugin_name, struct hcr__message *msg)
{
    char label[300];
    if (carry == HCR_CARRY_NONE)
        return 0; /* every variable starts from its initial value, HCR_STATE too */
    struct carry_run c = {from, to, carry, log, plugin_name, msg, {0}, 0};
    hcr__rebase_init(&c.rebase, from, to);
    int rc = 0;
    for (size_t i = 0; i < to->vars.count && rc == 0; i++) {
        const struct hcr__var *t = &to->vars.vars[i];
        const struct hcr__var *f = hcr__state_find(&from->vars, t);
        if (!f)
            continue; /* new: keeps its initialiser */
        if ((t->flags | f->flags) & HCR__VAR_AMBIGUOUS) {
            if (!i || hcr__state_compare(&to->vars.vars[i - 1], t) != 0)
                hcr__log(log, HCR_LOG_WARN,
                         "%s: %s is defined in two files of the same name: not carried over "
                         "(rename one of them)",
                         plugin_name, var_label(t, label, sizeof label));
            continue;
        }
        rc = carry_one(&c, f, t);
    }
    if (rc == 0 && c.rebase.kept)
        hcr__log(log, HCR_LOG_WARN,
                 "%s: %zu pointers into version %u have no place in version %u and keep "
                 "their value, valid while that version stays loaded; the first: %s",
                 plugin_name, c.rebase.kept, from->number, to->number, c.rebase.first_kept);
    return rc;
}
