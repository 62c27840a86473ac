/* A stack-machine bytecode interpreter. The opcode numbering is imported, as is the trip
 * count ITERS of the loop that the bytecode program runs; the program is assembled at the
 * start of run() from the imported opcodes, and dispatch is a chain of comparisons
 * against them (with constants, the compiler may turn the chain into a jump table). */
#include "params.h"

PARAM_DECLARE(OP_HALT)
PARAM_DECLARE(OP_PUSH)
PARAM_DECLARE(OP_LOAD)
PARAM_DECLARE(OP_STORE)
PARAM_DECLARE(OP_ADD)
PARAM_DECLARE(OP_SUB)
PARAM_DECLARE(OP_MUL)
PARAM_DECLARE(OP_XOR)
PARAM_DECLARE(OP_SHR)
PARAM_DECLARE(OP_DUP)
PARAM_DECLARE(OP_JNZ)
PARAM_DECLARE(ITERS)

#define MAX_CODE 256
#define STACK 64

static int code[MAX_CODE];
static int code_len;

static void emit(int op) {
    if (code_len >= MAX_CODE) __builtin_trap();
    code[code_len++] = op;
}

static void emit1(int op, int operand) {
    emit(op);
    emit(operand);
}

/* acc = 1; i = ITERS;
 * do { acc = ((acc * i) ^ 0x9e3779b9) + (acc >> 7); t = i - 1; u = t * 3 + acc;
 *      acc = acc ^ (u >> 3); i = t; } while (i != 0);
 * return acc; */
static void assemble(void) {
    code_len = 0;
    emit1(PARAM(OP_PUSH), 1);
    emit1(PARAM(OP_STORE), 0);
    emit1(PARAM(OP_PUSH), PARAM(ITERS));
    emit1(PARAM(OP_STORE), 1);
    int loop = code_len;
    emit1(PARAM(OP_LOAD), 0);
    emit1(PARAM(OP_LOAD), 1);
    emit(PARAM(OP_MUL));
    emit1(PARAM(OP_PUSH), (int)0x9e3779b9);
    emit(PARAM(OP_XOR));
    emit1(PARAM(OP_LOAD), 0);
    emit1(PARAM(OP_PUSH), 7);
    emit(PARAM(OP_SHR));
    emit(PARAM(OP_ADD));
    emit1(PARAM(OP_STORE), 0);
    emit1(PARAM(OP_LOAD), 1);
    emit1(PARAM(OP_PUSH), 1);
    emit(PARAM(OP_SUB));
    emit(PARAM(OP_DUP));
    emit1(PARAM(OP_PUSH), 3);
    emit(PARAM(OP_MUL));
    emit1(PARAM(OP_LOAD), 0);
    emit(PARAM(OP_ADD));
    emit1(PARAM(OP_PUSH), 3);
    emit(PARAM(OP_SHR));
    emit1(PARAM(OP_LOAD), 0);
    emit(PARAM(OP_XOR));
    emit1(PARAM(OP_STORE), 0);
    emit(PARAM(OP_DUP));
    emit1(PARAM(OP_STORE), 1);
    emit1(PARAM(OP_JNZ), loop);
    emit1(PARAM(OP_LOAD), 0);
    emit(PARAM(OP_HALT));
}

static u32 execute(void) {
    u32 stack[STACK];
    u32 vars[4] = {0, 0, 0, 0};
    int sp = 0, pc = 0;
    for (;;) {
        int op = code[pc++];
        if (op == PARAM(OP_PUSH)) {
            stack[sp++] = (u32)code[pc++];
        } else if (op == PARAM(OP_LOAD)) {
            stack[sp++] = vars[code[pc++] & 3];
        } else if (op == PARAM(OP_STORE)) {
            vars[code[pc++] & 3] = stack[--sp];
        } else if (op == PARAM(OP_ADD)) {
            sp--;
            stack[sp - 1] += stack[sp];
        } else if (op == PARAM(OP_SUB)) {
            sp--;
            stack[sp - 1] -= stack[sp];
        } else if (op == PARAM(OP_MUL)) {
            sp--;
            stack[sp - 1] *= stack[sp];
        } else if (op == PARAM(OP_XOR)) {
            sp--;
            stack[sp - 1] ^= stack[sp];
        } else if (op == PARAM(OP_SHR)) {
            sp--;
            stack[sp - 1] >>= stack[sp] & 31;
        } else if (op == PARAM(OP_DUP)) {
            stack[sp] = stack[sp - 1];
            sp++;
        } else if (op == PARAM(OP_JNZ)) {
            int target = code[pc++];
            if (stack[--sp] != 0) pc = target;
        } else if (op == PARAM(OP_HALT)) {
            return stack[sp - 1];
        } else {
            __builtin_trap();
        }
        if (sp < 0 || sp >= STACK) __builtin_trap();
    }
}

i64 run(void) {
    assemble();
    return (i64)mix(CHECKSUM_SEED, execute());
}
