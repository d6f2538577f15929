/* idioms.h: the program of the idiom tests. One translation unit per
   linkage idiom (hidden.c, alias.c, ...), each reloaded in object mode with
   an edit under HCR_EDIT; users.c is the rest of the program, never
   reloaded, and calls or reads what the units define. */
#ifndef HCR_TEST_IDIOMS_H
#define HCR_TEST_IDIOMS_H

#define HIDDEN __attribute__((visibility("hidden")))
#define INTERNAL __attribute__((visibility("internal")))
#define PROTECTED __attribute__((visibility("protected")))
#define WEAK __attribute__((weak))

/* 1. hidden.c: hidden visibility by attribute */
extern HIDDEN int hidden_counter;
HIDDEN int hidden_scale(int x);
int hidden_bump(void);
int users_hidden_counter(void);
int users_hidden_scale(int x);

/* 2. internal.c: internal visibility by attribute */
extern INTERNAL int internal_counter;
INTERNAL int internal_scale(int x);
int internal_bump(void);
int users_internal_counter(void);
int users_internal_scale(int x);

/* 3. protected.c: protected visibility by attribute */
extern PROTECTED int protected_counter;
PROTECTED int protected_scale(int x);
int protected_bump(void);
int users_protected_counter(void);
int users_protected_scale(int x);

/* 4. fvis.c: compiled with -fvisibility=hidden, no attributes */
extern int fvis_counter;
int fvis_scale(int x);
int fvis_bump(void);
int users_fvis_counter(void);
int users_fvis_scale(int x);

/* 5. weak.c and strong.c: weak definitions. weak_only and weak_only_count
   are defined (weakly) by weak.c alone; weak_overridden and weak_shared
   are defined weakly by weak.c and strongly by strong.c. The attribute is
   on the definitions only: here it would make every caller's reference
   weak. */
int weak_only(void);
extern int weak_only_count;
int weak_only_bump(void);
int weak_overridden(void);
extern int weak_shared;
int weak_calls_overridden(void);
int weak_add_shared(int n);
int strong_shared(void);
int users_weak_only(void);
int users_weak_only_count(void);
int users_weak_overridden(void);

/* 6. weakref.c: weak references, to a function and a variable users.c
   defines and to a function and a variable no file defines */
int weakref_probe(void);
int weakref_calls(void);
int weakref_defined(void); /* users.c */
extern int weakref_defined_var; /* users.c */

/* 7. alias.c: aliases of a global function, of a static function and of a
   variable */
int alias_real(int x);
int alias_other(int x);
int alias_weak(int x);
int alias_of_static(int x);
int alias_calls(void);
extern int alias_var;
extern int alias_var_other;
int alias_var_add(int n);
int users_alias_other(int x);
int users_alias_weak(int x);
int users_alias_of_static(int x);
int users_alias_var_other(void);

/* 8. statics_a.c and statics_b.c: static functions and variables of the
   same names */
int statics_a_bump(void);
int statics_a_count(void);
int statics_b_bump(void);
int statics_b_count(void);

/* 9. ops.c: functions reached only through tables of function pointers */
struct idiom_ops {
    int (*combine)(int a, int b);
    int (*calls)(void);
};
extern const struct idiom_ops ops_public;
const struct idiom_ops *ops_get(void);
int users_ops_public(int a, int b);
int users_ops_private(int a, int b);

/* 10. interp.c and interp_const.c: a threaded interpreter dispatching
   through a table of label addresses, writable and const */
enum { INTERP_END, INTERP_ADD, INTERP_MUL };
int interp_run(const unsigned char *code);
long interp_steps(void);
int interp_const_run(const unsigned char *code);
long interp_const_steps(void);

/* 11. registry.c: variables in one custom section, walked through the
   linker's __start_/__stop_ symbols; users.c adds one more entry */
struct idiom_reg {
    const char *name;
    long value;
};
extern struct idiom_reg reg_alpha;
int registry_bump(void);
long registry_sum(void);
long registry_beta(void);
long users_registry_sum(void);

/* 12. common.c and common_peer.c: -fcommon tentative definitions, the same
   one in both files */
extern int common_tentative;
extern int common_array[4];
int common_add(int n);
int common_peer_add(int n);
int common_peer_read(void);

/* 13. ctors.c: constructors with priorities; each appends to ctors_log */
extern int ctors_log[16];
extern int ctors_count;
int ctors_version(void);

/* 16. inline_a.c and inline_b.c: both use inline.h's static inline */
int inline_a_add(int x);
int inline_b_add(int x);

/* 15. callers of both versions of verlib's ver_foo (users.c) */
int users_ver_foo_v1(void);
int users_ver_foo_v2(void);

/* linkage.c: an edit that makes globals static and statics global */
int made_static_fn(int x);
extern int made_static_count;
int linkage_bump(void);
int linkage_made_global_count(void);

/* renamed.c: a variable whose symbol an asm label renamed */
int renamed_bump(void);

/* labels_changed.c: a writable table of label addresses the program changes */
int labels_run(int op, int swap);

/* dropped.c: an edit that removes a global function and inlines another */
int dropped_gone(void);
int dropped_inlined(int x);
int dropped_use(void);

#endif
