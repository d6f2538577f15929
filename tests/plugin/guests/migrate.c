/* A guest whose types change between builds (VERSION 1 to 4), for state
   migration: every kind of layout change hcr.h section 4 promises to
   migrate, pointers into its own variables and functions, and heap data
   moved through hcr_migrate. Version 1 sets known values in its first
   step; every version reports what it finds (migrate_report.h). REFUSE
   builds a version 2 whose HCR_STATE variables cannot keep their value;
   CRASH one that spoils the migrated values and crashes. */
#include "hcr.h"
#include "migrate_report.h"

#include <stdint.h>
#include <stdlib.h>

#ifndef VERSION
#define VERSION 1
#endif
#ifndef REFUSE
#define REFUSE 0
#endif
#ifndef CRASH
#define CRASH 0 /* 1: the first step spoils the migrated values, then crashes */
#endif

#if VERSION == 1
struct point { int x; int y; } pt;
struct pair { int a; int b; } pr;
struct trio { int keep; int gone; } tr;
int widen;
long long narrow_fit, narrow_big = 7;
struct inner { int p; };
struct outer { int before; struct inner in; int after; } nest;
struct item { int id; int hp; } items[4];
union u { int i; float f; } un;
enum color { RED, GREEN, BLUE } col;
struct flags { unsigned a : 3; unsigned b : 5; } fl;
struct saved { int count; };
static struct saved HCR_STATE saved;
struct node { int value; struct node *next; };
struct table { int tag; int (*fn)(int); struct node *head; } table;
struct particle { float x; float y; };
#else
struct point { int x; int z; int y; } pt = {.z = 4};
struct pair { int b; int a; } pr;
struct trio { int keep; } tr;
long long widen;
int narrow_fit, narrow_big = 7;
struct inner { int p; int q; };
struct outer { int before; struct inner in; int after; } nest = {.in.q = 9};
#if VERSION == 2
struct item { int id; int mana; int hp; } items[6] = {[4] = {.id = 50}, [5] = {.id = 60}};
#else
struct item { int id; int mana; int hp; } items[2];
#endif
union u { long long l; int i; } un = {.l = 5};
enum color { RED, YELLOW, GREEN, BLUE } col;
struct flags { unsigned b : 6; unsigned a : 4; unsigned c : 2; } fl;
struct saved { int count; int added; };
static struct saved HCR_STATE saved = {.added = 3};
#if VERSION == 2
struct node { int value; int extra; struct node *next; };
#elif VERSION == 3
struct node { struct node *next; int value; };
#else
struct node { int weight; struct node *next; int value; };
#endif
#if VERSION == 2
struct table { int tag; int (*fn)(int); struct node *head; } table;
#else
struct table { struct node *head; int tag; int (*fn)(int); } table;
#endif
struct particle { int id; float x; float y; float z; };
#endif

#if REFUSE == 1 /* an HCR_STATE field removed */
struct saved_more { int count; };
static struct saved_more HCR_STATE saved_more;
#else
struct saved_more { int count; int gone; };
static struct saved_more HCR_STATE saved_more;
#endif
#if REFUSE == 2 /* an HCR_STATE long long narrowed to int, its value too big */
static int HCR_STATE pinned_big;
#else
static long long HCR_STATE pinned_big;
#endif

static int seeded;
struct node nodes[3];
struct node *cursor;
int *field_ptr;
int (*op)(int);
struct particle *parts;
int nparts;
/* The replaced version's array, freed once this version has stepped: a
   rollback before that resumes the old version with its array intact. */
struct particle *retired_parts;

/* Tells which version's code runs. */
static __attribute__((noinline)) int times(int x)
{
    return x * 2 + VERSION * 1000;
}

static void seed(void)
{
#if VERSION == 1
    pt.x = 10, pt.y = 20;
    pr.a = 1, pr.b = 2;
    tr.keep = 5, tr.gone = 6;
    widen = 2000000000;
    narrow_fit = 123456, narrow_big = 5000000000LL;
    nest.before = 1, nest.in.p = 2, nest.after = 3;
    for (int i = 0; i < 4; i++)
        items[i].id = i + 1, items[i].hp = (i + 1) * 10;
    un.i = 77;
    col = GREEN;
    fl.a = 5, fl.b = 17;
    saved.count = 42;
    saved_more.count = 8, saved_more.gone = 9;
    pinned_big = 5000000000LL;
    for (int i = 0; i < 3; i++)
        nodes[i].value = 100 + i, nodes[i].next = i < 2 ? &nodes[i + 1] : NULL;
    cursor = &nodes[1];
    field_ptr = &pt.y;
    op = times;
    table.tag = 11, table.fn = times, table.head = &nodes[0];
    nparts = 3;
    parts = calloc((size_t)nparts, sizeof *parts);
    for (int i = 0; i < nparts; i++)
        parts[i].x = (float)i + 0.5f, parts[i].y = (float)i * 2;
    seeded = VERSION;
#endif
}

static void report(struct migrate_report *r)
{
    r->seeded = seeded;
    r->pt_x = pt.x, r->pt_y = pt.y;
    r->pr_a = pr.a, r->pr_b = pr.b;
    r->tr_keep = tr.keep;
    r->widen = widen, r->narrow_fit = narrow_fit, r->narrow_big = narrow_big;
    r->nest_before = nest.before, r->nest_p = nest.in.p, r->nest_after = nest.after;
    r->items_count = (int)(sizeof items / sizeof items[0]);
    for (int i = 0; i < r->items_count; i++)
        r->items_id[i] = items[i].id, r->items_hp[i] = items[i].hp;
    r->color = (int)col, r->color_is_green = col == GREEN;
    r->flag_a = fl.a, r->flag_b = fl.b;
    r->saved_count = saved.count;
#if VERSION == 1
    r->pt_z = -1, r->nest_q = -1, r->saved_added = -1;
    r->union_value = un.i;
#else
    r->pt_z = pt.z, r->nest_q = nest.in.q, r->saved_added = saved.added;
    r->union_value = un.l;
    for (int i = 0; i < r->items_count; i++)
        r->items_mana[i] = items[i].mana;
#endif
    r->cursor_ok = cursor == &nodes[1];
    r->chain_ok = 1;
    for (int i = 0; i < 3; i++)
        r->chain_ok &= nodes[i].value == 100 + i && nodes[i].next == (i < 2 ? &nodes[i + 1] : NULL);
    r->field_ptr_ok = field_ptr == &pt.y && *field_ptr == 20;
    r->table_head_ok = table.head == &nodes[0] && table.tag == 11;
    r->op_result = op ? op(1) : -1;
    r->table_fn_result = table.fn ? table.fn(1) : -1;
    r->cursor = cursor, r->op = (const void *)op;
    r->op_is_times = op == times; /* also keeps times out of line in every version */
    r->heap_count = nparts;
    for (int i = 0; i < nparts && i < 4; i++) {
        r->heap_x[i] = parts[i].x, r->heap_y[i] = parts[i].y;
#if VERSION == 1
        r->heap_id[i] = -1, r->heap_z[i] = -1;
#else
        r->heap_id[i] = parts[i].id, r->heap_z[i] = parts[i].z;
#endif
    }
}

/* The guest's own heap data, to its new layout (README, hcr_migrate). */
static void migrate_heap(struct hcr_plugin *ctx, struct migrate_report *r)
{
    if (!parts)
        return;
    struct particle *moved = calloc((size_t)nparts, sizeof *moved);
#if VERSION > 1
    for (int i = 0; i < nparts; i++)
        moved[i].z = 1.5f, moved[i].id = -7; /* starting values of the new fields */
#endif
    r->heap_rc = hcr_migrate(ctx, "struct particle", parts, (size_t)nparts, moved);
    if (r->heap_rc >= 0) {
        retired_parts = parts;
        parts = moved;
    } else {
        free(moved);
    }
}

HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op_code)
{
    struct migrate_report *r = ctx->userdata;
    if (op_code == HCR_LOAD)
        migrate_heap(ctx, r);
    if (op_code == HCR_STEP && CRASH) {
        pt.x = 999, pr.a = 999, widen = 999, items[0].hp = 999;
        free(parts); /* its own array: the version rolled back to has its own */
        parts = NULL;
        *(volatile int *)(uintptr_t)r->base.refuse_load_of = 1; /* 0: a null write */
    }
    if (op_code == HCR_STEP) {
        free(retired_parts);
        retired_parts = NULL;
        r->base.steps++;
        if (!seeded)
            seed();
    }
    if (op_code == HCR_CLOSE) {
        free(parts);
        free(retired_parts);
        parts = retired_parts = NULL;
    }
    report(r);
    r->base.version = VERSION;
    return op_code == HCR_STEP ? VERSION * 1000000 + r->base.steps : 0;
}
