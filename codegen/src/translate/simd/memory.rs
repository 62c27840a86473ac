//! `v128` loads and stores: full-width, extending (`load8x8_s`, ...), splat and zero
//! loads, and single-lane loads and stores.
//!
//! Every one goes through the scalar heap-access path
//! ([`Translator::heap_access`](super::super::Translator)): the bounds check of the
//! memory's index type (none in a 32-bit memory: the guard region faults, and the fault
//! becomes "out of bounds memory access" at the operator's offset), constant addresses
//! as displacements. A lane load or store accesses
//! only the lane's bytes, so its bounds are the lane's, as the spec asks.

use super::Translator;
use crate::env::{V128, heap_flags};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};
use cranelift_frontend::FunctionBuilder;
use wasmparser::MemArg;

use super::super::Result;
use types::{I8X16, I16X8, I32X4, I64X2};

/// Defines one method per memory operator taking a memory immediate.
macro_rules! vector_accesses {
    ($( $visit:ident => $helper:ident($($arg:expr),*); )*) => {
        $(
            pub(in crate::translate) fn $visit(&mut self, memarg: MemArg) -> Result<()> {
                self.$helper(memarg, $($arg),*)
            }
        )*
    };
}

/// Defines one method per lane load or store.
macro_rules! lane_accesses {
    ($( $visit:ident => $helper:ident($ty:expr); )*) => {
        $(
            pub(in crate::translate) fn $visit(&mut self, memarg: MemArg, lane: u8) -> Result<()> {
                self.$helper(memarg, $ty, lane)
            }
        )*
    };
}

impl<'a> Translator<'a, '_> {
    vector_accesses! {
        visit_v128_load => load_vector(16, |b, f, a, o| b.ins().load(V128, f, a, o));
        visit_v128_load8x8_s => load_vector(8, |b, f, a, o| b.ins().sload8x8(f, a, o));
        visit_v128_load8x8_u => load_vector(8, |b, f, a, o| b.ins().uload8x8(f, a, o));
        visit_v128_load16x4_s => load_vector(8, |b, f, a, o| b.ins().sload16x4(f, a, o));
        visit_v128_load16x4_u => load_vector(8, |b, f, a, o| b.ins().uload16x4(f, a, o));
        visit_v128_load32x2_s => load_vector(8, |b, f, a, o| b.ins().sload32x2(f, a, o));
        visit_v128_load32x2_u => load_vector(8, |b, f, a, o| b.ins().uload32x2(f, a, o));
        visit_v128_load8_splat => load_splat(I8X16);
        visit_v128_load16_splat => load_splat(I16X8);
        visit_v128_load32_splat => load_splat(I32X4);
        visit_v128_load64_splat => load_splat(I64X2);
        visit_v128_load32_zero => load_zero(I32X4);
        visit_v128_load64_zero => load_zero(I64X2);
        visit_v128_store => store_vector();
    }

    lane_accesses! {
        visit_v128_load8_lane => load_lane(I8X16);
        visit_v128_load16_lane => load_lane(I16X8);
        visit_v128_load32_lane => load_lane(I32X4);
        visit_v128_load64_lane => load_lane(I64X2);
        visit_v128_store8_lane => store_lane(I8X16);
        visit_v128_store16_lane => store_lane(I16X8);
        visit_v128_store32_lane => store_lane(I32X4);
        visit_v128_store64_lane => store_lane(I64X2);
    }

    /// A full-width or extending load of `size` bytes at the popped index; `f` builds it
    /// from the flags, address and displacement.
    fn load_vector(
        &mut self,
        memarg: MemArg,
        size: u32,
        f: impl FnOnce(&mut FunctionBuilder<'a>, MemFlagsData, Value, i32) -> Value,
    ) -> Result<()> {
        let index = self.pop1();
        let (addr, offset) = self.heap_access(&memarg, index, size)?;
        let value = f(&mut self.builder, heap_flags(), addr, offset);
        self.push_vector(value);
        Ok(())
    }

    /// A scalar of `ty`'s lane type, loaded at the popped index.
    fn load_lane_value(&mut self, memarg: &MemArg, ty: Type) -> Result<Value> {
        let index = self.pop1();
        let (addr, offset) = self.heap_access(memarg, index, ty.lane_bits() / 8)?;
        Ok(self
            .builder
            .ins()
            .load(ty.lane_type(), heap_flags(), addr, offset))
    }

    /// `load*_splat`: one lane's bytes, in every lane.
    fn load_splat(&mut self, memarg: MemArg, ty: Type) -> Result<()> {
        let scalar = self.load_lane_value(&memarg, ty)?;
        let result = self.builder.ins().splat(ty, scalar);
        self.push_vector(result);
        Ok(())
    }

    /// `load32_zero` / `load64_zero`: lane 0 loaded, the others zero.
    fn load_zero(&mut self, memarg: MemArg, ty: Type) -> Result<()> {
        let scalar = self.load_lane_value(&memarg, ty)?;
        let result = self.builder.ins().scalar_to_vector(ty, scalar);
        self.push_vector(result);
        Ok(())
    }

    /// `load*_lane`: the vector operand with lane `lane` loaded from memory.
    fn load_lane(&mut self, memarg: MemArg, ty: Type, lane: u8) -> Result<()> {
        let vector = self.pop_vector(ty);
        let scalar = self.load_lane_value(&memarg, ty)?;
        let result = self.builder.ins().insertlane(vector, scalar, lane);
        self.push_vector(result);
        Ok(())
    }

    /// `store*_lane`: lane `lane` of the vector operand, stored.
    fn store_lane(&mut self, memarg: MemArg, ty: Type, lane: u8) -> Result<()> {
        let vector = self.pop_vector(ty);
        let index = self.pop1();
        let scalar = self.builder.ins().extractlane(vector, lane);
        let (addr, offset) = self.heap_access(&memarg, index, ty.lane_bits() / 8)?;
        self.builder.ins().store(heap_flags(), scalar, addr, offset);
        Ok(())
    }

    /// `v128.store`: all 16 bytes.
    fn store_vector(&mut self, memarg: MemArg) -> Result<()> {
        let vector = self.pop_vector(V128);
        let index = self.pop1();
        let (addr, offset) = self.heap_access(&memarg, index, 16)?;
        self.builder.ins().store(heap_flags(), vector, addr, offset);
        Ok(())
    }
}
