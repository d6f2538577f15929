/* migrate_report.h: what the migration guest (migrate.c) reports of its
   variables, in one layout whatever the guest's own layouts are, so the
   test reads the values a reload migrated. */
#ifndef HCR_TEST_MIGRATE_REPORT_H
#define HCR_TEST_MIGRATE_REPORT_H

#include "report.h"

struct migrate_report {
    struct guest_report base; /* first: plugin_util reads base.version */
    int seeded;               /* the version that set the values below */
    int pt_x, pt_y, pt_z;     /* a field added in the middle (z) */
    int pr_a, pr_b;           /* two fields swapped */
    int tr_keep;              /* a field removed beside it */
    long long widen, narrow_fit, narrow_big; /* int to long long, and back */
    int nest_before, nest_p, nest_q, nest_after; /* a nested struct grew (q) */
    int items_count, items_id[8], items_hp[8], items_mana[8]; /* array of structs */
    long long union_value;    /* a union that changed */
    int color, color_is_green; /* an enumerator inserted before GREEN */
    unsigned flag_a, flag_b;  /* bit-fields reordered and widened */
    int saved_count, saved_added; /* HCR_STATE struct that gained a field */
    /* pointers: 1 when they point where they should in this version */
    int cursor_ok, chain_ok, field_ptr_ok, table_head_ok;
    int op_result, table_fn_result; /* which version's function they call */
    const void *cursor, *op;  /* their values, to check which image holds them */
    int op_is_times;          /* op is this version's times() */
    /* heap data migrated through hcr_migrate */
    int heap_rc, heap_count, heap_id[4];
    float heap_x[4], heap_y[4], heap_z[4];
};

#endif
