/*
 * object_migrate.h: moving the variables whose layout a reload changed
 * (object_migrate.c), for object_api.c. The linker found them and gave
 * each new storage (link_migrate.c); here a reload of several objects
 * decides whether each may move, registers the new storage, and moves the
 * values at commit.
 */
#ifndef HCR_OBJECT_OBJECT_MIGRATE_H
#define HCR_OBJECT_OBJECT_MIGRATE_H

#include "migrate/migrate.h"
#include "object/link.h"
#include "object/symbols.h"

#include <stddef.h>

/* One object of the reload, as the checks need it. */
struct hcr__migrate_object {
    const char *path;
    const struct hcr__linked *linked;
};

/* Whether each migrated variable of the n objects may move: no code or
   data the reload leaves in place may hold its address, and for a global,
   every unit whose code refers to it is one of the n. Under the object
   lock, before anything is switched. 0, or HCR_ESTATE (HCR_ENOMEM) with
   msg naming the variable and the reason. */
int hcr__object_migrations_check(struct hcr__process *proc, const struct hcr__migrate_object *objs,
                                 size_t n, struct hcr__message *msg);

/* Registers the new storage and type of each variable `linked` migrates
   (reloaded.c), so that later objects and reloads bind to it. 0 or
   HCR_ENOMEM with msg. */
int hcr__object_migrations_register(struct hcr__process *proc, const char *path,
                                    const struct hcr__linked *linked, struct hcr__message *msg);

/* How many variables the n objects migrate. */
size_t hcr__object_migrations_count(const struct hcr__migrate_object *objs, size_t n);

/* Moves the value of every migrated variable of the n objects from its old
   storage, only read, into its new one (which holds the new initialiser),
   field by field, pointers into the old storage of any of them rebased;
   what became of each goes to outcomes[] (one per variable, in order).
   Runs with every other thread paused, right before the switch: allocates,
   locks and logs nothing. */
void hcr__object_migrations_apply(const struct hcr__migrate_object *objs, size_t n,
                                  struct hcr__migrate_outcome *outcomes);

/* Logs one line per migrated variable: its fields added, dropped and
   converted, and the values that did not fit. Once the threads run again. */
void hcr__object_migrations_report(const struct hcr__migrate_object *objs, size_t n,
                                   const struct hcr__migrate_outcome *outcomes);

/* Whether object i of the n refers by name to a global another object
   migrates and was linked before that object registered the new storage
   (it then bound to the old one and must be linked again). */
int hcr__object_migrations_bound_early(const struct hcr__migrate_object *objs,
                                       const struct hcr__elf *const *elfs, const unsigned *order,
                                       size_t n, size_t i);

#endif
