//! A pass over a finished function: heap accesses at `zext(x + C)` become accesses at
//! `zext(x)` with `C` added to the displacement, when `x + C` provably does not wrap.
//!
//! [`FuncEnvironment::heap_address`](crate::env::FuncEnvironment::heap_address) does the
//! same fold while translating, but there it cannot see through loop variables: a loop
//! header's back edges are not built yet when its body is translated. Here the whole
//! control-flow graph is known, so a counted loop's bound (`i < 1024` on the back edge)
//! bounds its induction variable, and `i * 24 + 16` — a preimported field offset added
//! to a record address — can move into the load as it would in hand-written code.

use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::flowgraph::ControlFlowGraph;
use cranelift_codegen::ir::{
    Function, Inst, InstBuilder, InstructionData, Opcode, Value, ValueDef,
};

use super::consts;
use crate::traps::trap_code;
use stagec_environ::TrapKind;

/// One access to rewrite: its new index (zero-extended into the address) and the
/// constant that moves into its displacement.
struct Fold {
    access: Inst,
    base: Value,
    index: Value,
    displacement: i32,
}

/// Folds the non-wrapping constant parts of heap-access indices into displacements.
/// Returns the number of accesses rewritten.
pub(crate) fn fold_heap_offsets(func: &mut Function) -> usize {
    let cfg = ControlFlowGraph::with_function(func);
    let heap_trap = Some(trap_code(TrapKind::MemoryOutOfBounds));
    let mut folds = Vec::new();
    for block in func.layout.blocks() {
        for inst in func.layout.block_insts(block) {
            let (flags, addr, offset) = match func.dfg.insts[inst] {
                InstructionData::Load {
                    flags, arg, offset, ..
                } => (flags, arg, offset),
                InstructionData::Store {
                    flags,
                    args: [_, addr],
                    offset,
                    ..
                } => (flags, addr, offset),
                _ => continue,
            };
            if func.dfg.mem_flags[flags].trap_code() != heap_trap {
                continue;
            }
            if let Some((base, index, c)) = split_address(func, &cfg, addr) {
                let displacement = i64::from(i32::from(offset)) + c as i64;
                if let Ok(displacement) = i32::try_from(displacement) {
                    folds.push(Fold {
                        access: inst,
                        base,
                        index,
                        displacement,
                    });
                }
            }
        }
    }
    let count = folds.len();
    let mut pos = FuncCursor::new(func);
    for fold in folds {
        pos.goto_inst(fold.access);
        let pointer = pos.func.dfg.value_type(fold.base);
        let index = pos.ins().uextend(pointer, fold.index);
        let addr = pos.ins().iadd(fold.base, index);
        match &mut pos.func.dfg.insts[fold.access] {
            InstructionData::Load { arg, offset, .. } => {
                *arg = addr;
                *offset = fold.displacement.into();
            }
            InstructionData::Store { args, offset, .. } => {
                args[1] = addr;
                *offset = fold.displacement.into();
            }
            _ => unreachable!("only loads and stores are collected"),
        }
    }
    count
}

/// `Some((base, x, C))` when `addr` is `base + zext(x + C)` (the shape
/// [`heap_address`](crate::env::FuncEnvironment::heap_address) builds) and `x + C`
/// provably does not wrap.
fn split_address(
    func: &Function,
    cfg: &ControlFlowGraph,
    addr: Value,
) -> Option<(Value, Value, u64)> {
    let dfg = &func.dfg;
    let [base, extended] = binary(func, addr, Opcode::Iadd)?;
    let ValueDef::Result(ext, 0) = dfg.value_def(extended) else {
        return None;
    };
    let InstructionData::Unary {
        opcode: Opcode::Uextend,
        arg: index,
    } = dfg.insts[ext]
    else {
        return None;
    };
    let (x, c) = consts::non_wrapping_add_in(func, Some(cfg), index)?;
    Some((base, x, c))
}

/// The operands of `value` when it is the result of the binary `opcode`.
fn binary(func: &Function, value: Value, opcode: Opcode) -> Option<[Value; 2]> {
    let ValueDef::Result(inst, 0) = func.dfg.value_def(value) else {
        return None;
    };
    match func.dfg.insts[inst] {
        InstructionData::Binary { opcode: op, args } if op == opcode => Some(args),
        _ => None,
    }
}
