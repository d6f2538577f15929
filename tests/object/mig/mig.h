/* mig.h: the units of the object-mode migration test (see
   test_object_migrate.c). Each unit is one source built as version 1 into
   the test program and as versions 2 to 4 (-DMIG_V=n) into objects, so
   that every version has the same source path, like a file edited in
   place. The test reads and writes the state only through these
   functions, so that no code of the test itself names a migrated
   variable. */
#ifndef MIG_H
#define MIG_H

#ifndef MIG_V
#define MIG_V 1
#endif

/* mig_state.c: file and function-local statics of every shape. */
int mig_version(void);
void mig_init(int use_target); /* sets runtime values (pointers included) */
long long mig_get(const char *field);
void mig_set(const char *field, long long value);
int mig_crash(void);           /* version 2 crashes */
int mig_bump_local(void);      /* a function-local static that changes layout */

/* mig_global.c and mig_user.c: a global named by two units. */
int global_version(void);
long long global_get(const char *field);
void global_set(const char *field, long long value);
int user_version(void);
long long user_read(void);     /* mig_user.c reads the global */

/* mig_split.c: a static clang -O2 splits, a field inserted in it. */
int split_version(void);
long long split_get(const char *field);
void split_set(const char *field, long long value);
void split_mode(int on);       /* a static clang keeps as a flag */
int split_mode_get(void);

/* mig_escape.c: a file static whose address is kept in a global. */
int escape_version(void);
int escape_read(void);
extern int *escape_pointer;
int escape_through_pointer(void); /* mig_user.c reads it */

#endif
