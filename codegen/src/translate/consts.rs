//! The translator's constant-tracking layer: small evaluators over the data-flow graph
//! built so far.
//!
//! - [`known_int`]: the value of an integer SSA value, when it is a compile-time constant
//!   (a preimported constant, a literal, or arithmetic over them). The translator uses it
//!   where it makes control decisions (`if`, `br_if`, `br_table`, `select`) and the
//!   environment uses it to turn constant addresses into displacements.
//! - [`non_wrapping_add`]: whether a 32-bit `x + C` provably cannot wrap (so `C` may move
//!   into a load's displacement), from an upper bound of `x` read as unsigned;
//! - [`upper_bound`]: that bound itself (a 64-bit memory's access whose address is
//!   provably small needs no bounds check).
//!
//! Both follow instruction operands to a small depth, visiting a bounded number of
//! instructions per query (so that compile time stays linear in the function size even on
//! deep shared expressions); anything they do not understand (block parameters, loads,
//! calls) is simply unknown. Cranelift's optimizer
//! folds arithmetic over constants by itself; these evaluators exist so that decisions
//! the *translator* makes (which blocks to build at all) can see through it too.

use cranelift_codegen::flowgraph::ControlFlowGraph;
use cranelift_codegen::ir::condcodes::{CondCode, IntCC};
use cranelift_codegen::ir::{
    Block, Function, InstructionData, Opcode, Type, Value, ValueDef, types,
};

/// How many instructions deep the evaluators look.
const MAX_DEPTH: u32 = 12;

/// How many instructions one query may visit.
const FUEL: u32 = 128;

/// All ones in the low `bits` bits.
fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// The width of a scalar integer type (0 for anything else).
fn int_bits(ty: Type) -> u32 {
    if ty.is_int() && !ty.is_vector() {
        ty.bits()
    } else {
        0
    }
}

/// Sign-extends the low `bits` bits of `x` to 64 bits.
fn sext(x: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((x << shift) as i64) >> shift
}

/// The value of `value` if it is a known integer constant, as its bits zero-extended to
/// 64 (an `i32` of -1 is `0xffff_ffff`).
pub(crate) fn known_int(func: &Function, value: Value) -> Option<u64> {
    eval(func, value, MAX_DEPTH, &mut FUEL.clone())
}

fn eval(func: &Function, value: Value, depth: u32, fuel: &mut u32) -> Option<u64> {
    let depth = depth.checked_sub(1)?;
    *fuel = fuel.checked_sub(1)?;
    let dfg = &func.dfg;
    let ValueDef::Result(inst, 0) = dfg.value_def(value) else {
        return None;
    };
    let ty = dfg.value_type(value);
    let bits = match int_bits(ty) {
        0 => return None,
        b => b,
    };
    let m = mask(bits);
    let mut arg = |v: Value| eval(func, v, depth, fuel);
    let result = match dfg.insts[inst] {
        InstructionData::UnaryImm {
            opcode: Opcode::Iconst,
            imm,
        } => imm.bits() as u64,
        InstructionData::Unary { opcode, arg: a } => {
            let from = int_bits(dfg.value_type(a));
            match opcode {
                Opcode::Uextend | Opcode::Ireduce => arg(a)? & mask(from),
                Opcode::Sextend if from > 0 => sext(arg(a)?, from) as u64,
                Opcode::Clz => u64::from((arg(a)? & mask(from)).leading_zeros() - (64 - from)),
                Opcode::Ctz => u64::from((arg(a)? | !mask(from)).trailing_zeros()),
                Opcode::Popcnt => u64::from((arg(a)? & mask(from)).count_ones()),
                Opcode::Bnot => !arg(a)?,
                Opcode::Ineg => arg(a)?.wrapping_neg(),
                _ => return None,
            }
        }
        InstructionData::LoadNoOffset {
            opcode: Opcode::Bitcast,
            arg: a,
            ..
        } => match dfg.value_def(a) {
            ValueDef::Result(src, 0) => match dfg.insts[src] {
                InstructionData::UnaryIeee32 {
                    opcode: Opcode::F32const,
                    imm,
                } => u64::from(imm.bits()),
                InstructionData::UnaryIeee64 {
                    opcode: Opcode::F64const,
                    imm,
                } => imm.bits(),
                _ => arg(a)?,
            },
            _ => return None,
        },
        InstructionData::Binary {
            opcode,
            args: [a, b],
        } => {
            let (x, y) = (arg(a)? & m, arg(b)? & m);
            // Shifts and rotates read their amount modulo the width (wasm semantics, and
            // Cranelift's).
            let amount = (y % u64::from(bits)) as u32;
            match opcode {
                Opcode::Iadd => x.wrapping_add(y),
                Opcode::Isub => x.wrapping_sub(y),
                Opcode::Imul => x.wrapping_mul(y),
                Opcode::Band => x & y,
                Opcode::Bor => x | y,
                Opcode::Bxor => x ^ y,
                Opcode::Ishl => x << amount,
                Opcode::Ushr => x >> amount,
                Opcode::Sshr => (sext(x, bits) >> amount) as u64,
                Opcode::Rotl | Opcode::Rotr => {
                    let k = amount;
                    let k = if opcode == Opcode::Rotl {
                        k
                    } else {
                        (bits - k) % bits
                    };
                    if k == 0 {
                        x
                    } else {
                        (x << k) | (x >> (bits - k))
                    }
                }
                _ => return None,
            }
        }
        InstructionData::IntCompare {
            cond, args: [a, b], ..
        } => {
            let width = int_bits(dfg.value_type(a));
            if width == 0 {
                return None;
            }
            u64::from(compare(
                cond,
                arg(a)? & mask(width),
                arg(b)? & mask(width),
                width,
            ))
        }
        InstructionData::Ternary {
            opcode: Opcode::Select,
            args: [c, x, y],
        } => {
            if arg(c)? & mask(int_bits(dfg.value_type(c))) != 0 {
                arg(x)?
            } else {
                arg(y)?
            }
        }
        _ => return None,
    };
    Some(result & m)
}

/// `x cond y` on zero-extended `width`-bit operands.
fn compare(cond: IntCC, x: u64, y: u64, width: u32) -> bool {
    let (sx, sy) = (sext(x, width), sext(y, width));
    match cond {
        IntCC::Equal => x == y,
        IntCC::NotEqual => x != y,
        IntCC::SignedLessThan => sx < sy,
        IntCC::SignedGreaterThanOrEqual => sx >= sy,
        IntCC::SignedGreaterThan => sx > sy,
        IntCC::SignedLessThanOrEqual => sx <= sy,
        IntCC::UnsignedLessThan => x < y,
        IntCC::UnsignedGreaterThanOrEqual => x >= y,
        IntCC::UnsignedGreaterThan => x > y,
        IntCC::UnsignedLessThanOrEqual => x <= y,
    }
}

// An upper bound of a value read as an unsigned integer of its type (the type's maximum
// when nothing better is known), by `bound`. Sound for every execution: it only follows
// operations whose result range follows from their operands' ranges without wrapping.
//
// Block parameters are bounded only when the function's control-flow graph is given: while
// a function is being translated, a loop header's back edges do not exist yet. With it, a
// block parameter is bounded by the largest value any incoming edge passes to it, where
// an edge taken only when `arg < K` (a `brif` on `icmp ult arg, K`, as a counted loop's
// back edge is) passes at most `K - 1` whatever `arg` is. Cycles through unguarded edges
// end at the depth limit with the type's maximum, so the result stays sound.

/// The largest value a block parameter receives over the edges into its block.
fn param_bound(
    func: &Function,
    cfg: &ControlFlowGraph,
    block: Block,
    index: usize,
    depth: u32,
    fuel: &mut u32,
) -> Option<u64> {
    // The entry block's parameters are the function's arguments: anything.
    if func.layout.entry_block() == Some(block) {
        return None;
    }
    let dfg = &func.dfg;
    let mut best = 0u64;
    for pred in cfg.pred_iter(block) {
        let data = &dfg.insts[pred.inst];
        let destinations = data.branch_destination(&dfg.jump_tables, &dfg.exception_tables);
        for (edge, call) in destinations.iter().enumerate() {
            if call.block(&dfg.value_lists) != block {
                continue;
            }
            let arg = call.args(&dfg.value_lists).nth(index)?.as_value()?;
            let guard = match *data {
                InstructionData::Brif { arg: cond, .. } => edge_guard(func, cond, edge == 0, arg),
                _ => None,
            };
            let edge_bound = guard.unwrap_or_else(|| bound(func, Some(cfg), arg, depth, fuel));
            best = best.max(edge_bound);
        }
    }
    Some(best)
}

/// A bound on `arg` that holds whenever `cond` is `taken` (non-zero when `true`), when
/// `cond` is an unsigned comparison of `arg` with a constant.
fn edge_guard(func: &Function, cond: Value, taken: bool, arg: Value) -> Option<u64> {
    let dfg = &func.dfg;
    let mut cond = dfg.resolve_aliases(cond);
    // A wasm `i32` condition is the comparison's result zero-extended.
    while let ValueDef::Result(inst, 0) = dfg.value_def(cond) {
        match dfg.insts[inst] {
            InstructionData::Unary {
                opcode: Opcode::Uextend,
                arg,
            } => cond = dfg.resolve_aliases(arg),
            _ => break,
        }
    }
    let ValueDef::Result(inst, 0) = dfg.value_def(cond) else {
        return None;
    };
    let InstructionData::IntCompare {
        cond: cc,
        args: [a, b],
        ..
    } = dfg.insts[inst]
    else {
        return None;
    };
    let arg = dfg.resolve_aliases(arg);
    // Normalize to `arg cc K`.
    let (cc, k) = if dfg.resolve_aliases(a) == arg {
        (cc, known_int(func, b)?)
    } else if dfg.resolve_aliases(b) == arg {
        (cc.swap_args(), known_int(func, a)?)
    } else {
        return None;
    };
    // The condition that holds on this edge.
    let cc = if taken { cc } else { cc.complement() };
    match cc {
        // On an edge guarded by `arg < 0` nothing flows: 0 is as good a bound as any.
        IntCC::UnsignedLessThan => Some(k.saturating_sub(1)),
        IntCC::UnsignedLessThanOrEqual => Some(k),
        _ => None,
    }
}

fn bound(
    func: &Function,
    cfg: Option<&ControlFlowGraph>,
    value: Value,
    depth: u32,
    fuel: &mut u32,
) -> u64 {
    let dfg = &func.dfg;
    let bits = int_bits(dfg.value_type(value));
    let max = mask(bits);
    if bits == 0 {
        return u64::MAX;
    }
    if let Some(k) = eval(func, value, depth, fuel) {
        return k;
    }
    let Some(depth) = depth.checked_sub(1) else {
        return max;
    };
    if *fuel == 0 {
        return max;
    }
    let inst = match dfg.value_def(value) {
        ValueDef::Result(inst, 0) => inst,
        ValueDef::Param(block, index) => {
            return cfg
                .and_then(|cfg| param_bound(func, cfg, block, index, depth, fuel))
                .map_or(max, |b| b.min(max));
        }
        _ => return max,
    };
    // Every bit up to the highest one `x` may have.
    let fill = |x: u64| mask(64 - x.leading_zeros());
    let result = match dfg.insts[inst] {
        InstructionData::Load { opcode, .. } => match opcode {
            Opcode::Uload8 => mask(8),
            Opcode::Uload16 => mask(16),
            Opcode::Uload32 => mask(32),
            _ => max,
        },
        InstructionData::Unary { opcode, arg } => match opcode {
            Opcode::Uextend | Opcode::Ireduce => bound(func, cfg, arg, depth, fuel),
            Opcode::Clz | Opcode::Ctz | Opcode::Popcnt => u64::from(bits),
            _ => max,
        },
        InstructionData::IntCompare { .. } => 1,
        InstructionData::Binary {
            opcode,
            args: [a, b],
        } => {
            let ua = bound(func, cfg, a, depth, fuel);
            // A known right operand (shift amount, divisor) is exact.
            let kb = eval(func, b, depth, fuel);
            let ub = kb.unwrap_or_else(|| bound(func, cfg, b, depth, fuel));
            let shift = kb.map(|k| (k % u64::from(bits)) as u32);
            match opcode {
                Opcode::Band => ua.min(ub),
                Opcode::Bor | Opcode::Bxor => fill(ua.max(ub)),
                Opcode::Iadd => ua.checked_add(ub).unwrap_or(max),
                Opcode::Imul => ua.checked_mul(ub).unwrap_or(max),
                Opcode::Ushr => shift.map_or(ua, |k| ua >> k),
                Opcode::Ishl => shift
                    .and_then(|k| ua.checked_shl(k).filter(|&r| r >> k == ua))
                    .unwrap_or(max),
                Opcode::Udiv => match kb {
                    Some(d) if d != 0 => ua / d,
                    _ => ua,
                },
                Opcode::Urem => match kb {
                    Some(d) if d != 0 => ua.min(d - 1),
                    _ => ua,
                },
                _ => max,
            }
        }
        InstructionData::Ternary {
            opcode: Opcode::Select,
            args: [_, x, y],
        } => bound(func, cfg, x, depth, fuel).max(bound(func, cfg, y, depth, fuel)),
        _ => max,
    };
    result.min(max)
}

/// An upper bound of the integer `value` read as unsigned (the type's maximum when nothing
/// better is known): e.g. `i64.extend_i32_u x` is below 2^32, `x & 0xff` at most 255.
pub(crate) fn upper_bound(func: &Function, value: Value) -> u64 {
    bound(func, None, value, MAX_DEPTH, &mut FUEL.clone())
}

/// `Some((x, c))` when `value` is the `i32` sum `x + c` of a value and a known constant
/// that provably does not wrap around 2^32, so that `zext(value) == zext(x) + c`.
pub(crate) fn non_wrapping_add(func: &Function, value: Value) -> Option<(Value, u64)> {
    non_wrapping_add_in(func, None, value)
}

/// [`non_wrapping_add`], with block parameters bounded over `cfg` when it is given.
pub(crate) fn non_wrapping_add_in(
    func: &Function,
    cfg: Option<&ControlFlowGraph>,
    value: Value,
) -> Option<(Value, u64)> {
    let dfg = &func.dfg;
    if dfg.value_type(value) != types::I32 {
        return None;
    }
    let ValueDef::Result(inst, 0) = dfg.value_def(value) else {
        return None;
    };
    let InstructionData::Binary {
        opcode: Opcode::Iadd,
        args: [a, b],
    } = dfg.insts[inst]
    else {
        return None;
    };
    let (x, c) = match (known_int(func, a), known_int(func, b)) {
        (_, Some(c)) => (a, c),
        (Some(c), None) => (b, c),
        (None, None) => return None,
    };
    let x_bound = bound(func, cfg, x, MAX_DEPTH, &mut FUEL.clone());
    (x_bound.checked_add(c)? <= u64::from(u32::MAX)).then_some((x, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::ir::{AbiParam, InstBuilder, MemFlagsData, Signature, UserFuncName};
    use cranelift_codegen::isa::CallConv;
    use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
    use types::{I8, I32, I64};

    /// Builds a function with one `i32` parameter, runs `f` in its entry block.
    fn with_builder(f: impl FnOnce(&mut FunctionBuilder<'_>, Value)) {
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.push(AbiParam::new(I32));
        let mut func = Function::with_name_signature(UserFuncName::user(0, 0), sig);
        let mut ctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut ctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let p = b.block_params(entry)[0];
        f(&mut b, p);
    }

    #[test]
    fn arithmetic_and_comparisons() {
        with_builder(|b, p| {
            let seven = b.ins().iconst(I32, 7);
            let three = b.ins().iconst(I32, 3);
            let prod = b.ins().imul(seven, three);
            assert_eq!(known_int(b.func, prod), Some(21));
            let minus_one = b.ins().iconst(I32, 0xffff_ffff);
            let wrapped = b.ins().iadd(minus_one, three);
            assert_eq!(known_int(b.func, wrapped), Some(2));
            let shl = b.ins().ishl(three, seven);
            assert_eq!(known_int(b.func, shl), Some(3 << 7));
            let big = b.ins().iconst(I32, 33);
            let shl_mod = b.ins().ishl(three, big);
            assert_eq!(known_int(b.func, shl_mod), Some(6), "amount mod 32");
            let sshr = b.ins().sshr(minus_one, three);
            assert_eq!(known_int(b.func, sshr), Some(0xffff_ffff));
            let rotl = b.ins().rotl(minus_one, three);
            assert_eq!(known_int(b.func, rotl), Some(0xffff_ffff));
            let one = b.ins().iconst(I32, 1);
            let rotr = b.ins().rotr(one, one);
            assert_eq!(known_int(b.func, rotr), Some(0x8000_0000));
            let lt = b.ins().icmp(IntCC::SignedLessThan, minus_one, one);
            let lt = b.ins().uextend(I32, lt);
            assert_eq!(known_int(b.func, lt), Some(1));
            let ltu = b.ins().icmp(IntCC::UnsignedLessThan, minus_one, one);
            assert_eq!(known_int(b.func, ltu), Some(0));
            let s = b.ins().sextend(I64, minus_one);
            assert_eq!(known_int(b.func, s), Some(u64::MAX));
            let r = b.ins().ireduce(I8, s);
            assert_eq!(known_int(b.func, r), Some(0xff));
            let sel = b.ins().select(lt, seven, three);
            assert_eq!(known_int(b.func, sel), Some(7));
            let unknown = b.ins().iadd(p, one);
            assert_eq!(known_int(b.func, unknown), None);
            let f = b.ins().f32const(1.0);
            let bits = b.ins().bitcast(I32, MemFlagsData::new(), f);
            assert_eq!(known_int(b.func, bits), Some(0x3f80_0000));
        });
    }

    #[test]
    fn bounds_prove_non_wrapping_adds() {
        with_builder(|b, p| {
            let c = b.ins().iconst(I32, 16);
            // Unknown parameter: may wrap.
            let sum = b.ins().iadd(p, c);
            assert_eq!(non_wrapping_add(b.func, sum), None);
            // Masked to 8 bits: cannot wrap.
            let mask = b.ins().iconst(I32, 0xff);
            let small = b.ins().band(p, mask);
            let sum = b.ins().iadd(small, c);
            assert_eq!(non_wrapping_add(b.func, sum), Some((small, 16)));
            // Shifted right by 4: at most 0x0fff_ffff.
            let four = b.ins().iconst(I32, 4);
            let shifted = b.ins().ushr(p, four);
            let sum = b.ins().iadd(c, shifted);
            assert_eq!(non_wrapping_add(b.func, sum), Some((shifted, 16)));
            // A constant too large for the bound.
            let huge = b.ins().iconst(I32, 0xf000_0001);
            let sum = b.ins().iadd(shifted, huge);
            assert_eq!(non_wrapping_add(b.func, sum), None);
        });
    }

    /// `header(i)`: `i * 24 + 16` used in the body; the back edge passes `i + 1` on
    /// `cond(i + 1)`. Returns whether the add is proved non-wrapping.
    fn counted_loop(cond: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value) -> bool {
        let mut proved = false;
        with_builder(|b, _| {
            let header = b.create_block();
            let exit = b.create_block();
            b.append_block_param(header, I32);
            let zero = b.ins().iconst(I32, 0);
            b.ins().jump(header, &[zero.into()]);
            b.switch_to_block(header);
            let i = b.block_params(header)[0];
            let stride = b.ins().iconst(I32, 24);
            let record = b.ins().imul(i, stride);
            let sixteen = b.ins().iconst(I32, 16);
            let field = b.ins().iadd(record, sixteen);
            let one = b.ins().iconst(I32, 1);
            let next = b.ins().iadd(i, one);
            let c = cond(b, next);
            b.ins().brif(c, header, &[next.into()], exit, &[]);
            b.switch_to_block(exit);
            b.ins().return_(&[]);
            b.seal_all_blocks();
            let cfg = ControlFlowGraph::with_function(b.func);
            assert_eq!(non_wrapping_add(b.func, field), None, "no CFG, no bound");
            proved = non_wrapping_add_in(b.func, Some(&cfg), field).is_some();
        });
        proved
    }

    #[test]
    fn counted_loops_bound_their_induction_variable() {
        assert!(counted_loop(|b, next| {
            let k = b.ins().iconst(I32, 1024);
            let c = b.ins().icmp(IntCC::UnsignedLessThan, next, k);
            b.ins().uextend(I32, c)
        }));
        // `K > next` is the same guard, written the other way round.
        assert!(counted_loop(|b, next| {
            let k = b.ins().iconst(I32, 1024);
            b.ins().icmp(IntCC::UnsignedGreaterThan, k, next)
        }));
        // Exiting when `next >= K` (the loop continues on the else edge).
        assert!(!counted_loop(|b, next| {
            let k = b.ins().iconst(I32, 1024);
            b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, next, k)
        }));
        // A bound too large for `i * 24` to stay below 2^32.
        assert!(!counted_loop(|b, next| {
            let k = b.ins().iconst(I32, 0x1000_0000);
            b.ins().icmp(IntCC::UnsignedLessThan, next, k)
        }));
        // A signed bound says nothing about the unsigned value.
        assert!(!counted_loop(|b, next| {
            let k = b.ins().iconst(I32, 1024);
            b.ins().icmp(IntCC::SignedLessThan, next, k)
        }));
        // An unknown bound.
        assert!(!counted_loop(|b, next| {
            b.ins().icmp(IntCC::UnsignedLessThan, next, next)
        }));
    }

    #[test]
    fn function_arguments_are_unbounded() {
        with_builder(|b, p| {
            let next = b.create_block();
            b.append_block_param(next, I32);
            b.ins().jump(next, &[p.into()]);
            b.switch_to_block(next);
            let x = b.block_params(next)[0];
            let c = b.ins().iconst(I32, 12);
            let sum = b.ins().iadd(x, c);
            b.ins().return_(&[]);
            b.seal_all_blocks();
            let cfg = ControlFlowGraph::with_function(b.func);
            assert_eq!(non_wrapping_add_in(b.func, Some(&cfg), sum), None);
        });
    }
}
