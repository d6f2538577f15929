/*
 * rp_opcodes.h: the instruction set of the rp virtual machine, as an
 * X-macro: RP_OPCODES(X) expands X(name, operand bytes) once per opcode.
 * Operands are little-endian; jumps are 16-bit offsets from the end of the
 * instruction, forward for JUMP, JUMP_IF_FALSE, AND, OR and FOR_NEXT,
 * backward for LOOP.
 */
#ifndef RP_OPCODES_H
#define RP_OPCODES_H

#define RP_OPCODES(X)                                                        \
    X(CONST, 2)         /* push constant u16 */                              \
    X(SMALLINT, 1)      /* push the signed byte as an integer */             \
    X(NIL, 0)                                                                \
    X(TRUE, 0)                                                               \
    X(FALSE, 0)                                                              \
    X(POP, 0)                                                                \
    X(DUP, 0)                                                                \
    X(DUP2, 0)          /* a b -> a b a b */                                 \
    X(GET_LOCAL, 1)                                                          \
    X(SET_LOCAL, 1)     /* leaves the value */                               \
    X(GET_GLOBAL, 2)    /* name constant */                                  \
    X(SET_GLOBAL, 2)    /* leaves the value; the global must exist */        \
    X(DEF_GLOBAL, 2)    /* pops the value */                                 \
    X(ADD, 0)                                                                \
    X(SUB, 0)                                                                \
    X(MUL, 0)                                                                \
    X(DIV, 0)                                                                \
    X(MOD, 0)                                                                \
    X(NEG, 0)                                                                \
    X(NOT, 0)                                                                \
    X(EQ, 0)                                                                 \
    X(NE, 0)                                                                 \
    X(LT, 0)                                                                 \
    X(LE, 0)                                                                 \
    X(GT, 0)                                                                 \
    X(GE, 0)                                                                 \
    X(JUMP, 2)                                                               \
    X(JUMP_IF_FALSE, 2) /* pops the condition */                             \
    X(AND, 2)           /* falsy: jump and keep it; else pop */              \
    X(OR, 2)            /* truthy: jump and keep it; else pop */             \
    X(LOOP, 2)                                                               \
    X(CALL, 1)          /* argument count */                                 \
    X(RETURN, 0)                                                             \
    X(LIST, 2)          /* item count */                                     \
    X(MAP, 2)           /* pair count */                                     \
    X(INDEX_GET, 0)     /* obj key -> value */                               \
    X(INDEX_SET, 0)     /* obj key value -> value */                         \
    X(FIELD_GET, 2)     /* obj -> obj[name constant] */                      \
    X(FIELD_SET, 2)     /* obj value -> value */                             \
    X(FOR_NEXT, 3)      /* u8 slot of the iterated value, u16 exit */

enum rp_opcode {
#define RP_OP_ENUM(name, operands) RP_OP_##name,
    RP_OPCODES(RP_OP_ENUM)
#undef RP_OP_ENUM
    RP_OP_COUNT
};

#endif
