/*
 * rp_compile.c: syntax tree to bytecode. Each function gets a chunk; the
 * whole program is compiled as a function "<script>" whose top-level "let"
 * and "fn" define globals. Inside functions (and inside blocks of the
 * script) "let" makes a local that lives in a stack slot until the end of
 * its block. Functions cannot see the locals of the functions around them:
 * a name that is not a local of the current function is a global.
 *
 * The compiler tracks how deep the value stack gets in each function, so
 * that the VM can check for room once per call.
 */
#include "rp_int.h"

#include <stdlib.h>
#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_COMPILE))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("compile", fmt, ap);
    va_end(ap);
}

RP_MODULE("compile");

#define MAX_BREAKS 64

typedef struct local {
    rp_string *name; /* NULL for the hidden slots of the compiler */
    int depth;
} local;

typedef struct loop {
    struct loop *outer;
    size_t start;      /* where "continue" jumps */
    int locals_at_top; /* locals that survive an iteration */
    size_t breaks[MAX_BREAKS];
    int nbreaks;
} loop;

typedef struct fnstate {
    struct fnstate *enclosing;
    rp_func *fn;
    local locals[RP_LOCALS_MAX];
    int nlocals;
    int depth;
    int stack, max_stack;
    loop *loop;
    int is_script;
} fnstate;

typedef struct compiler {
    rp_ctx *ctx;
    fnstate *fs;
    int failed;
} compiler;

static void compile_expr(compiler *c, rp_node *n);
static void compile_stmt(compiler *c, rp_node *n);

static void fail(compiler *c, int line, const char *message, const char *arg)
{
    if (c->failed)
        return;
    c->failed = 1;
    rp_error_at(c->ctx, RP_ERR_SYNTAX, line, message, arg);
}

static rp_chunk *chunk(compiler *c)
{
    return &c->fs->fn->chunk;
}

/* The change of the stack depth by each opcode, for the fall-through path
   (operands that vary are handled by emit_sized). */
static int stack_effect(int op)
{
    switch (op) {
    case RP_OP_CONST:
    case RP_OP_SMALLINT:
    case RP_OP_NIL:
    case RP_OP_TRUE:
    case RP_OP_FALSE:
    case RP_OP_DUP:
    case RP_OP_GET_LOCAL:
    case RP_OP_GET_GLOBAL:
    case RP_OP_FOR_NEXT:
        return 1;
    case RP_OP_DUP2:
        return 2;
    case RP_OP_POP:
    case RP_OP_DEF_GLOBAL:
    case RP_OP_ADD:
    case RP_OP_SUB:
    case RP_OP_MUL:
    case RP_OP_DIV:
    case RP_OP_MOD:
    case RP_OP_EQ:
    case RP_OP_NE:
    case RP_OP_LT:
    case RP_OP_LE:
    case RP_OP_GT:
    case RP_OP_GE:
    case RP_OP_JUMP_IF_FALSE:
    case RP_OP_AND:
    case RP_OP_OR:
    case RP_OP_RETURN:
    case RP_OP_INDEX_GET:
    case RP_OP_FIELD_SET:
        return -1;
    case RP_OP_INDEX_SET:
        return -2;
    default:
        return 0;
    }
}

static void adjust(compiler *c, int delta)
{
    fnstate *fs = c->fs;
    fs->stack += delta;
    if (fs->stack > fs->max_stack)
        fs->max_stack = fs->stack;
}

static void emit_byte(compiler *c, uint8_t byte, int line)
{
    rp_chunk_write(chunk(c), byte, line);
}

static void emit_op(compiler *c, int op, int line)
{
    emit_byte(c, (uint8_t)op, line);
    adjust(c, stack_effect(op));
}

static void emit_u16(compiler *c, unsigned v, int line)
{
    emit_byte(c, (uint8_t)(v & 0xff), line);
    emit_byte(c, (uint8_t)(v >> 8), line);
}

static void emit_op_u8(compiler *c, int op, unsigned arg, int line)
{
    emit_op(c, op, line);
    emit_byte(c, (uint8_t)arg, line);
}

static void emit_op_u16(compiler *c, int op, unsigned arg, int line)
{
    emit_op(c, op, line);
    emit_u16(c, arg, line);
}

static unsigned constant(compiler *c, rp_value v, int line)
{
    int k = rp_chunk_const(chunk(c), v);
    if (k < 0) {
        fail(c, line, "too many constants in %s", c->fs->fn->name->chars);
        return 0;
    }
    return (unsigned)k;
}

static void emit_const(compiler *c, rp_value v, int line)
{
    emit_op_u16(c, RP_OP_CONST, constant(c, v, line), line);
}

static size_t emit_jump(compiler *c, int op, int line)
{
    emit_op(c, op, line);
    emit_u16(c, 0xffff, line);
    return chunk(c)->len - 2;
}

static void patch_jump(compiler *c, size_t at, int line)
{
    size_t distance = chunk(c)->len - (at + 2);
    if (distance > 0xffff) {
        fail(c, line, "jump too long in %s", c->fs->fn->name->chars);
        return;
    }
    chunk(c)->code[at] = (uint8_t)(distance & 0xff);
    chunk(c)->code[at + 1] = (uint8_t)(distance >> 8);
}

static void emit_loop(compiler *c, size_t start, int line)
{
    emit_op(c, RP_OP_LOOP, line);
    size_t distance = chunk(c)->len + 2 - start;
    if (distance > 0xffff) {
        fail(c, line, "loop body too long in %s", c->fs->fn->name->chars);
        distance = 0;
    }
    emit_u16(c, (unsigned)distance, line);
}

static void begin_scope(compiler *c)
{
    c->fs->depth++;
}

static void end_scope(compiler *c, int line)
{
    fnstate *fs = c->fs;
    fs->depth--;
    while (fs->nlocals > 0 && fs->locals[fs->nlocals - 1].depth > fs->depth) {
        emit_op(c, RP_OP_POP, line);
        fs->nlocals--;
    }
}

/* Declares a local for the value on top of the stack. */
static int declare_local(compiler *c, rp_string *name, int line)
{
    fnstate *fs = c->fs;
    if (name) {
        for (int i = fs->nlocals - 1; i >= 0 && fs->locals[i].depth == fs->depth; i--)
            if (fs->locals[i].name == name) {
                fail(c, line, "'%s' is already defined in this block", name->chars);
                return 0;
            }
    }
    if (fs->nlocals == RP_LOCALS_MAX) {
        fail(c, line, "too many local variables in %s", fs->fn->name->chars);
        return 0;
    }
    fs->locals[fs->nlocals].name = name;
    fs->locals[fs->nlocals].depth = fs->depth;
    return fs->nlocals++;
}

static int resolve_local(const fnstate *fs, const rp_string *name)
{
    for (int i = fs->nlocals - 1; i >= 0; i--)
        if (fs->locals[i].name == name)
            return i;
    return -1;
}

static int defines_globals(const compiler *c)
{
    return c->fs->is_script && c->fs->depth == 0;
}

static rp_func *compile_function(compiler *c, rp_node *n, rp_string *name)
{
    fnstate fs;
    memset(&fs, 0, sizeof fs);
    fs.enclosing = c->fs;
    fs.fn = rp_func_new(name ? name : rp_string_cstr("anonymous"), n->a->nkids);
    if (n->a->nkids > 200) {
        fail(c, n->line, "too many parameters in %s", fs.fn->name->chars);
        return fs.fn;
    }
    c->fs = &fs;
    fs.depth = 1;
    declare_local(c, NULL, n->line); /* slot 0: the function itself */
    for (int i = 0; i < n->a->nkids; i++)
        declare_local(c, n->a->kids[i]->name, n->a->kids[i]->line);
    fs.stack = fs.max_stack = fs.nlocals;
    for (int i = 0; i < n->b->nkids && !c->failed; i++)
        compile_stmt(c, n->b->kids[i]);
    emit_op(c, RP_OP_NIL, n->line);
    emit_op(c, RP_OP_RETURN, n->line);
    fs.fn->max_slots = fs.max_stack + 1;
    c->fs = fs.enclosing;
    trace("function %s: %zu bytes of code, %d stack slots", fs.fn->name->chars,
          fs.fn->chunk.len, fs.fn->max_slots);
    return fs.fn;
}

static int binary_opcode(rp_tok_kind op)
{
    switch (op) {
    case TK_PLUS:
    case TK_PLUS_ASSIGN:
        return RP_OP_ADD;
    case TK_MINUS:
    case TK_MINUS_ASSIGN:
        return RP_OP_SUB;
    case TK_STAR:
        return RP_OP_MUL;
    case TK_SLASH:
        return RP_OP_DIV;
    case TK_PERCENT:
        return RP_OP_MOD;
    case TK_EQ:
        return RP_OP_EQ;
    case TK_NE:
        return RP_OP_NE;
    case TK_LT:
        return RP_OP_LT;
    case TK_LE:
        return RP_OP_LE;
    case TK_GT:
        return RP_OP_GT;
    case TK_GE:
        return RP_OP_GE;
    default:
        return -1;
    }
}

static void compile_name_get(compiler *c, rp_string *name, int line)
{
    int slot = resolve_local(c->fs, name);
    if (slot >= 0)
        emit_op_u8(c, RP_OP_GET_LOCAL, (unsigned)slot, line);
    else
        emit_op_u16(c, RP_OP_GET_GLOBAL, constant(c, rp_objval(name), line), line);
}

static void compile_name_set(compiler *c, rp_string *name, int line)
{
    int slot = resolve_local(c->fs, name);
    if (slot >= 0)
        emit_op_u8(c, RP_OP_SET_LOCAL, (unsigned)slot, line);
    else
        emit_op_u16(c, RP_OP_SET_GLOBAL, constant(c, rp_objval(name), line), line);
}

static void compile_assign(compiler *c, rp_node *n)
{
    rp_node *target = n->a;
    int compound = n->op != TK_ASSIGN;
    int op = compound ? binary_opcode(n->op) : -1;
    switch (target->kind) {
    case N_NAME:
        if (compound)
            compile_name_get(c, target->name, n->line);
        compile_expr(c, n->b);
        if (compound)
            emit_op(c, op, n->line);
        compile_name_set(c, target->name, n->line);
        return;
    case N_INDEX:
        compile_expr(c, target->a);
        compile_expr(c, target->b);
        if (compound) {
            emit_op(c, RP_OP_DUP2, n->line);
            emit_op(c, RP_OP_INDEX_GET, n->line);
        }
        compile_expr(c, n->b);
        if (compound)
            emit_op(c, op, n->line);
        emit_op(c, RP_OP_INDEX_SET, n->line);
        return;
    case N_FIELD: {
        unsigned k = constant(c, rp_objval(target->name), n->line);
        compile_expr(c, target->a);
        if (compound) {
            emit_op(c, RP_OP_DUP, n->line);
            emit_op_u16(c, RP_OP_FIELD_GET, k, n->line);
        }
        compile_expr(c, n->b);
        if (compound)
            emit_op(c, op, n->line);
        emit_op_u16(c, RP_OP_FIELD_SET, k, n->line);
        return;
    }
    default:
        fail(c, n->line, "cannot assign to %s", rp_ast_kind_name(target->kind));
        return;
    }
}

static void compile_expr(compiler *c, rp_node *n)
{
    if (c->failed)
        return;
    switch (n->kind) {
    case N_INT:
        if (n->lit.u.i >= -128 && n->lit.u.i <= 127)
            emit_op_u8(c, RP_OP_SMALLINT, (unsigned)(uint8_t)(int8_t)n->lit.u.i, n->line);
        else
            emit_const(c, n->lit, n->line);
        return;
    case N_FLOAT:
    case N_STR:
        emit_const(c, n->lit, n->line);
        return;
    case N_TRUE:
        emit_op(c, RP_OP_TRUE, n->line);
        return;
    case N_FALSE:
        emit_op(c, RP_OP_FALSE, n->line);
        return;
    case N_NIL:
        emit_op(c, RP_OP_NIL, n->line);
        return;
    case N_NAME:
        compile_name_get(c, n->name, n->line);
        return;
    case N_LIST:
        if (n->nkids > 0xffff) {
            fail(c, n->line, "too many items in a list literal%s", "");
            return;
        }
        for (int i = 0; i < n->nkids; i++)
            compile_expr(c, n->kids[i]);
        emit_op_u16(c, RP_OP_LIST, (unsigned)n->nkids, n->line);
        adjust(c, 1 - n->nkids);
        return;
    case N_MAP:
        for (int i = 0; i < n->nkids; i++)
            compile_expr(c, n->kids[i]);
        emit_op_u16(c, RP_OP_MAP, (unsigned)n->nkids / 2, n->line);
        adjust(c, 1 - n->nkids);
        return;
    case N_FUNC:
        emit_const(c, rp_objval(compile_function(c, n, NULL)), n->line);
        return;
    case N_UNARY:
        compile_expr(c, n->a);
        emit_op(c, n->op == TK_MINUS ? RP_OP_NEG : RP_OP_NOT, n->line);
        return;
    case N_BINARY:
        compile_expr(c, n->a);
        compile_expr(c, n->b);
        emit_op(c, binary_opcode(n->op), n->line);
        return;
    case N_AND:
    case N_OR: {
        compile_expr(c, n->a);
        size_t skip = emit_jump(c, n->kind == N_AND ? RP_OP_AND : RP_OP_OR, n->line);
        compile_expr(c, n->b);
        patch_jump(c, skip, n->line);
        return;
    }
    case N_ASSIGN:
        compile_assign(c, n);
        return;
    case N_CALL:
        compile_expr(c, n->a);
        for (int i = 0; i < n->nkids; i++)
            compile_expr(c, n->kids[i]);
        emit_op_u8(c, RP_OP_CALL, (unsigned)n->nkids, n->line);
        adjust(c, -n->nkids);
        return;
    case N_INDEX:
        compile_expr(c, n->a);
        compile_expr(c, n->b);
        emit_op(c, RP_OP_INDEX_GET, n->line);
        return;
    case N_FIELD:
        compile_expr(c, n->a);
        emit_op_u16(c, RP_OP_FIELD_GET, constant(c, rp_objval(n->name), n->line), n->line);
        return;
    default:
        fail(c, n->line, "%s is not an expression", rp_ast_kind_name(n->kind));
        return;
    }
}

static void compile_block(compiler *c, rp_node *n)
{
    begin_scope(c);
    for (int i = 0; i < n->nkids && !c->failed; i++)
        compile_stmt(c, n->kids[i]);
    end_scope(c, n->line);
}

/* Pops the locals a jump out of the loop body leaves behind, without
   forgetting them (the code after the jump still has them). */
static void pop_locals_above(compiler *c, int keep, int line)
{
    int saved = c->fs->stack;
    for (int i = c->fs->nlocals; i > keep; i--)
        emit_op(c, RP_OP_POP, line);
    c->fs->stack = saved;
}

static void compile_loop_exit(compiler *c, rp_node *n)
{
    loop *lp = c->fs->loop;
    const char *word = n->kind == N_BREAK ? "break" : "continue";
    if (!lp) {
#ifdef HCR_EDIT
        fail(c, n->line, "%s is only valid inside a loop", word);
#else
        fail(c, n->line, "'%s' outside a loop", word);
#endif
        return;
    }
    pop_locals_above(c, lp->locals_at_top, n->line);
    if (n->kind == N_CONTINUE) {
        emit_loop(c, lp->start, n->line);
        return;
    }
    if (lp->nbreaks == MAX_BREAKS) {
        fail(c, n->line, "too many '%s' statements in one loop", word);
        return;
    }
    lp->breaks[lp->nbreaks++] = emit_jump(c, RP_OP_JUMP, n->line);
}

static void finish_loop(compiler *c, loop *lp, int line)
{
    for (int i = 0; i < lp->nbreaks; i++)
        patch_jump(c, lp->breaks[i], line);
    c->fs->loop = lp->outer;
}

static void compile_while(compiler *c, rp_node *n)
{
    loop lp = {.outer = c->fs->loop, .start = chunk(c)->len, .locals_at_top = c->fs->nlocals};
    compile_expr(c, n->a);
    size_t exit = emit_jump(c, RP_OP_JUMP_IF_FALSE, n->line);
    c->fs->loop = &lp;
    compile_block(c, n->b);
    emit_loop(c, lp.start, n->line);
    patch_jump(c, exit, n->line);
    finish_loop(c, &lp, n->line);
}

static void compile_for(compiler *c, rp_node *n)
{
    begin_scope(c);
    compile_expr(c, n->a);
    int slot = declare_local(c, NULL, n->line); /* the iterated value */
    emit_op_u8(c, RP_OP_SMALLINT, 0, n->line);
    declare_local(c, NULL, n->line); /* the position */
    if (slot > 250) {
        fail(c, n->line, "too many local variables around a for loop%s", "");
        return;
    }
    loop lp = {.outer = c->fs->loop, .start = chunk(c)->len, .locals_at_top = c->fs->nlocals};
    emit_op_u8(c, RP_OP_FOR_NEXT, (unsigned)slot, n->line);
    emit_u16(c, 0xffff, n->line);
    size_t exit = chunk(c)->len - 2;
    c->fs->loop = &lp;
    begin_scope(c);
    declare_local(c, n->name, n->line);
    for (int i = 0; i < n->b->nkids && !c->failed; i++)
        compile_stmt(c, n->b->kids[i]);
    end_scope(c, n->line);
    emit_loop(c, lp.start, n->line);
    patch_jump(c, exit, n->line);
    finish_loop(c, &lp, n->line);
    end_scope(c, n->line);
}

static void compile_stmt(compiler *c, rp_node *n)
{
    if (c->failed)
        return;
    switch (n->kind) {
    case N_EXPR:
        compile_expr(c, n->a);
        emit_op(c, RP_OP_POP, n->line);
        return;
    case N_LET:
        if (n->a)
            compile_expr(c, n->a);
        else
            emit_op(c, RP_OP_NIL, n->line);
        if (defines_globals(c))
            emit_op_u16(c, RP_OP_DEF_GLOBAL, constant(c, rp_objval(n->name), n->line), n->line);
        else
            declare_local(c, n->name, n->line);
        return;
    case N_FNDEF: {
        rp_func *fn = compile_function(c, n, n->name);
        emit_const(c, rp_objval(fn), n->line);
        if (defines_globals(c))
            emit_op_u16(c, RP_OP_DEF_GLOBAL, constant(c, rp_objval(n->name), n->line), n->line);
        else
            declare_local(c, n->name, n->line);
        return;
    }
    case N_IF: {
        compile_expr(c, n->a);
        size_t to_else = emit_jump(c, RP_OP_JUMP_IF_FALSE, n->line);
        compile_block(c, n->b);
        if (!n->c) {
            patch_jump(c, to_else, n->line);
            return;
        }
        size_t to_end = emit_jump(c, RP_OP_JUMP, n->line);
        patch_jump(c, to_else, n->line);
        if (n->c->kind == N_IF)
            compile_stmt(c, n->c);
        else
            compile_block(c, n->c);
        patch_jump(c, to_end, n->line);
        return;
    }
    case N_WHILE:
        compile_while(c, n);
        return;
    case N_FOR:
        compile_for(c, n);
        return;
    case N_RETURN:
        if (n->a)
            compile_expr(c, n->a);
        else
            emit_op(c, RP_OP_NIL, n->line);
        emit_op(c, RP_OP_RETURN, n->line);
        return;
    case N_BREAK:
    case N_CONTINUE:
        compile_loop_exit(c, n);
        return;
    case N_BLOCK:
        compile_block(c, n);
        return;
    default:
        compile_expr(c, n);
        emit_op(c, RP_OP_POP, n->line);
        return;
    }
}

/* Compiles a whole program into a function of no arguments, or NULL after
   an error (reported in ctx). */
rp_func *rp_compile(rp_ctx *ctx, const char *src)
{
    rp_arena arena;
    rp_arena_init(&arena);
    rp_node *program = rp_parse_program(ctx, &arena, src);
    if (!program) {
        rp_arena_free(&arena);
        return NULL;
    }
    rp_fold_tree(ctx, program);
    compiler c = {ctx, NULL, 0};
    fnstate *fs = calloc(1, sizeof *fs);
    if (!fs)
        abort();
    fs->fn = rp_func_new(rp_string_cstr("<script>"), 0);
    fs->is_script = 1;
    c.fs = fs;
    declare_local(&c, NULL, 1);
    fs->stack = fs->max_stack = 1;
    for (int i = 0; i < program->nkids && !c.failed; i++)
        compile_stmt(&c, program->kids[i]);
    emit_op(&c, RP_OP_NIL, 0);
    emit_op(&c, RP_OP_RETURN, 0);
    rp_func *script = fs->fn;
    script->max_slots = fs->max_stack + 1;
    trace("script: %d syntax nodes, %zu bytes of code", rp_ast_count(program),
          script->chunk.len);
    free(fs);
    rp_arena_free(&arena);
    return c.failed ? NULL : script;
}
