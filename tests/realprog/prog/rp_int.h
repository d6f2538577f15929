/*
 * rp_int.h: what the modules of rp share among themselves. Everything here
 * is hidden from the rest of the program (RP_INTERNAL, like Lua's
 * LUAI_FUNC): the modules call each other across files, but only rp.h is
 * the library's interface.
 */
#ifndef RP_INT_H
#define RP_INT_H

#include "rp.h"
#include "rp_opcodes.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define RP_INTERNAL __attribute__((visibility("hidden")))
#define RP_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Limits of one evaluation. */
#define RP_STACK_MAX 4096
#define RP_FRAMES_MAX 200
#define RP_LOCALS_MAX 200
#define RP_NATIVE_DEPTH_MAX 16
#define RP_FORMAT_DEPTH_MAX 16

typedef struct rp_obj rp_obj;
typedef struct rp_ctx rp_ctx;
typedef struct rp_string rp_string;
typedef struct rp_list rp_list;
typedef struct rp_map rp_map;
typedef struct rp_func rp_func;
typedef struct rp_native rp_native;
typedef struct rp_node rp_node;

/* ------------------------------------------------------------------------ */
/* Buffers (rp_buf.c) */

typedef struct rp_buf {
    char *data;
    size_t len, cap;
} rp_buf;

RP_INTERNAL void rp_buf_init(rp_buf *b);
RP_INTERNAL void rp_buf_free(rp_buf *b);
RP_INTERNAL void rp_buf_reserve(rp_buf *b, size_t extra);
RP_INTERNAL void rp_buf_putc(rp_buf *b, char c);
RP_INTERNAL void rp_buf_put(rp_buf *b, const char *s, size_t n);
RP_INTERNAL void rp_buf_puts(rp_buf *b, const char *s);
RP_INTERNAL void rp_buf_printf(rp_buf *b, const char *fmt, ...) RP_PRINTF(2, 3);
RP_INTERNAL void rp_buf_vprintf(rp_buf *b, const char *fmt, va_list ap);
RP_INTERNAL void rp_buf_put_escaped(rp_buf *b, const char *s, size_t n);
RP_INTERNAL void rp_buf_indent(rp_buf *b, int levels);
RP_INTERNAL const char *rp_buf_cstr(rp_buf *b);
RP_INTERNAL void rp_buf_truncate(rp_buf *b, size_t len);

/* ------------------------------------------------------------------------ */
/* Values (rp_value.c, rp_number.c, rp_format.c) */

typedef enum { RP_T_NIL, RP_T_BOOL, RP_T_INT, RP_T_FLOAT, RP_T_OBJ } rp_vtype;

typedef struct rp_value {
    rp_vtype t;
    union {
        int b;
        int64_t i;
        double f;
        rp_obj *o;
    } u;
} rp_value;

static inline rp_value rp_nil(void)
{
    rp_value v;
    v.t = RP_T_NIL;
    v.u.i = 0;
    return v;
}

static inline rp_value rp_bool(int b)
{
    rp_value v;
    v.t = RP_T_BOOL;
    v.u.i = 0;
    v.u.b = b != 0;
    return v;
}

static inline rp_value rp_int(int64_t i)
{
    rp_value v;
    v.t = RP_T_INT;
    v.u.i = i;
    return v;
}

static inline rp_value rp_float(double f)
{
    rp_value v;
    v.t = RP_T_FLOAT;
    v.u.f = f;
    return v;
}

static inline rp_value rp_objval(void *o)
{
    rp_value v;
    v.t = RP_T_OBJ;
    v.u.o = (rp_obj *)o;
    return v;
}

typedef enum { RP_O_STRING, RP_O_LIST, RP_O_MAP, RP_O_FUNC, RP_O_NATIVE, RP_O_COUNT } rp_otype;

/* What every kind of heap object can do; each module has one table. */
struct rp_type_ops {
    const char *name;
    void (*format)(rp_buf *b, rp_obj *o, int repr, int depth);
    int64_t (*length)(rp_obj *o);
    int (*index_get)(rp_ctx *ctx, rp_obj *o, rp_value key, rp_value *out);
    int (*index_set)(rp_ctx *ctx, rp_obj *o, rp_value key, rp_value val);
    void (*mark)(rp_obj *o);
    void (*destroy)(rp_obj *o);
};

struct rp_obj {
    rp_otype type;
    unsigned char marked;
    uint64_t serial;
    rp_obj *next;
    const struct rp_type_ops *ops;
};

static inline int rp_is_obj(rp_value v, rp_otype t)
{
    return v.t == RP_T_OBJ && v.u.o->type == t;
}

static inline int rp_is_number(rp_value v)
{
    return v.t == RP_T_INT || v.t == RP_T_FLOAT;
}

static inline double rp_as_double(rp_value v)
{
    return v.t == RP_T_INT ? (double)v.u.i : v.u.f;
}

enum rp_binop { RP_BIN_ADD, RP_BIN_SUB, RP_BIN_MUL, RP_BIN_DIV, RP_BIN_MOD };

RP_INTERNAL int rp_truthy(rp_value v);
RP_INTERNAL int rp_values_equal(rp_value a, rp_value b);
RP_INTERNAL int rp_value_compare(rp_ctx *ctx, rp_value a, rp_value b, int *cmp);
RP_INTERNAL int rp_arith(rp_ctx *ctx, enum rp_binop op, rp_value a, rp_value b, rp_value *out);
RP_INTERNAL int rp_negate(rp_ctx *ctx, rp_value a, rp_value *out);
RP_INTERNAL const char *rp_type_name(rp_value v);
RP_INTERNAL uint32_t rp_value_hash(rp_value v);
RP_INTERNAL int rp_hashable(rp_value v);
RP_INTERNAL int rp_to_int(rp_ctx *ctx, rp_value v, const char *what, int64_t *out);

RP_INTERNAL void rp_number_format_int(rp_buf *b, int64_t i);
RP_INTERNAL void rp_number_format_float(rp_buf *b, double f);
RP_INTERNAL int rp_number_parse(const char *s, size_t n, rp_value *out);
RP_INTERNAL int rp_float_is_integral(double f, int64_t *as_int);

RP_INTERNAL void rp_format_value(rp_buf *b, rp_value v, int repr, int depth);
RP_INTERNAL void rp_format_repr(rp_buf *b, rp_value v);
RP_INTERNAL void rp_repr(rp_buf *b, rp_value v); /* alias of rp_format_repr */
RP_INTERNAL rp_string *rp_to_string(rp_value v);

/* ------------------------------------------------------------------------ */
/* Hashing (rp_hash.c) */

RP_INTERNAL uint32_t rp_hash_bytes(const void *p, size_t n);
RP_INTERNAL uint32_t rp_hash_int(int64_t i);
RP_INTERNAL uint32_t rp_hash_combine(uint32_t h, uint32_t v);
RP_INTERNAL int64_t rp_hash_fingerprint(rp_value v);

/* ------------------------------------------------------------------------ */
/* Heap (rp_heap.c) */

struct rp_heap {
    rp_obj *all;
    size_t bytes, threshold;
    uint64_t allocs, frees, collections, serial;
    size_t live;
};

RP_INTERNAL extern struct rp_heap rp_heap;

RP_INTERNAL void *rp_heap_alloc(size_t size, rp_otype type, const struct rp_type_ops *ops);
RP_INTERNAL void *rp_mem_grow(void *p, size_t old_size, size_t new_size);
RP_INTERNAL void rp_mem_free(void *p, size_t size);
RP_INTERNAL void rp_heap_mark_value(rp_value v);
RP_INTERNAL void rp_heap_mark_obj(rp_obj *o);
RP_INTERNAL int rp_heap_collect_maybe(void);
RP_INTERNAL size_t rp_heap_collect(void);
RP_INTERNAL void rp_heap_info(rp_buf *b);

/* ------------------------------------------------------------------------ */
/* Strings (rp_string.c): every string is interned, so equal strings are
   the same object. */

struct rp_string {
    rp_obj hdr;
    uint32_t hash;
    size_t len;
    rp_string *chain;
    char chars[];
};

struct rp_strtab {
    rp_string **slots;
    size_t nslots, count;
    uint64_t lookups, hits;
};

RP_INTERNAL extern struct rp_strtab rp_strings;

RP_INTERNAL rp_string *rp_string_new(const char *s, size_t n);
RP_INTERNAL rp_string *rp_string_cstr(const char *s);
RP_INTERNAL rp_string *rp_string_concat(rp_string *a, rp_string *b);
RP_INTERNAL rp_string *rp_string_slice(rp_string *s, int64_t start, int64_t end);
RP_INTERNAL int rp_string_index(rp_ctx *ctx, rp_string *s, int64_t i, rp_value *out);
RP_INTERNAL int rp_string_compare(const rp_string *a, const rp_string *b);
RP_INTERNAL void rp_string_unlink(rp_string *s);

static inline rp_string *rp_as_string(rp_value v)
{
    return (rp_string *)v.u.o;
}

/* ------------------------------------------------------------------------ */
/* Lists (rp_list.c) */

struct rp_list {
    rp_obj hdr;
    rp_value *items;
    size_t len, cap;
};

RP_INTERNAL rp_list *rp_list_new(size_t cap);
RP_INTERNAL void rp_list_push(rp_list *l, rp_value v);
RP_INTERNAL int rp_list_pop(rp_list *l, rp_value *out);
RP_INTERNAL int rp_list_normalize_index(const rp_list *l, int64_t i, size_t *at);
RP_INTERNAL void rp_list_insert(rp_list *l, size_t at, rp_value v);
RP_INTERNAL rp_list *rp_list_concat(rp_list *a, rp_list *b);
RP_INTERNAL void rp_list_reverse(rp_list *l);

static inline rp_list *rp_as_list(rp_value v)
{
    return (rp_list *)v.u.o;
}

/* ------------------------------------------------------------------------ */
/* Maps (rp_table.c): hash maps that remember insertion order. */

struct rp_map_entry {
    rp_value key, val;
    uint32_t hash;
    int live;
};

struct rp_map {
    rp_obj hdr;
    struct rp_map_entry *entries;
    size_t used, count, cap;
    int32_t *index;
    size_t index_mask;
};

RP_INTERNAL rp_map *rp_map_new(void);
RP_INTERNAL int rp_map_get(rp_map *m, rp_value key, rp_value *out);
RP_INTERNAL void rp_map_set(rp_map *m, rp_value key, rp_value val);
RP_INTERNAL int rp_map_del(rp_map *m, rp_value key, rp_value *old);
RP_INTERNAL int rp_map_next(rp_map *m, size_t *iter, rp_value *key, rp_value *val);
RP_INTERNAL int rp_map_get_cstr(rp_map *m, const char *name, rp_value *out);

static inline rp_map *rp_as_map(rp_value v)
{
    return (rp_map *)v.u.o;
}

/* ------------------------------------------------------------------------ */
/* Bytecode (rp_code.c) */

typedef struct rp_chunk {
    uint8_t *code;
    int *lines;
    size_t len, cap;
    rp_value *consts;
    size_t nconsts, constcap;
} rp_chunk;

RP_INTERNAL void rp_chunk_init(rp_chunk *c);
RP_INTERNAL void rp_chunk_free(rp_chunk *c);
RP_INTERNAL void rp_chunk_write(rp_chunk *c, uint8_t byte, int line);
RP_INTERNAL int rp_chunk_const(rp_chunk *c, rp_value v);
RP_INTERNAL int rp_chunk_line(const rp_chunk *c, size_t offset);
RP_INTERNAL const char *rp_op_name(int op);
RP_INTERNAL int rp_op_operands(int op);
RP_INTERNAL size_t rp_code_disasm_one(rp_buf *b, const rp_chunk *c, size_t offset);
RP_INTERNAL void rp_code_disasm(rp_buf *b, const rp_func *f);

/* ------------------------------------------------------------------------ */
/* Functions (rp_func.c) */

struct rp_func {
    rp_obj hdr;
    rp_string *name;
    int arity;
    int max_slots;
    rp_chunk chunk;
};

struct rp_reg;
typedef int (*rp_native_fn)(rp_ctx *ctx, int argc, rp_value *argv, rp_value *out);

struct rp_native {
    rp_obj hdr;
    const struct rp_reg *reg;
};

RP_INTERNAL rp_func *rp_func_new(rp_string *name, int arity);
RP_INTERNAL rp_native *rp_native_new(const struct rp_reg *reg);
RP_INTERNAL const char *rp_callable_name(rp_value v);

/* ------------------------------------------------------------------------ */
/* The registry of built-ins and modules (rp_registry.c). Entries live in
   the section rp_registry, one per built-in and one per module, gathered
   from every file by the linker. */

enum rp_reg_kind { RP_REG_BUILTIN = 1, RP_REG_MODULE = 2 };

struct rp_reg {
    int kind;
    int min_args, max_args; /* max_args -1: any number */
    const char *name;
    const char *doc;
    rp_native_fn fn;
    unsigned long (*calls)(void);
};

/* The explicit alignment keeps gcc from aligning each entry to 32 bytes
   (as it does for other static data of 32 bytes or more), which would put
   gaps between the entries of the array. */
#define RP_REGISTRY __attribute__((section("rp_registry"), used, aligned(8)))

/* Declares a built-in: static int cname(ctx, argc, argv, out) { ... } */
#define RP_BUILTIN(cname, sname, amin, amax, docstr)                         \
    static int cname(rp_ctx *ctx, int argc, rp_value *argv, rp_value *out);  \
    static const struct rp_reg rp_reg_##cname RP_REGISTRY = {                \
        RP_REG_BUILTIN, amin, amax, sname, docstr, cname, 0};                \
    static int cname(rp_ctx *ctx, int argc, rp_value *argv, rp_value *out)

/* Registers a module whose file has "static unsigned long calls". */
#define RP_MODULE(sname)                                                     \
    static unsigned long module_calls(void)                                  \
    {                                                                        \
        return calls;                                                        \
    }                                                                        \
    static const struct rp_reg rp_reg_module RP_REGISTRY = {                 \
        RP_REG_MODULE, 0, 0, sname, "module", 0, module_calls}

RP_INTERNAL void rp_registry_install(rp_map *globals);
RP_INTERNAL const struct rp_reg *rp_registry_find(const char *name, int kind);
RP_INTERNAL int rp_registry_count(void);
RP_INTERNAL void rp_registry_describe(rp_buf *b, const struct rp_reg *r);
RP_INTERNAL long rp_registry_module_calls(const char *name);
RP_INTERNAL void rp_registry_list(rp_buf *b, int kind);

/* Argument checks for built-ins (rp_lib_core.c): 0, or -1 with a
   TypeError naming the built-in and the argument. */
RP_INTERNAL int rp_arg_string(rp_ctx *ctx, const rp_value *argv, int i, const char *fname,
                              rp_string **out);
RP_INTERNAL int rp_arg_int(rp_ctx *ctx, const rp_value *argv, int i, const char *fname,
                           int64_t *out);
RP_INTERNAL int rp_arg_number(rp_ctx *ctx, const rp_value *argv, int i, const char *fname,
                              double *out);
RP_INTERNAL int rp_arg_list(rp_ctx *ctx, const rp_value *argv, int i, const char *fname,
                            rp_list **out);
RP_INTERNAL int rp_arg_map(rp_ctx *ctx, const rp_value *argv, int i, const char *fname,
                           rp_map **out);

/* ------------------------------------------------------------------------ */
/* Errors (rp_error.c) */

enum rp_error_kind {
    RP_ERR_NONE,
    RP_ERR_SYNTAX,
    RP_ERR_NAME,
    RP_ERR_TYPE,
    RP_ERR_INDEX,
    RP_ERR_ZERODIV,
    RP_ERR_VALUE,
    RP_ERR_ARITY,
    RP_ERR_OVERFLOW,
    RP_ERR_ASSERT,
    RP_ERR_COUNT
};

RP_INTERNAL int rp_error(rp_ctx *ctx, enum rp_error_kind kind, const char *fmt, ...)
    RP_PRINTF(3, 4);
RP_INTERNAL int rp_error_at(rp_ctx *ctx, enum rp_error_kind kind, int line, const char *fmt,
                            ...) RP_PRINTF(4, 5);
RP_INTERNAL const char *rp_error_kind_name(enum rp_error_kind kind);
RP_INTERNAL void rp_error_render(rp_ctx *ctx, rp_buf *b);
RP_INTERNAL void rp_error_clear(rp_ctx *ctx);
RP_INTERNAL extern unsigned long rp_error_count;
void rp_error_hook(const char *kind, const char *message, int line);

/* ------------------------------------------------------------------------ */
/* Tracing (rp_trace.c) */

enum {
    RP_TRACE_LEX = 1 << 0,
    RP_TRACE_PARSE = 1 << 1,
    RP_TRACE_COMPILE = 1 << 2,
    RP_TRACE_VM = 1 << 3,
    RP_TRACE_HEAP = 1 << 4,
    RP_TRACE_LIB = 1 << 5,
    RP_TRACE_API = 1 << 6,
    RP_TRACE_DATA = 1 << 7
};

RP_INTERNAL extern unsigned rp_trace_mask;
RP_INTERNAL void rp_trace_emit(const char *module, const char *fmt, ...) RP_PRINTF(2, 3);
RP_INTERNAL void rp_trace_vemit(const char *module, const char *fmt, va_list ap);
RP_INTERNAL unsigned rp_trace_parse_mask(const char *spec);
RP_INTERNAL unsigned long rp_trace_lines(void);

/* ------------------------------------------------------------------------ */
/* One evaluation (rp_api.c, rp_vm.c) */

struct rp_frame {
    rp_func *fn;
    uint8_t *ip;
    rp_value *base;
};

struct rp_ctx {
    rp_buf out;
    enum rp_error_kind err;
    int err_line;
    char errmsg[200];
    rp_value *stack, *sp;
    struct rp_frame frames[RP_FRAMES_MAX];
    int nframes;
    int native_depth;
    int want_collect;
    unsigned long id;
    uint64_t steps;
};

RP_INTERNAL extern rp_map *rp_globals;
RP_INTERNAL extern rp_map *rp_shared;
RP_INTERNAL extern unsigned long rp_eval_count;
RP_INTERNAL extern uint64_t rp_vm_steps;

RP_INTERNAL int rp_global_get(rp_ctx *ctx, rp_string *name, rp_value *out);
RP_INTERNAL int rp_global_set(rp_ctx *ctx, rp_string *name, rp_value v);
RP_INTERNAL void rp_global_define(rp_string *name, rp_value v);
RP_INTERNAL int rp_vm_run_script(rp_ctx *ctx, rp_func *script);
RP_INTERNAL int rp_vm_call(rp_ctx *ctx, rp_value callee, int argc, rp_value *argv,
                           rp_value *out);

/* ------------------------------------------------------------------------ */
/* Front end (rp_lex.c, rp_ast.c, rp_parse.c, rp_fold.c, rp_compile.c) */

typedef enum {
    TK_EOF,
    TK_ERROR,
    TK_IDENT,
    TK_INT,
    TK_FLOAT,
    TK_STRING,
    TK_LPAREN,
    TK_RPAREN,
    TK_LBRACE,
    TK_RBRACE,
    TK_LBRACKET,
    TK_RBRACKET,
    TK_COMMA,
    TK_DOT,
    TK_SEMI,
    TK_COLON,
    TK_PLUS,
    TK_MINUS,
    TK_STAR,
    TK_SLASH,
    TK_PERCENT,
    TK_BANG,
    TK_ASSIGN,
    TK_PLUS_ASSIGN,
    TK_MINUS_ASSIGN,
    TK_EQ,
    TK_NE,
    TK_LT,
    TK_LE,
    TK_GT,
    TK_GE,
    TK_AND,
    TK_OR,
    TK_NOT,
    TK_LET,
    TK_FN,
    TK_IF,
    TK_ELSE,
    TK_WHILE,
    TK_FOR,
    TK_IN,
    TK_RETURN,
    TK_BREAK,
    TK_CONTINUE,
    TK_TRUE,
    TK_FALSE,
    TK_NIL,
    TK_COUNT
} rp_tok_kind;

typedef struct rp_token {
    rp_tok_kind kind;
    const char *start;
    size_t len;
    int line;
    rp_value lit; /* TK_INT, TK_FLOAT, TK_STRING */
} rp_token;

typedef struct rp_lexer {
    const char *src, *p;
    int line;
    rp_ctx *ctx;
    rp_buf scratch;
} rp_lexer;

RP_INTERNAL void rp_lex_init(rp_lexer *lx, rp_ctx *ctx, const char *src);
RP_INTERNAL void rp_lex_free(rp_lexer *lx);
RP_INTERNAL rp_token rp_lex_next(rp_lexer *lx);
RP_INTERNAL const char *rp_tok_name(rp_tok_kind k);

typedef enum {
    N_INT,
    N_FLOAT,
    N_STR,
    N_TRUE,
    N_FALSE,
    N_NIL,
    N_NAME,
    N_LIST,
    N_MAP,
    N_FUNC,
    N_UNARY,
    N_BINARY,
    N_AND,
    N_OR,
    N_ASSIGN,
    N_CALL,
    N_INDEX,
    N_FIELD,
    N_PARAMS,
    N_LET,
    N_FNDEF,
    N_IF,
    N_WHILE,
    N_FOR,
    N_RETURN,
    N_BREAK,
    N_CONTINUE,
    N_BLOCK,
    N_EXPR,
    N_PROGRAM,
    N_COUNT
} rp_node_kind;

struct rp_node {
    rp_node_kind kind;
    int line;
    rp_tok_kind op;
    rp_value lit;    /* N_INT, N_FLOAT, N_STR */
    rp_string *name; /* N_NAME, N_FIELD, N_LET, N_FNDEF, N_FUNC, N_FOR */
    rp_node *a, *b, *c;
    rp_node **kids;
    int nkids, capkids;
};

typedef struct rp_arena {
    struct rp_arena_block *blocks;
    size_t used_in_block;
    size_t total;
} rp_arena;

RP_INTERNAL void rp_arena_init(rp_arena *ar);
RP_INTERNAL void rp_arena_free(rp_arena *ar);
RP_INTERNAL rp_node *rp_ast_new(rp_arena *ar, rp_node_kind kind, int line);
RP_INTERNAL void rp_ast_add(rp_arena *ar, rp_node *parent, rp_node *kid);
RP_INTERNAL int rp_ast_is_const(const rp_node *n);
RP_INTERNAL rp_value rp_ast_const_value(const rp_node *n);
RP_INTERNAL void rp_ast_set_const(rp_node *n, rp_value v);
RP_INTERNAL const char *rp_ast_kind_name(rp_node_kind k);
RP_INTERNAL void rp_ast_dump(rp_buf *b, const rp_node *n);
RP_INTERNAL int rp_ast_count(const rp_node *n);

RP_INTERNAL rp_node *rp_parse_program(rp_ctx *ctx, rp_arena *ar, const char *src);

RP_INTERNAL extern int rp_fold_enabled;
RP_INTERNAL extern unsigned long rp_fold_count;
RP_INTERNAL int rp_fold_expr(rp_ctx *ctx, rp_node *n);
RP_INTERNAL int rp_fold_tree(rp_ctx *ctx, rp_node *n);

RP_INTERNAL rp_func *rp_compile(rp_ctx *ctx, const char *src);

#endif
