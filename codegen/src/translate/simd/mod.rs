//! SIMD operators (`v128` and every fixed-width operator) and relaxed SIMD.
//!
//! A `v128` value has one Cranelift type wherever it crosses an operator boundary —
//! locals, globals, block parameters, function signatures, the operand stack between
//! operators: [`V128`] (`i8x16`), as in wasmtime. Each operator reads its operands in the
//! lane shape it works on ([`Translator::pop_vector`]) and pushes its result back as
//! `i8x16` ([`Translator::push_vector`]). The bitcasts this takes are free in machine code
//! (one register), and [`Translator::as_shape`] looks through the bitcast an earlier
//! operator added, so a chain of `i32x4` operators has none in between.
//!
//! Known values: a `v128.const`, or a preimported `v128` global, is a `vconst` (a constant
//! pool entry, or an immediate where the backend has one). [`known_vector`] reads such a
//! constant through bitcasts, so that `extract_lane` of a known vector is a scalar
//! constant (which the constant layer then sees, e.g. in addresses and branches) and a
//! `i8x16.swizzle` with known indices is a `shuffle` with constant lanes.
//!
//! The families: `lanes` (constants, splats, lanes, shuffles, bitwise and boolean
//! reductions), `arith` (integer and float arithmetic, comparisons, conversions),
//! `memory` (every `v128` load and store, through the scalar heap-access path) and
//! `relaxed` (relaxed SIMD, lowered deterministically).

mod arith;
mod lanes;
mod memory;
mod relaxed;

use super::Translator;
use crate::env::V128;
pub(super) use crate::env::vector_const;
use cranelift_codegen::ir::{
    Endianness, Function, InstBuilder, InstructionData, MemFlagsData, Opcode, Type, Value, ValueDef,
};
use cranelift_frontend::FunctionBuilder;

/// The flags of a bitcast between vector shapes (lane order is little-endian, as in wasm).
fn bitcast_flags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// `value` without the shape bitcasts in front of it: the value an operator produced.
fn unshaped(func: &Function, mut value: Value) -> Value {
    while let ValueDef::Result(inst, _) = func.dfg.value_def(value) {
        match func.dfg.insts[inst] {
            InstructionData::LoadNoOffset {
                opcode: Opcode::Bitcast,
                arg,
                ..
            } if func.dfg.value_type(arg).is_vector() => value = arg,
            _ => break,
        }
    }
    value
}

/// The 16 bytes of a vector value that is a known constant (`v128.const`, a preimported
/// `v128` global), read little-endian.
pub(crate) fn known_vector(func: &Function, value: Value) -> Option<u128> {
    let value = unshaped(func, value);
    let ValueDef::Result(inst, _) = func.dfg.value_def(value) else {
        return None;
    };
    let InstructionData::UnaryConst {
        opcode: Opcode::Vconst,
        constant_handle,
    } = func.dfg.insts[inst]
    else {
        return None;
    };
    let bytes: [u8; 16] = func
        .dfg
        .constants
        .get(constant_handle)
        .as_slice()
        .try_into()
        .ok()?;
    Some(u128::from_le_bytes(bytes))
}

impl<'a> Translator<'a, '_> {
    /// `value` (a `v128`) in lane shape `ty`: the value an earlier operator produced when
    /// it has that shape, a constant of that shape when it is a known constant, else a
    /// bitcast.
    fn as_shape(&mut self, value: Value, ty: Type) -> Value {
        let func = &self.builder.func;
        let value = unshaped(func, value);
        if func.dfg.value_type(value) == ty {
            return value;
        }
        if let Some(bits) = known_vector(func, value) {
            return vector_const(&mut self.builder, ty, bits);
        }
        self.builder.ins().bitcast(ty, bitcast_flags(), value)
    }

    /// Pops a `v128` operand in lane shape `ty`.
    fn pop_vector(&mut self, ty: Type) -> Value {
        let value = self.pop1();
        self.as_shape(value, ty)
    }

    /// Pops two `v128` operands in lane shape `ty`, the first pushed first.
    fn pop_vectors2(&mut self, ty: Type) -> (Value, Value) {
        let y = self.pop_vector(ty);
        let x = self.pop_vector(ty);
        (x, y)
    }

    /// Pops three `v128` operands in lane shape `ty`, the first pushed first.
    fn pop_vectors3(&mut self, ty: Type) -> (Value, Value, Value) {
        let z = self.pop_vector(ty);
        let (x, y) = self.pop_vectors2(ty);
        (x, y, z)
    }

    /// Pushes a vector result of any shape as a `v128` (`i8x16`).
    fn push_vector(&mut self, value: Value) {
        let value = if self.builder.func.dfg.value_type(value) == V128 {
            value
        } else {
            self.builder.ins().bitcast(V128, bitcast_flags(), value)
        };
        self.push1(value);
    }

    /// A unary operator on shape `ty`.
    fn vector_unary(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder<'a>, Value) -> Value) {
        let x = self.pop_vector(ty);
        let result = f(&mut self.builder, x);
        self.push_vector(result);
    }

    /// A binary operator on shape `ty`.
    fn vector_binary(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'a>, Value, Value) -> Value,
    ) {
        let (x, y) = self.pop_vectors2(ty);
        let result = f(&mut self.builder, x, y);
        self.push_vector(result);
    }

    /// A ternary operator on shape `ty`.
    fn vector_ternary(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'a>, Value, Value, Value) -> Value,
    ) {
        let (x, y, z) = self.pop_vectors3(ty);
        let result = f(&mut self.builder, x, y, z);
        self.push_vector(result);
    }
}

/// Defines one method per operator, each a call of a helper with the given arguments.
macro_rules! vector_operators {
    ($( $visit:ident => $helper:ident($($arg:expr),*); )*) => {
        $(
            pub(in crate::translate) fn $visit(&mut self) {
                self.$helper($($arg),*);
            }
        )*
    };
}
use vector_operators;
