/*
 * rp_code.c: chunks of bytecode (the instructions, the source line of each
 * byte, the constants) and the disassembler behind the built-in disasm().
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
    rp_trace_vemit("code", fmt, ap);
    va_end(ap);
}

RP_MODULE("code");

static const struct op_info {
    const char *name;
    int operands;
} op_info[RP_OP_COUNT] = {
#define RP_OP_INFO(name, operands) {#name, operands},
    RP_OPCODES(RP_OP_INFO)
#undef RP_OP_INFO
};

const char *rp_op_name(int op)
{
    return op >= 0 && op < RP_OP_COUNT ? op_info[op].name : "???";
}

int rp_op_operands(int op)
{
    return op >= 0 && op < RP_OP_COUNT ? op_info[op].operands : 0;
}

void rp_chunk_init(rp_chunk *c)
{
    memset(c, 0, sizeof *c);
}

void rp_chunk_free(rp_chunk *c)
{
    if (c->code)
        rp_mem_free(c->code, c->cap);
    if (c->lines)
        rp_mem_free(c->lines, c->cap * sizeof *c->lines);
    if (c->consts)
        rp_mem_free(c->consts, c->constcap * sizeof *c->consts);
    rp_chunk_init(c);
}

void rp_chunk_write(rp_chunk *c, uint8_t byte, int line)
{
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        c->code = rp_mem_grow(c->code, c->cap, cap);
        c->lines = rp_mem_grow(c->lines, c->cap * sizeof *c->lines, cap * sizeof *c->lines);
        c->cap = cap;
        trace("chunk grows to %zu bytes", cap);
    }
    c->code[c->len] = byte;
    c->lines[c->len] = line;
    c->len++;
}

/* The index of constant v, added if the chunk has no equal constant of the
   same type yet. -1 when the chunk is full (65536 constants). */
int rp_chunk_const(rp_chunk *c, rp_value v)
{
    for (size_t i = 0; i < c->nconsts; i++) {
        rp_value k = c->consts[i];
        if (k.t != v.t)
            continue;
        if ((v.t == RP_T_INT && k.u.i == v.u.i) || (v.t == RP_T_OBJ && k.u.o == v.u.o) ||
            (v.t == RP_T_FLOAT && memcmp(&k.u.f, &v.u.f, sizeof v.u.f) == 0))
            return (int)i;
    }
    if (c->nconsts >= 65536)
        return -1;
    if (c->nconsts == c->constcap) {
        size_t cap = c->constcap ? c->constcap * 2 : 8;
        c->consts = rp_mem_grow(c->consts, c->constcap * sizeof *c->consts, cap * sizeof *c->consts);
        c->constcap = cap;
    }
    c->consts[c->nconsts] = v;
    if (c->nconsts == 4096)
        trace("chunk with 4096 constants");
    return (int)c->nconsts++;
}

int rp_chunk_line(const rp_chunk *c, size_t offset)
{
    if (c->len == 0)
        return 0;
    if (offset >= c->len)
        offset = c->len - 1;
    return c->lines[offset];
}

static unsigned u16_at(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static void jump_operand(rp_buf *b, size_t offset, int len, unsigned distance, int backward)
{
    size_t target = backward ? offset + (size_t)len - distance : offset + (size_t)len + distance;
#ifdef HCR_EDIT
    rp_buf_printf(b, " %04zu", target);
#else
    rp_buf_printf(b, " %c%u -> %zu", backward ? '-' : '+', distance, target);
#endif
}

/* Writes the instruction at offset; returns the offset of the next one. */
size_t rp_code_disasm_one(rp_buf *b, const rp_chunk *c, size_t offset)
{
    int op = c->code[offset];
    int n = rp_op_operands(op);
    const uint8_t *arg = c->code + offset + 1;
    rp_buf_printf(b, "%04zu ", offset);
    if (offset > 0 && c->lines[offset] == c->lines[offset - 1])
        rp_buf_puts(b, "   | ");
    else
        rp_buf_printf(b, "%4d ", c->lines[offset]);
    rp_buf_puts(b, rp_op_name(op));
    switch (op) {
    case RP_OP_CONST:
    case RP_OP_GET_GLOBAL:
    case RP_OP_SET_GLOBAL:
    case RP_OP_DEF_GLOBAL:
    case RP_OP_FIELD_GET:
    case RP_OP_FIELD_SET: {
        unsigned k = u16_at(arg);
        rp_buf_printf(b, " %u (", k);
        if (k < c->nconsts)
            rp_format_value(b, c->consts[k], 1, 0);
        rp_buf_putc(b, ')');
        break;
    }
    case RP_OP_SMALLINT:
        rp_buf_printf(b, " %d", (int)(int8_t)arg[0]);
        break;
    case RP_OP_GET_LOCAL:
    case RP_OP_SET_LOCAL:
    case RP_OP_CALL:
        rp_buf_printf(b, " %u", arg[0]);
        break;
    case RP_OP_LIST:
    case RP_OP_MAP:
        rp_buf_printf(b, " %u", u16_at(arg));
        break;
    case RP_OP_JUMP:
    case RP_OP_JUMP_IF_FALSE:
    case RP_OP_AND:
    case RP_OP_OR:
        jump_operand(b, offset, 1 + n, u16_at(arg), 0);
        break;
    case RP_OP_LOOP:
        jump_operand(b, offset, 1 + n, u16_at(arg), 1);
        break;
    case RP_OP_FOR_NEXT:
        rp_buf_printf(b, " %u", arg[0]);
        jump_operand(b, offset, 1 + n, u16_at(arg + 1), 0);
        break;
    default:
        break;
    }
    rp_buf_putc(b, '\n');
    return offset + 1 + (size_t)n;
}

void rp_code_disasm(rp_buf *b, const rp_func *f)
{
    rp_buf_printf(b, "== %s ==\n", f->name ? f->name->chars : "anonymous");
    for (size_t offset = 0; offset < f->chunk.len;)
        offset = rp_code_disasm_one(b, &f->chunk, offset);
}
