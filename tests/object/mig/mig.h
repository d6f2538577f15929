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

/* mig_libglobal.c: a global the library libmig_libuser.so names too. */
int libglobal_version(void);
long long libglobal_get(void);
long long libuser_read(void);  /* mig_libuser.c, in the library */

/* mig_busy.c: a counter a busy thread bumps while the reload moves it. */
int busy_version(void);
int busy_bump(void);           /* the count after this call */
int busy_added(void);          /* the field version 2 adds (64); version 1: -1 */

#endif
