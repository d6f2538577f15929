/*
 * rp_fold.c: constant folding on the syntax tree, before compilation.
 * Operators whose operands are constants are replaced by their result
 * (computed by the same functions the VM uses, so folding never changes
 * what a program does); an operation that would fail at run time (1 / 0)
 * is left alone, so the error still happens when it runs. "and" and "or"
 * with a constant left side are reduced too.
 */
#include "rp_int.h"

#include <string.h>

static unsigned long calls;

/* Whether the compiler folds (the built-in optimize() switches it). */
int rp_fold_enabled = 1;

/* Nodes folded since the start. */
RP_INTERNAL unsigned long rp_fold_count;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_COMPILE))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("fold", fmt, ap);
    va_end(ap);
}

RP_MODULE("fold");

/* Longest string the folder creates by repetition. */
#define MAX_FOLDED_STRING 1024

static int binop_of(rp_tok_kind op, enum rp_binop *out)
{
    switch (op) {
    case TK_PLUS:
        *out = RP_BIN_ADD;
        return 1;
    case TK_MINUS:
        *out = RP_BIN_SUB;
        return 1;
    case TK_STAR:
        *out = RP_BIN_MUL;
        return 1;
    case TK_SLASH:
        *out = RP_BIN_DIV;
        return 1;
    case TK_PERCENT:
        *out = RP_BIN_MOD;
        return 1;
    default:
        return 0;
    }
}

static int is_comparison(rp_tok_kind op)
{
    return op == TK_LT || op == TK_LE || op == TK_GT || op == TK_GE;
}

/* Computes a binary operator on two constants; 0 if it cannot be folded. */
static int fold_binary(rp_ctx *ctx, rp_tok_kind op, rp_value a, rp_value b, rp_value *out)
{
    enum rp_binop bop;
    if (binop_of(op, &bop)) {
        if (bop == RP_BIN_MUL && rp_is_obj(a, RP_O_STRING) && b.t == RP_T_INT &&
            (b.u.i < 0 || rp_as_string(a)->len * (uint64_t)b.u.i > MAX_FOLDED_STRING))
            return 0;
        if (rp_arith(ctx, bop, a, b, out) < 0) {
            rp_error_clear(ctx);
            return 0;
        }
        return 1;
    }
    if (op == TK_EQ || op == TK_NE) {
        int eq = rp_values_equal(a, b);
        *out = rp_bool(op == TK_EQ ? eq : !eq);
        return 1;
    }
    if (is_comparison(op)) {
#ifdef HCR_EDIT
        /* Comparisons are left to run time. */
        return 0;
#endif
        int cmp;
        if (rp_value_compare(ctx, a, b, &cmp) < 0) {
            rp_error_clear(ctx);
            return 0;
        }
        switch (op) {
        case TK_LT:
            *out = rp_bool(cmp < 0);
            break;
        case TK_LE:
            *out = rp_bool(cmp <= 0);
            break;
        case TK_GT:
            *out = rp_bool(cmp > 0);
            break;
        default:
            *out = rp_bool(cmp >= 0);
            break;
        }
        return 1;
    }
    return 0;
}

/* Folds the expression n in place; returns how many nodes were folded. */
int rp_fold_expr(rp_ctx *ctx, rp_node *n)
{
    if (!n)
        return 0;
    int folded = 0;
    folded += rp_fold_expr(ctx, n->a);
    folded += rp_fold_expr(ctx, n->b);
    folded += rp_fold_expr(ctx, n->c);
    for (int i = 0; i < n->nkids; i++)
        folded += rp_fold_expr(ctx, n->kids[i]);
    rp_value v;
    switch (n->kind) {
    case N_UNARY:
        if (!rp_ast_is_const(n->a))
            return folded;
        if (n->op == TK_MINUS) {
            if (rp_negate(ctx, rp_ast_const_value(n->a), &v) < 0) {
                rp_error_clear(ctx);
                return folded;
            }
        } else {
            v = rp_bool(!rp_truthy(rp_ast_const_value(n->a)));
        }
        rp_ast_set_const(n, v);
        return folded + 1;
    case N_BINARY:
        if (!rp_ast_is_const(n->a) || !rp_ast_is_const(n->b))
            return folded;
        if (!fold_binary(ctx, n->op, rp_ast_const_value(n->a), rp_ast_const_value(n->b), &v))
            return folded;
        trace("line %d: folded %s", n->line, rp_tok_name(n->op));
        rp_ast_set_const(n, v);
        return folded + 1;
    case N_AND:
    case N_OR: {
        if (!rp_ast_is_const(n->a))
            return folded;
        int truth = rp_truthy(rp_ast_const_value(n->a));
        /* "and" keeps a falsy left side, "or" a truthy one; otherwise the
           result is the right side. */
        rp_node *keep = (n->kind == N_AND) == !truth ? n->a : n->b;
        int line = n->line;
        memcpy(n, keep, sizeof *n);
        n->line = line;
        return folded + 1;
    }
    default:
        return folded;
    }
}

/* Folds every expression of a tree. */
int rp_fold_tree(rp_ctx *ctx, rp_node *n)
{
    if (!rp_fold_enabled || !n)
        return 0;
    int folded = rp_fold_expr(ctx, n);
    rp_fold_count += (unsigned long)folded;
    if (folded)
        trace("%d nodes folded", folded);
    return folded;
}
