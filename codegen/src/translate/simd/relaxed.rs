//! Relaxed SIMD, lowered deterministically: every operator gives one result on every host,
//! the one wasmtime gives with `relaxed_simd_deterministic` (README, "Relaxed SIMD"):
//!
//! | operator | result |
//! |---|---|
//! | `i8x16.relaxed_swizzle` | `i8x16.swizzle` (an index of 16 or more gives 0) |
//! | `i32x4.relaxed_trunc_*` | the saturating `trunc_sat` (NaN → 0) |
//! | `f32x4/f64x2.relaxed_madd`, `_nmadd` | fused: `fma(±x, y, z)`, one rounding |
//! | `*.relaxed_laneselect` | `v128.bitselect` (every bit of the mask selects) |
//! | `f32x4/f64x2.relaxed_min`, `_max` | `fmin` / `fmax` (NaN-propagating, `-0 < +0`) |
//! | `i16x8.relaxed_q15mulr_s` | `i16x8.q15mulr_sat_s` (saturating) |
//! | `i16x8.relaxed_dot_i8x16_i7x16_s`, `i32x4.…_add_s` | both operands signed, exact sums |
//!
//! Cranelift's `fma` is fused on every host (an instruction with FMA, a libcall without),
//! so `madd` is as deterministic as the rest.

use super::arith::{dot, extmul, trunc_sat_f64x2_zero};
use super::{Translator, vector_operators};
use cranelift_codegen::ir::{InstBuilder, types};

use types::{F32X4, F64X2, I8X16, I16X8, I32X4, I64X2};

impl<'a> Translator<'a, '_> {
    vector_operators! {
        visit_i8x16_relaxed_swizzle => relaxed_swizzle();
        visit_i32x4_relaxed_trunc_f32x4_s => vector_unary(F32X4, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x));
        visit_i32x4_relaxed_trunc_f32x4_u => vector_unary(F32X4, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x));
        visit_i32x4_relaxed_trunc_f64x2_s_zero => vector_unary(F64X2, |b, x| trunc_sat_f64x2_zero(b, x, true));
        visit_i32x4_relaxed_trunc_f64x2_u_zero => vector_unary(F64X2, |b, x| trunc_sat_f64x2_zero(b, x, false));
        visit_f32x4_relaxed_madd => vector_ternary(F32X4, |b, x, y, z| b.ins().fma(x, y, z));
        visit_f64x2_relaxed_madd => vector_ternary(F64X2, |b, x, y, z| b.ins().fma(x, y, z));
        visit_f32x4_relaxed_nmadd => vector_ternary(F32X4, |b, x, y, z| {
            let minus_x = b.ins().fneg(x);
            b.ins().fma(minus_x, y, z)
        });
        visit_f64x2_relaxed_nmadd => vector_ternary(F64X2, |b, x, y, z| {
            let minus_x = b.ins().fneg(x);
            b.ins().fma(minus_x, y, z)
        });
        // wasm's operand order is (x, y, mask); Cranelift's is (mask, x, y).
        visit_i8x16_relaxed_laneselect => vector_ternary(I8X16, |b, x, y, m| b.ins().bitselect(m, x, y));
        visit_i16x8_relaxed_laneselect => vector_ternary(I16X8, |b, x, y, m| b.ins().bitselect(m, x, y));
        visit_i32x4_relaxed_laneselect => vector_ternary(I32X4, |b, x, y, m| b.ins().bitselect(m, x, y));
        visit_i64x2_relaxed_laneselect => vector_ternary(I64X2, |b, x, y, m| b.ins().bitselect(m, x, y));
        visit_f32x4_relaxed_min => vector_binary(F32X4, |b, x, y| b.ins().fmin(x, y));
        visit_f64x2_relaxed_min => vector_binary(F64X2, |b, x, y| b.ins().fmin(x, y));
        visit_f32x4_relaxed_max => vector_binary(F32X4, |b, x, y| b.ins().fmax(x, y));
        visit_f64x2_relaxed_max => vector_binary(F64X2, |b, x, y| b.ins().fmax(x, y));
        visit_i16x8_relaxed_q15mulr_s => vector_binary(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y));
        visit_i16x8_relaxed_dot_i8x16_i7x16_s => vector_binary(I8X16, dot);
        visit_i32x4_relaxed_dot_i8x16_i7x16_add_s => relaxed_dot_add();
    }

    fn relaxed_swizzle(&mut self) {
        let (x, indices) = self.pop_vectors2(I8X16);
        let result = self.swizzle(x, indices);
        self.push_vector(result);
    }

    /// `i32x4.relaxed_dot_i8x16_i7x16_add_s`: each `i32` lane is the exact sum of the four
    /// signed `i8 × i8` products covering it, plus the lane of the third operand.
    fn relaxed_dot_add(&mut self) {
        let acc = self.pop_vector(I32X4);
        let (x, y) = self.pop_vectors2(I8X16);
        let b = &mut self.builder;
        let mut sums = [extmul(b, x, y, false, true), extmul(b, x, y, true, true)];
        for products in &mut sums {
            let low = b.ins().swiden_low(*products);
            let high = b.ins().swiden_high(*products);
            *products = b.ins().iadd_pairwise(low, high);
        }
        let quads = b.ins().iadd_pairwise(sums[0], sums[1]);
        let result = b.ins().iadd(quads, acc);
        self.push_vector(result);
    }
}
