/*
 * rp_parse.c: a recursive-descent parser from tokens to a syntax tree.
 *
 *   program    := stmt*
 *   stmt       := "let" NAME ("=" expr)? ";"
 *               | "fn" NAME params block
 *               | "if" "(" expr ")" block ("else" (if-stmt | block))?
 *               | "while" "(" expr ")" block
 *               | "for" "(" NAME "in" expr ")" block
 *               | "return" expr? ";" | "break" ";" | "continue" ";"
 *               | block | expr ";"
 *   expr       := target ("=" | "+=" | "-=") expr | or
 *   or         := and ("or" and)*         and := equality ("and" equality)*
 *   equality   := compare (("==" | "!=") compare)*
 *   compare    := term (("<" | "<=" | ">" | ">=") term)*
 *   term       := factor (("+" | "-") factor)*
 *   factor     := unary (("*" | "/" | "%") unary)*
 *   unary      := ("-" | "!" | "not") unary | postfix
 *   postfix    := primary ("(" args ")" | "[" expr "]" | "." NAME)*
 *   primary    := INT | FLOAT | STRING | "true" | "false" | "nil" | NAME
 *               | "(" expr ")" | "[" items "]" | "{" pairs "}" | "fn" params block
 *
 * The first error stops the parse.
 */
#include "rp_int.h"

#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_PARSE))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("parse", fmt, ap);
    va_end(ap);
}

RP_MODULE("parse");

#define MAX_DEPTH 150

typedef struct parser {
    rp_lexer lx;
    rp_token cur, prev;
    rp_ctx *ctx;
    rp_arena *ar;
    int failed;
    int depth;
} parser;

static rp_node *expression(parser *p);
static rp_node *statement(parser *p);
static rp_node *block(parser *p);

static void error_at(parser *p, int line, const char *fmt, const char *arg)
{
    if (p->failed)
        return;
    p->failed = 1;
    if (p->cur.kind == TK_ERROR)
        return; /* the lexer has reported it */
    rp_error_at(p->ctx, RP_ERR_SYNTAX, line, fmt, arg);
}

static void advance(parser *p)
{
    p->prev = p->cur;
    if (p->failed) {
        p->cur.kind = TK_EOF;
        return;
    }
    p->cur = rp_lex_next(&p->lx);
    if (p->cur.kind == TK_ERROR)
        p->failed = 1;
}

static int check(const parser *p, rp_tok_kind kind)
{
    return p->cur.kind == kind;
}

static int accept(parser *p, rp_tok_kind kind)
{
    if (!check(p, kind))
        return 0;
    advance(p);
    return 1;
}

static void expect(parser *p, rp_tok_kind kind, const char *after)
{
    if (accept(p, kind))
        return;
    if (p->failed)
        return;
    p->failed = 1;
    rp_error_at(p->ctx, RP_ERR_SYNTAX, p->prev.line ? p->prev.line : p->cur.line,
                "expected %s after %s, found %s", rp_tok_name(kind), after,
                rp_tok_name(p->cur.kind));
}

static void expect_semicolon(parser *p, const char *after)
{
    if (accept(p, TK_SEMI))
        return;
    if (p->failed)
        return;
    p->failed = 1;
#ifdef HCR_EDIT
    rp_error_at(p->ctx, RP_ERR_SYNTAX, p->prev.line, "%s is not followed by ';'", after);
#else
    rp_error_at(p->ctx, RP_ERR_SYNTAX, p->prev.line, "expected ';' after %s", after);
#endif
}

static rp_string *identifier(parser *p, const char *what)
{
    if (!check(p, TK_IDENT)) {
        error_at(p, p->cur.line, "expected a name for %s", what);
        return NULL;
    }
    rp_string *s = rp_string_new(p->cur.start, p->cur.len);
    advance(p);
    return s;
}

static rp_node *node(parser *p, rp_node_kind kind)
{
    return rp_ast_new(p->ar, kind, p->prev.line);
}

static rp_node *params(parser *p)
{
    rp_node *n = rp_ast_new(p->ar, N_PARAMS, p->cur.line);
    expect(p, TK_LPAREN, "the function name");
    if (!check(p, TK_RPAREN)) {
        do {
            rp_string *name = identifier(p, "a parameter");
            if (!name)
                return n;
            for (int i = 0; i < n->nkids; i++)
                if (n->kids[i]->name == name)
                    error_at(p, p->prev.line, "duplicate parameter '%s'", name->chars);
            rp_node *param = node(p, N_NAME);
            param->name = name;
            rp_ast_add(p->ar, n, param);
        } while (accept(p, TK_COMMA));
    }
    expect(p, TK_RPAREN, "the parameters");
    return n;
}

static rp_node *function_body(parser *p, rp_node *fn)
{
    fn->a = params(p);
    if (!check(p, TK_LBRACE)) {
        error_at(p, p->cur.line, "expected '{' to start the body of %s",
                 fn->name ? fn->name->chars : "a function");
        return fn;
    }
    fn->b = block(p);
    return fn;
}

static rp_node *list_literal(parser *p)
{
    rp_node *n = node(p, N_LIST);
    while (!check(p, TK_RBRACKET) && !p->failed) {
        rp_ast_add(p->ar, n, expression(p));
        if (!accept(p, TK_COMMA))
            break;
    }
    expect(p, TK_RBRACKET, "the list items");
    return n;
}

static rp_node *map_literal(parser *p)
{
    rp_node *n = node(p, N_MAP);
    while (!check(p, TK_RBRACE) && !p->failed) {
        rp_ast_add(p->ar, n, expression(p));
        expect(p, TK_COLON, "a map key");
        rp_ast_add(p->ar, n, expression(p));
        if (!accept(p, TK_COMMA))
            break;
    }
    expect(p, TK_RBRACE, "the map entries");
    return n;
}

static rp_node *primary(parser *p)
{
    rp_node *n;
    switch (p->cur.kind) {
    case TK_INT:
    case TK_FLOAT:
    case TK_STRING:
        advance(p);
        n = node(p, p->prev.kind == TK_INT ? N_INT : p->prev.kind == TK_FLOAT ? N_FLOAT : N_STR);
        n->lit = p->prev.lit;
        return n;
    case TK_TRUE:
        advance(p);
        return node(p, N_TRUE);
    case TK_FALSE:
        advance(p);
        return node(p, N_FALSE);
    case TK_NIL:
        advance(p);
        return node(p, N_NIL);
    case TK_IDENT:
        n = rp_ast_new(p->ar, N_NAME, p->cur.line);
        n->name = identifier(p, "a variable");
        return n;
    case TK_LPAREN:
        advance(p);
        n = expression(p);
        expect(p, TK_RPAREN, "the expression in parentheses");
        return n;
    case TK_LBRACKET:
        advance(p);
        return list_literal(p);
    case TK_LBRACE:
        advance(p);
        return map_literal(p);
    case TK_FN:
        advance(p);
        return function_body(p, node(p, N_FUNC));
    default:
        error_at(p, p->cur.line, "expected an expression, found %s", rp_tok_name(p->cur.kind));
        advance(p);
        return node(p, N_NIL);
    }
}

static rp_node *postfix(parser *p)
{
    rp_node *n = primary(p);
    while (!p->failed) {
        if (accept(p, TK_LPAREN)) {
            rp_node *call = node(p, N_CALL);
            call->a = n;
            while (!check(p, TK_RPAREN) && !p->failed) {
                rp_ast_add(p->ar, call, expression(p));
                if (!accept(p, TK_COMMA))
                    break;
            }
            expect(p, TK_RPAREN, "the arguments");
            if (call->nkids > 255)
                error_at(p, call->line, "too many arguments in a call to %s",
                         n->kind == N_NAME ? n->name->chars : "a function");
            n = call;
        } else if (accept(p, TK_LBRACKET)) {
            rp_node *index = node(p, N_INDEX);
            index->a = n;
            index->b = expression(p);
            expect(p, TK_RBRACKET, "the index");
            n = index;
        } else if (accept(p, TK_DOT)) {
            rp_node *field = node(p, N_FIELD);
            field->a = n;
            field->name = identifier(p, "a field");
            n = field;
        } else {
            break;
        }
    }
    return n;
}

static rp_node *unary(parser *p)
{
    if (check(p, TK_MINUS) || check(p, TK_BANG) || check(p, TK_NOT)) {
        advance(p);
        rp_node *n = node(p, N_UNARY);
        n->op = p->prev.kind == TK_MINUS ? TK_MINUS : TK_NOT;
        if (++p->depth > MAX_DEPTH)
            error_at(p, n->line, "expression nests too deeply%s", "");
        n->a = unary(p);
        p->depth--;
        return n;
    }
    return postfix(p);
}

/* One level of left-associative binary operators. */
static rp_node *binary(parser *p, rp_node *(*operand)(parser *), const rp_tok_kind *ops,
                       rp_node_kind kind)
{
    rp_node *n = operand(p);
    for (;;) {
        int matched = 0;
        for (const rp_tok_kind *op = ops; *op != TK_EOF; op++) {
            if (check(p, *op)) {
                matched = 1;
                break;
            }
        }
        if (!matched || p->failed)
            return n;
        advance(p);
        rp_node *bin = node(p, kind);
        bin->op = p->prev.kind;
        bin->a = n;
        bin->b = operand(p);
        n = bin;
    }
}

static rp_node *factor(parser *p)
{
    static const rp_tok_kind ops[] = {TK_STAR, TK_SLASH, TK_PERCENT, TK_EOF};
    return binary(p, unary, ops, N_BINARY);
}

static rp_node *term(parser *p)
{
    static const rp_tok_kind ops[] = {TK_PLUS, TK_MINUS, TK_EOF};
    return binary(p, factor, ops, N_BINARY);
}

static rp_node *comparison(parser *p)
{
    static const rp_tok_kind ops[] = {TK_LT, TK_LE, TK_GT, TK_GE, TK_EOF};
    return binary(p, term, ops, N_BINARY);
}

static rp_node *equality(parser *p)
{
    static const rp_tok_kind ops[] = {TK_EQ, TK_NE, TK_EOF};
    return binary(p, comparison, ops, N_BINARY);
}

static rp_node *logic_and(parser *p)
{
    static const rp_tok_kind ops[] = {TK_AND, TK_EOF};
    return binary(p, equality, ops, N_AND);
}

static rp_node *logic_or(parser *p)
{
    static const rp_tok_kind ops[] = {TK_OR, TK_EOF};
    return binary(p, logic_and, ops, N_OR);
}

static rp_node *expression(parser *p)
{
    if (++p->depth > MAX_DEPTH) {
        error_at(p, p->cur.line, "expression nests too deeply%s", "");
        p->depth--;
        return node(p, N_NIL);
    }
    rp_node *n = logic_or(p);
    if (check(p, TK_ASSIGN) || check(p, TK_PLUS_ASSIGN) || check(p, TK_MINUS_ASSIGN)) {
        advance(p);
        rp_node *assign = node(p, N_ASSIGN);
        assign->op = p->prev.kind;
        if (n->kind != N_NAME && n->kind != N_INDEX && n->kind != N_FIELD)
            error_at(p, assign->line, "cannot assign to %s", rp_ast_kind_name(n->kind));
        assign->a = n;
        assign->b = expression(p);
        n = assign;
    }
    p->depth--;
    return n;
}

static rp_node *block(parser *p)
{
    rp_node *n = rp_ast_new(p->ar, N_BLOCK, p->cur.line);
    expect(p, TK_LBRACE, "a statement");
    while (!check(p, TK_RBRACE) && !check(p, TK_EOF) && !p->failed)
        rp_ast_add(p->ar, n, statement(p));
    expect(p, TK_RBRACE, "the block");
    return n;
}

static rp_node *if_statement(parser *p)
{
    rp_node *n = node(p, N_IF);
    expect(p, TK_LPAREN, "'if'");
    n->a = expression(p);
    expect(p, TK_RPAREN, "the condition");
    n->b = block(p);
    if (accept(p, TK_ELSE)) {
        if (accept(p, TK_IF))
            n->c = if_statement(p);
        else
            n->c = block(p);
    }
    return n;
}

static rp_node *statement(parser *p)
{
    rp_node *n;
    if (++p->depth > MAX_DEPTH) {
        error_at(p, p->cur.line, "statements nest too deeply%s", "");
        p->depth--;
        return node(p, N_NIL);
    }
    switch (p->cur.kind) {
    case TK_LET:
        advance(p);
        n = node(p, N_LET);
        n->name = identifier(p, "'let'");
        if (accept(p, TK_ASSIGN))
            n->a = expression(p);
        expect_semicolon(p, "a declaration");
        break;
    case TK_FN:
        advance(p);
        if (check(p, TK_LPAREN)) {
            /* An anonymous function as an expression statement. */
            n = node(p, N_EXPR);
            n->a = function_body(p, node(p, N_FUNC));
            expect_semicolon(p, "an expression");
            break;
        }
        n = node(p, N_FNDEF);
        n->name = identifier(p, "'fn'");
        function_body(p, n);
        trace("function %s at line %d", n->name ? n->name->chars : "?", n->line);
        break;
    case TK_IF:
        advance(p);
        n = if_statement(p);
        break;
    case TK_WHILE:
        advance(p);
        n = node(p, N_WHILE);
        expect(p, TK_LPAREN, "'while'");
        n->a = expression(p);
        expect(p, TK_RPAREN, "the condition");
        n->b = block(p);
        break;
    case TK_FOR:
        advance(p);
        n = node(p, N_FOR);
        expect(p, TK_LPAREN, "'for'");
        n->name = identifier(p, "the loop variable");
        expect(p, TK_IN, "the loop variable");
        n->a = expression(p);
        expect(p, TK_RPAREN, "the iterated expression");
        n->b = block(p);
        break;
    case TK_RETURN:
        advance(p);
        n = node(p, N_RETURN);
        if (!check(p, TK_SEMI))
            n->a = expression(p);
        expect_semicolon(p, "'return'");
        break;
    case TK_BREAK:
    case TK_CONTINUE:
        advance(p);
        n = node(p, p->prev.kind == TK_BREAK ? N_BREAK : N_CONTINUE);
        expect_semicolon(p, p->prev.kind == TK_BREAK ? "'break'" : "'continue'");
        break;
    case TK_LBRACE:
        n = block(p);
        break;
    default:
        n = rp_ast_new(p->ar, N_EXPR, p->cur.line);
        n->a = expression(p);
        expect_semicolon(p, "an expression");
        break;
    }
    p->depth--;
    return n;
}

/* The tree of a whole program, or NULL after a syntax error (reported in
   ctx). The tree's nodes live in ar. */
rp_node *rp_parse_program(rp_ctx *ctx, rp_arena *ar, const char *src)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    p.ar = ar;
    rp_lex_init(&p.lx, ctx, src);
    advance(&p);
    rp_node *program = rp_ast_new(ar, N_PROGRAM, 1);
    while (!check(&p, TK_EOF) && !p.failed)
        rp_ast_add(ar, program, statement(&p));
    rp_lex_free(&p.lx);
    trace("program of %d statements", program->nkids);
    if (p.failed || ctx->err != RP_ERR_NONE)
        return NULL;
    return program;
}
