/*
 * migrate.h: moving a value from one layout of its type to another, field
 * by field, by name. The engine knows nothing of plugins or objects: it
 * gets two type trees (src/dwarf/types.h) and two blocks of memory, so
 * plugin mode, object mode and the heap API (hcr_migrate) share it.
 *
 *   migrate_plan.c   compares two types once and compiles a plan: a flat
 *                    list of steps (copy these bytes, convert this
 *                    integer, rebase this pointer, do this array element
 *                    by element), the names of the fields added, dropped
 *                    and converted, and whether the move loses data
 *   migrate_apply.c  runs a plan over one value (or an array of them):
 *                    conversions checked, pointers handed to the caller's
 *                    rebase function
 *
 * The rules, as hcr.h section 4 states them to users:
 *   - fields match by name wherever they moved, recursively through
 *     nested structs and arrays (anonymous members by their order);
 *   - an array keeps min(old, new) elements; the extra ones of a longer
 *     array keep the new initialiser, those of a shorter one are dropped;
 *   - integers, bools and enums convert by value: widening always,
 *     narrowing (or a change of signedness) when the value fits; enums
 *     by enumerator name first, so an enumerator inserted before others
 *     does not shift their meaning; bit-fields likewise;
 *   - floating point converts when the value is in the new type's range;
 *   - pointers are copied, each through the rebase function;
 *   - unions and opaque types are kept only when unchanged, else the new
 *     initialiser stays (which member of a union is live is unknowable);
 *   - any other change of a field's type keeps its new initialiser.
 * What the new layout lacks (a dropped field, a dropped element, a reset
 * union or changed type) is a loss the plan knows in advance; a narrowing
 * that does not fit is a loss only the value shows.
 */
#ifndef HCR_MIGRATE_H
#define HCR_MIGRATE_H

#include "dwarf/types.h"

#include <stddef.h>
#include <stdint.h>

struct hcr__migrate_plan;

/* Compiles the plan from a value of type `from` to one of type `to`,
   naming fields from `root` in messages ("pt" gives "pt.z"; "" gives
   "z"). 0 and *plan, or HCR_ENOMEM. Both trees must outlive the plan. */
int hcr__migrate_plan_build(const struct hcr__type *from, const struct hcr__type *to,
                            const char *root, struct hcr__migrate_plan **plan);
void hcr__migrate_plan_free(struct hcr__migrate_plan *plan);

/* Whether the two types are one layout (the plan is then a copy, with
   pointers rebased). */
int hcr__migrate_plan_identical(const struct hcr__migrate_plan *plan);

/* Whether the plan drops data whatever the value: a field or element the
   new layout lacks, a union or opaque type that changed, a field whose
   type changed beyond conversion. NULL or the first such field's path
   ("pos.z", "items[12..15]"). */
const char *hcr__migrate_plan_loss(const struct hcr__migrate_plan *plan);

/* What the plan does, for the one log line per variable: "added: a, b;
   dropped: c; converted: d (int to long long)", or "" when identical. */
const char *hcr__migrate_plan_summary(const struct hcr__migrate_plan *plan);

/* Where the byte at `from_offset` of an old value lives in the new value:
   1 and *to_offset (the same field or element, the same byte in it; the
   end of the value maps to the end), or 0 when the new layout has no such
   place (a dropped field, padding). */
int hcr__migrate_plan_translate(const struct hcr__migrate_plan *plan, uint64_t from_offset,
                                uint64_t *to_offset);

/* hcr__migrate_plan_translate without a plan: the same answer from the
   two types alone, allocating nothing. */
int hcr__migrate_translate(const struct hcr__type *from, const struct hcr__type *to,
                           uint64_t from_offset, uint64_t *to_offset);

/* A pointer's new value: the rebase function of hcr__migrate_apply gets
   each pointer read from the old value in *value and sets what the new
   value holds (leaving it for a pointer it does not know). It returns 1
   to have *value written, 0 to leave the new value's pointer as it was
   (comparing initialisers, whose pointers are link-time addresses). */
typedef int (*hcr__migrate_rebase_fn)(void *user, uintptr_t *value);

/* What an application of a plan found at run time. */
struct hcr__migrate_outcome {
    size_t unfit;                /* conversions whose value did not fit */
    char first_unfit[160];       /* "count: 5000000000 does not fit in int" */
};

/* Moves `count` values of the plan's `from` type, laid out one after the
   other at `from`, into `count` values of its `to` type at `to`, which
   hold their starting values (the new initialiser): every field the plan
   keeps is overwritten, the rest stay. A conversion whose value does not
   fit leaves the field as it was and is counted in *outcome. rebase may be
   NULL (pointers copied as they are). The blocks must not overlap. */
void hcr__migrate_apply(const struct hcr__migrate_plan *plan, const void *from, void *to,
                        size_t count, hcr__migrate_rebase_fn rebase, void *rebase_user,
                        struct hcr__migrate_outcome *outcome);

/* hcr__migrate_apply for one value of which only some bytes are known (a
   variable the compiler split into pieces, some never stored: object
   mode). stored[i] != 0 marks byte i of the old value at `from` as known.
   A copy takes the known bytes only; a conversion or a pointer runs when
   every byte it reads is known, and is skipped otherwise (the new value
   keeps what it held, the new initialiser). */
void hcr__migrate_apply_stored(const struct hcr__migrate_plan *plan, const void *from,
                               const unsigned char *stored, void *to,
                               hcr__migrate_rebase_fn rebase, void *rebase_user,
                               struct hcr__migrate_outcome *outcome);

/* The path of the first conversion or pointer of the plan that would read
   bytes of which some, not all, are known under `stored` (over one old
   value): a value that cannot be read whole. NULL when there is none. */
const char *hcr__migrate_partly_stored(const struct hcr__migrate_plan *plan,
                                       const unsigned char *stored);

/* For a value whose layout did not change, already copied to `bytes`:
   passes each of its pointers (of type t, outside unions) through rebase
   in place. Allocates nothing. */
void hcr__migrate_rebase_in_place(const struct hcr__type *t, void *bytes,
                                  hcr__migrate_rebase_fn rebase, void *rebase_user);

/* ---- for migrate_apply.c, from migrate_plan.c ---- */

enum hcr__migrate_step_kind {
    HCR__STEP_COPY,             /* `size` bytes as they are */
    HCR__STEP_INTEGER,          /* integer, bool or enum by value (also bit-fields) */
    HCR__STEP_ENUM,             /* by enumerator name, else by value */
    HCR__STEP_FLOAT,
    HCR__STEP_POINTER,          /* data or function pointer, through rebase */
    HCR__STEP_ARRAY,            /* `count` elements through `element` */
};

/* One scalar's place and encoding. */
struct hcr__migrate_scalar {
    unsigned size;              /* bytes: 1, 2, 4, 8 (16 for long double) */
    unsigned bit_offset, bit_size; /* bit-fields; bit_size 0 otherwise */
    int is_signed;
    int is_bool;
    const struct hcr__type *type; /* the enumeration, for ENUM */
};

struct hcr__migrate_steps;

struct hcr__migrate_step {
    enum hcr__migrate_step_kind kind;
    uint64_t from, to;          /* byte offsets in the old and new value */
    uint64_t size;              /* COPY */
    struct hcr__migrate_scalar in, out; /* INTEGER, ENUM, FLOAT */
    const struct hcr__migrate_steps *element; /* ARRAY */
    uint64_t count, from_stride, to_stride;   /* ARRAY */
    const char *path;           /* for messages */
};

struct hcr__migrate_steps {
    struct hcr__migrate_step *items;
    size_t count;
};

/* The plan's top-level steps. */
const struct hcr__migrate_steps *hcr__migrate_plan_steps(const struct hcr__migrate_plan *plan);
/* The sizes of one old and one new value. */
uint64_t hcr__migrate_plan_from_size(const struct hcr__migrate_plan *plan);
uint64_t hcr__migrate_plan_to_size(const struct hcr__migrate_plan *plan);

#endif
