/* prog.h: the small multi-file program that the object-mode tests reload,
   one translation unit at a time. */
#ifndef HCR_TEST_PROG_H
#define HCR_TEST_PROG_H

extern int counter;
extern __thread int a_tls;
extern int *a_table;

/* prog_a.c */
int a_bump(void);
void a_set(void);
int a_total(void);
int a_hits(void);
const char *a_word(int n);
int a_fact(int n);
int a_calls_b(int x);
int a_version(void);
int a_removed(void);
int a_tls_get(void);
void a_tls_set(int v);
int a_table_sum(void);
int a_probe(void);

/* prog_b.c */
int b_twice(int x);
int b_hits(void);
int b_calls_a(void);
int b_counter(void);
int b_version(void);
int b_seq(void);
int b_other(void);
int b_strlen(const char *s);
int b_sort_first(int *v, int n);
int b_call(int (*callback)(void));

/* one/util.c and two/util.c: two files with the same base name */
int one_level(void);
void one_raise(void);
int two_level(void);
void two_raise(void);
int (*two_helper_address(void))(void);

/* loop.c: a function whose loop starts at its first instruction at -O2
   (gcc and clang), which a jump over its first bytes would break. */
struct loop_node {
    struct loop_node *next;
    int value;
};
int loop_last(const struct loop_node *n);
int loop_version(void);

#endif
