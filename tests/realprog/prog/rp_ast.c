/*
 * rp_ast.c: syntax trees. Nodes live in an arena that is freed in one go
 * once the tree has been compiled. rp_ast_dump writes a tree as an
 * S-expression (the built-in ast() shows it).
 */
#include "rp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_PARSE))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("ast", fmt, ap);
    va_end(ap);
}

RP_MODULE("ast");

#define BLOCK_SIZE 16384

struct rp_arena_block {
    struct rp_arena_block *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

void rp_arena_init(rp_arena *ar)
{
    ar->blocks = NULL;
    ar->used_in_block = 0;
    ar->total = 0;
}

void rp_arena_free(rp_arena *ar)
{
    struct rp_arena_block *b = ar->blocks;
    if (ar->blocks)
        trace("arena of %zu bytes freed", ar->total);
    while (b) {
        struct rp_arena_block *next = b->next;
        free(b);
        b = next;
    }
    rp_arena_init(ar);
}

static void *arena_alloc(rp_arena *ar, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (!ar->blocks || ar->used_in_block + size > ar->blocks->size) {
        size_t bsize = size > BLOCK_SIZE ? size : BLOCK_SIZE;
        struct rp_arena_block *b = malloc(sizeof *b + bsize);
        if (!b) {
            fprintf(stderr, "rp: out of memory (syntax tree)\n");
            abort();
        }
        b->next = ar->blocks;
        b->size = bsize;
        ar->blocks = b;
        ar->used_in_block = 0;
    }
    void *p = ar->blocks->data + ar->used_in_block;
    ar->used_in_block += size;
    ar->total += size;
    return p;
}

rp_node *rp_ast_new(rp_arena *ar, rp_node_kind kind, int line)
{
    rp_node *n = arena_alloc(ar, sizeof *n);
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = line;
    n->lit = rp_nil();
    return n;
}

void rp_ast_add(rp_arena *ar, rp_node *parent, rp_node *kid)
{
    if (parent->nkids == parent->capkids) {
        int cap = parent->capkids ? parent->capkids * 2 : 4;
        rp_node **kids = arena_alloc(ar, (size_t)cap * sizeof *kids);
        if (parent->nkids)
            memcpy(kids, parent->kids, (size_t)parent->nkids * sizeof *kids);
        parent->kids = kids;
        parent->capkids = cap;
    }
    parent->kids[parent->nkids++] = kid;
}

int rp_ast_is_const(const rp_node *n)
{
    switch (n->kind) {
    case N_INT:
    case N_FLOAT:
    case N_STR:
    case N_TRUE:
    case N_FALSE:
    case N_NIL:
        return 1;
    default:
        return 0;
    }
}

rp_value rp_ast_const_value(const rp_node *n)
{
    switch (n->kind) {
    case N_INT:
    case N_FLOAT:
    case N_STR:
        return n->lit;
    case N_TRUE:
        return rp_bool(1);
    case N_FALSE:
        return rp_bool(0);
    default:
        return rp_nil();
    }
}

/* Turns n into the constant v (the folder's result). */
void rp_ast_set_const(rp_node *n, rp_value v)
{
    n->a = n->b = n->c = NULL;
    n->nkids = 0;
    n->lit = rp_nil();
    switch (v.t) {
    case RP_T_NIL:
        n->kind = N_NIL;
        break;
    case RP_T_BOOL:
        n->kind = v.u.b ? N_TRUE : N_FALSE;
        break;
    case RP_T_INT:
        n->kind = N_INT;
        n->lit = v;
        break;
    case RP_T_FLOAT:
        n->kind = N_FLOAT;
        n->lit = v;
        break;
    case RP_T_OBJ:
        n->kind = N_STR;
        n->lit = v;
        break;
    }
}

static const char *const kind_names[N_COUNT] = {
    [N_INT] = "int",         [N_FLOAT] = "float",   [N_STR] = "str",
    [N_TRUE] = "true",       [N_FALSE] = "false",   [N_NIL] = "nil",
    [N_NAME] = "name",       [N_LIST] = "list",     [N_MAP] = "map",
    [N_FUNC] = "fn",         [N_UNARY] = "unary",   [N_BINARY] = "binary",
    [N_AND] = "and",         [N_OR] = "or",         [N_ASSIGN] = "assign",
    [N_CALL] = "call",       [N_INDEX] = "index",   [N_FIELD] = ".",
    [N_PARAMS] = "params",   [N_LET] = "let",       [N_FNDEF] = "def",
    [N_IF] = "if",           [N_WHILE] = "while",   [N_FOR] = "for",
    [N_RETURN] = "return",   [N_BREAK] = "break",   [N_CONTINUE] = "continue",
    [N_BLOCK] = "block",     [N_EXPR] = "expr",     [N_PROGRAM] = "program",
};

const char *rp_ast_kind_name(rp_node_kind k)
{
    return (unsigned)k < N_COUNT ? kind_names[k] : "?";
}

static const char *op_text(rp_tok_kind op)
{
#ifdef HCR_EDIT
    static const char *const words[TK_COUNT] = {
        [TK_PLUS] = "add", [TK_MINUS] = "sub", [TK_STAR] = "mul", [TK_SLASH] = "div",
        [TK_PERCENT] = "mod", [TK_EQ] = "eq", [TK_NE] = "ne", [TK_LT] = "lt",
        [TK_LE] = "le", [TK_GT] = "gt", [TK_GE] = "ge",
    };
    if ((unsigned)op < TK_COUNT && words[op])
        return words[op];
#endif
    switch (op) {
    case TK_PLUS:
        return "+";
    case TK_MINUS:
        return "-";
    case TK_STAR:
        return "*";
    case TK_SLASH:
        return "/";
    case TK_PERCENT:
        return "%";
    case TK_EQ:
        return "==";
    case TK_NE:
        return "!=";
    case TK_LT:
        return "<";
    case TK_LE:
        return "<=";
    case TK_GT:
        return ">";
    case TK_GE:
        return ">=";
    case TK_ASSIGN:
        return "=";
    case TK_PLUS_ASSIGN:
        return "+=";
    case TK_MINUS_ASSIGN:
        return "-=";
    case TK_NOT:
    case TK_BANG:
        return "not";
    default:
        return rp_tok_name(op);
    }
}

static void dump(rp_buf *b, const rp_node *n);

static void dump_kids(rp_buf *b, const rp_node *n)
{
    for (int i = 0; i < n->nkids; i++) {
        rp_buf_putc(b, ' ');
        dump(b, n->kids[i]);
    }
}

static void dump_opt(rp_buf *b, const rp_node *n)
{
    if (n) {
        rp_buf_putc(b, ' ');
        dump(b, n);
    }
}

static void dump(rp_buf *b, const rp_node *n)
{
    switch (n->kind) {
    case N_INT:
    case N_FLOAT:
    case N_STR:
        rp_format_value(b, n->lit, 1, 0);
        return;
    case N_TRUE:
    case N_FALSE:
    case N_NIL:
    case N_BREAK:
    case N_CONTINUE:
        rp_buf_puts(b, kind_names[n->kind]);
        return;
    case N_NAME:
        rp_buf_put(b, n->name->chars, n->name->len);
        return;
    case N_EXPR:
        dump(b, n->a);
        return;
    case N_UNARY:
        rp_buf_printf(b, "(%s", n->op == TK_MINUS ? "neg" : op_text(n->op));
        dump_opt(b, n->a);
        rp_buf_putc(b, ')');
        return;
    case N_BINARY:
    case N_ASSIGN:
        rp_buf_printf(b, "(%s", op_text(n->op));
        dump_opt(b, n->a);
        dump_opt(b, n->b);
        rp_buf_putc(b, ')');
        return;
    case N_FIELD:
        rp_buf_puts(b, "(.");
        dump_opt(b, n->a);
        rp_buf_printf(b, " %s)", n->name->chars);
        return;
    case N_LET:
    case N_FOR:
    case N_FNDEF:
        rp_buf_printf(b, "(%s %s", kind_names[n->kind], n->name->chars);
        dump_opt(b, n->a);
        dump_opt(b, n->b);
        rp_buf_putc(b, ')');
        return;
    case N_PARAMS:
        rp_buf_putc(b, '(');
        for (int i = 0; i < n->nkids; i++) {
            if (i)
                rp_buf_putc(b, ' ');
            dump(b, n->kids[i]);
        }
        rp_buf_putc(b, ')');
        return;
    default:
        rp_buf_printf(b, "(%s", kind_names[n->kind]);
        dump_opt(b, n->a);
        dump_opt(b, n->b);
        dump_opt(b, n->c);
        dump_kids(b, n);
        rp_buf_putc(b, ')');
        return;
    }
}

void rp_ast_dump(rp_buf *b, const rp_node *n)
{
    trace("dump of a %s", rp_ast_kind_name(n->kind));
    dump(b, n);
}

int rp_ast_count(const rp_node *n)
{
    if (!n)
        return 0;
    int count = 1 + rp_ast_count(n->a) + rp_ast_count(n->b) + rp_ast_count(n->c);
    for (int i = 0; i < n->nkids; i++)
        count += rp_ast_count(n->kids[i]);
    return count;
}
