//! Lane structure and bitwise operators: `v128.const`, splats, `extract_lane` /
//! `replace_lane`, `i8x16.shuffle` / `i8x16.swizzle`, the bitwise operators, `any_true`,
//! `all_true` and `bitmask`.
//!
//! Known operands: `extract_lane` of a known vector is a scalar constant, and a swizzle
//! whose index vector is known is a `shuffle` with constant lanes (an index of 16 or more
//! selects a lane of a zero vector, which is what swizzle gives for it).

use super::{Translator, known_vector, vector_const, vector_operators};
use crate::env::V128;
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{ConstantData, InstBuilder, Type, Value, types};
use wasmparser::V128 as WasmV128;

use types::{F32, F32X4, F64, F64X2, I8, I8X16, I16, I16X8, I32, I32X4, I64, I64X2};

/// How an extracted lane becomes a wasm value.
#[derive(Clone, Copy)]
enum LaneExtend {
    /// Lanes of `i32`, `i64`, `f32`, `f64`: as they are.
    None,
    /// Narrow integer lanes, sign-extended to `i32`.
    Signed,
    /// Narrow integer lanes, zero-extended to `i32`.
    Unsigned,
}

impl<'a> Translator<'a, '_> {
    pub(in crate::translate) fn visit_v128_const(&mut self, value: WasmV128) {
        let bits = u128::from_le_bytes(*value.bytes());
        let v = vector_const(&mut self.builder, V128, bits);
        self.push1(v);
    }

    pub(in crate::translate) fn visit_i8x16_shuffle(&mut self, lanes: [u8; 16]) {
        let (x, y) = self.pop_vectors2(I8X16);
        let result = self.shuffle(x, y, lanes);
        self.push_vector(result);
    }

    pub(in crate::translate) fn visit_i8x16_swizzle(&mut self) {
        let (x, indices) = self.pop_vectors2(I8X16);
        let result = self.swizzle(x, indices);
        self.push_vector(result);
    }

    /// `i8x16.swizzle` (also relaxed swizzle, which stagec gives the same result): a
    /// `shuffle` when the indices are known, else Cranelift's `swizzle` (wasm semantics:
    /// an index of 16 or more gives 0).
    pub(super) fn swizzle(&mut self, x: Value, indices: Value) -> Value {
        let Some(known) = known_vector(self.builder.func, indices) else {
            return self.builder.ins().swizzle(x, indices);
        };
        let mut lanes = known.to_le_bytes();
        if lanes.iter().all(|&lane| lane < 16) {
            return self.shuffle(x, x, lanes);
        }
        for lane in &mut lanes {
            *lane = (*lane).min(16);
        }
        let zero = vector_const(&mut self.builder, I8X16, 0);
        self.shuffle(x, zero, lanes)
    }

    /// A shuffle with constant lanes (0–15 from `x`, 16–31 from `y`).
    fn shuffle(&mut self, x: Value, y: Value, lanes: [u8; 16]) -> Value {
        let mask = self
            .builder
            .func
            .dfg
            .immediates
            .push(ConstantData::from(&lanes[..]));
        self.builder.ins().shuffle(x, y, mask)
    }

    // ---- splats ------------------------------------------------------------------------

    pub(in crate::translate) fn visit_i8x16_splat(&mut self) {
        self.splat(I8X16);
    }
    pub(in crate::translate) fn visit_i16x8_splat(&mut self) {
        self.splat(I16X8);
    }
    pub(in crate::translate) fn visit_i32x4_splat(&mut self) {
        self.splat(I32X4);
    }
    pub(in crate::translate) fn visit_i64x2_splat(&mut self) {
        self.splat(I64X2);
    }
    pub(in crate::translate) fn visit_f32x4_splat(&mut self) {
        self.splat(F32X4);
    }
    pub(in crate::translate) fn visit_f64x2_splat(&mut self) {
        self.splat(F64X2);
    }

    /// Splats the scalar operand (an `i32` for the narrow integer shapes) to shape `ty`.
    fn splat(&mut self, ty: Type) {
        let mut scalar = self.pop1();
        if self.builder.func.dfg.value_type(scalar) != ty.lane_type() {
            scalar = self.builder.ins().ireduce(ty.lane_type(), scalar);
        }
        let result = self.builder.ins().splat(ty, scalar);
        self.push_vector(result);
    }

    // ---- lanes -------------------------------------------------------------------------

    pub(in crate::translate) fn visit_i8x16_extract_lane_s(&mut self, lane: u8) {
        self.extract_lane(I8X16, lane, LaneExtend::Signed);
    }
    pub(in crate::translate) fn visit_i8x16_extract_lane_u(&mut self, lane: u8) {
        self.extract_lane(I8X16, lane, LaneExtend::Unsigned);
    }
    pub(in crate::translate) fn visit_i16x8_extract_lane_s(&mut self, lane: u8) {
        self.extract_lane(I16X8, lane, LaneExtend::Signed);
    }
    pub(in crate::translate) fn visit_i16x8_extract_lane_u(&mut self, lane: u8) {
        self.extract_lane(I16X8, lane, LaneExtend::Unsigned);
    }
    pub(in crate::translate) fn visit_i32x4_extract_lane(&mut self, lane: u8) {
        self.extract_lane(I32X4, lane, LaneExtend::None);
    }
    pub(in crate::translate) fn visit_i64x2_extract_lane(&mut self, lane: u8) {
        self.extract_lane(I64X2, lane, LaneExtend::None);
    }
    pub(in crate::translate) fn visit_f32x4_extract_lane(&mut self, lane: u8) {
        self.extract_lane(F32X4, lane, LaneExtend::None);
    }
    pub(in crate::translate) fn visit_f64x2_extract_lane(&mut self, lane: u8) {
        self.extract_lane(F64X2, lane, LaneExtend::None);
    }

    /// `extract_lane`: of a known vector, the lane's constant; else `extractlane`.
    fn extract_lane(&mut self, ty: Type, lane: u8, extend: LaneExtend) {
        let vector = self.pop_vector(ty);
        if let Some(bits) = known_vector(self.builder.func, vector) {
            let value = self.lane_constant(ty, bits, lane, extend);
            self.push1(value);
            return;
        }
        let value = self.builder.ins().extractlane(vector, lane);
        let value = match extend {
            LaneExtend::None => value,
            LaneExtend::Signed => self.builder.ins().sextend(I32, value),
            LaneExtend::Unsigned => self.builder.ins().uextend(I32, value),
        };
        self.push1(value);
    }

    /// Lane `lane` of the constant vector `bits` in shape `ty`, as a wasm scalar.
    fn lane_constant(&mut self, ty: Type, bits: u128, lane: u8, extend: LaneExtend) -> Value {
        let width = ty.lane_bits();
        let raw = (bits >> (u32::from(lane) * width)) as u64 & (u64::MAX >> (64 - width));
        let ins = self.builder.ins();
        match (ty.lane_type(), extend) {
            (F32, _) => ins.f32const(Ieee32::with_bits(raw as u32)),
            (F64, _) => ins.f64const(Ieee64::with_bits(raw)),
            (I64, _) => ins.iconst(I64, raw as i64),
            (I8 | I16, LaneExtend::Signed) => {
                let shift = 64 - width;
                let value = ((raw << shift) as i64 >> shift) as i32;
                ins.iconst(I32, i64::from(value as u32))
            }
            _ => ins.iconst(I32, raw as i64),
        }
    }

    pub(in crate::translate) fn visit_i8x16_replace_lane(&mut self, lane: u8) {
        self.replace_lane(I8X16, lane);
    }
    pub(in crate::translate) fn visit_i16x8_replace_lane(&mut self, lane: u8) {
        self.replace_lane(I16X8, lane);
    }
    pub(in crate::translate) fn visit_i32x4_replace_lane(&mut self, lane: u8) {
        self.replace_lane(I32X4, lane);
    }
    pub(in crate::translate) fn visit_i64x2_replace_lane(&mut self, lane: u8) {
        self.replace_lane(I64X2, lane);
    }
    pub(in crate::translate) fn visit_f32x4_replace_lane(&mut self, lane: u8) {
        self.replace_lane(F32X4, lane);
    }
    pub(in crate::translate) fn visit_f64x2_replace_lane(&mut self, lane: u8) {
        self.replace_lane(F64X2, lane);
    }

    /// `replace_lane`: the scalar operand (an `i32` for narrow lanes, which keep its low
    /// bits) goes into lane `lane`.
    fn replace_lane(&mut self, ty: Type, lane: u8) {
        let mut scalar = self.pop1();
        let vector = self.pop_vector(ty);
        if matches!(ty.lane_type(), I8 | I16) {
            scalar = self.builder.ins().ireduce(ty.lane_type(), scalar);
        }
        let result = self.builder.ins().insertlane(vector, scalar, lane);
        self.push_vector(result);
    }

    // ---- bitwise -----------------------------------------------------------------------

    vector_operators! {
        visit_v128_not => vector_unary(V128, |b, x| b.ins().bnot(x));
        visit_v128_and => vector_binary(V128, |b, x, y| b.ins().band(x, y));
        visit_v128_andnot => vector_binary(V128, |b, x, y| b.ins().band_not(x, y));
        visit_v128_or => vector_binary(V128, |b, x, y| b.ins().bor(x, y));
        visit_v128_xor => vector_binary(V128, |b, x, y| b.ins().bxor(x, y));
        // wasm's operand order is (x, y, mask); Cranelift's is (mask, x, y).
        visit_v128_bitselect => vector_ternary(V128, |b, x, y, m| b.ins().bitselect(m, x, y));

        // ---- reductions to i32 ---------------------------------------------------------
        visit_v128_any_true => any_true();
        visit_i8x16_all_true => all_true(I8X16);
        visit_i16x8_all_true => all_true(I16X8);
        visit_i32x4_all_true => all_true(I32X4);
        visit_i64x2_all_true => all_true(I64X2);
        visit_i8x16_bitmask => bitmask(I8X16);
        visit_i16x8_bitmask => bitmask(I16X8);
        visit_i32x4_bitmask => bitmask(I32X4);
        visit_i64x2_bitmask => bitmask(I64X2);
    }

    fn any_true(&mut self) {
        let x = self.pop_vector(V128);
        let any = self.builder.ins().vany_true(x);
        let result = self.builder.ins().uextend(I32, any);
        self.push1(result);
    }

    fn all_true(&mut self, ty: Type) {
        let x = self.pop_vector(ty);
        let all = self.builder.ins().vall_true(x);
        let result = self.builder.ins().uextend(I32, all);
        self.push1(result);
    }

    /// `bitmask`: the top bit of every lane, lane 0 in bit 0 (Cranelift's `vhigh_bits`).
    fn bitmask(&mut self, ty: Type) {
        let x = self.pop_vector(ty);
        let result = self.builder.ins().vhigh_bits(I32, x);
        self.push1(result);
    }
}

#[cfg(test)]
mod tests {
    use crate::Compiler;

    /// The optimised CLIF of defined function 0 of `wat`.
    fn clif(wat: &str) -> String {
        let module = stagec_frontend::parse(wat::parse_str(wat).unwrap()).unwrap();
        Compiler::new().unwrap().clif(&module, 0).unwrap()
    }

    #[test]
    fn a_swizzle_with_known_indices_is_a_shuffle() {
        let known = clif(
            "(module (func (param v128) (result v128)
               (i8x16.swizzle (local.get 0)
                 (v128.const i8x16 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 99))))",
        );
        assert!(known.contains("shuffle"), "{known}");
        assert!(!known.contains("swizzle"), "{known}");
        let unknown = clif(
            "(module (func (param v128 v128) (result v128)
               (i8x16.swizzle (local.get 0) (local.get 1))))",
        );
        assert!(unknown.contains("swizzle"), "{unknown}");
    }

    #[test]
    fn a_lane_of_a_known_vector_is_a_constant() {
        let clif = clif(
            "(module (func (result i32)
               (i8x16.extract_lane_s 15 (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 -2))))",
        );
        assert!(clif.contains("iconst.i32 -2"), "{clif}");
        assert!(!clif.contains("extractlane"), "{clif}");
    }
}
