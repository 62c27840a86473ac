//! Lane-wise arithmetic: integer and float operators, comparisons, shifts, narrowing and
//! widening, conversions.
//!
//! Cranelift's vector instructions were made for wasm, and most have its semantics
//! exactly (as wasmtime relies on): shift amounts are taken modulo the lane width, `fmin` /
//! `fmax` propagate NaN and order `-0 < +0`, `swiden_*` / `snarrow` / `unarrow` saturate
//! as wasm's narrowing does, `sqmul_round_sat` is `q15mulr_sat_s`, `fcvt_to_*int_sat`
//! saturates with NaN → 0. Where wasm's operator has no single instruction it is lowered
//! as wasmtime lowers it: `pmin` / `pmax` are a compare and a `bitselect` (the shape the
//! x64 backend matches to `minps` / `maxps`), `dot` / `extadd_pairwise` / `extmul` are
//! widening multiplies and pairwise adds, and the `_zero` conversions narrow against a
//! zero vector.

use super::{Translator, vector_const, vector_operators};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, Type, Value, types};
use cranelift_frontend::FunctionBuilder;

use types::{F32X4, F64X2, I8X16, I16X8, I32X4, I64X2};

/// Widens both halves of `x` and adds neighbouring lanes (`extadd_pairwise`).
fn extadd_pairwise(b: &mut FunctionBuilder<'_>, x: Value, signed: bool) -> Value {
    let (low, high) = if signed {
        (b.ins().swiden_low(x), b.ins().swiden_high(x))
    } else {
        (b.ins().uwiden_low(x), b.ins().uwiden_high(x))
    };
    b.ins().iadd_pairwise(low, high)
}

/// The lane-wise product of the widened low (or high) halves of `x` and `y` (`extmul`).
pub(super) fn extmul(
    b: &mut FunctionBuilder<'_>,
    x: Value,
    y: Value,
    high: bool,
    signed: bool,
) -> Value {
    let (x, y) = match (high, signed) {
        (false, true) => (b.ins().swiden_low(x), b.ins().swiden_low(y)),
        (true, true) => (b.ins().swiden_high(x), b.ins().swiden_high(y)),
        (false, false) => (b.ins().uwiden_low(x), b.ins().uwiden_low(y)),
        (true, false) => (b.ins().uwiden_high(x), b.ins().uwiden_high(y)),
    };
    b.ins().imul(x, y)
}

/// Signed products of neighbouring lanes, widened and added pairwise (`i32x4.dot_i16x8_s`,
/// and the relaxed `i16x8` dot product on `i8x16`).
pub(super) fn dot(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    let low = extmul(b, x, y, false, true);
    let high = extmul(b, x, y, true, true);
    b.ins().iadd_pairwise(low, high)
}

/// `pmin` (`y < x ? y : x`) or `pmax` (`x < y ? y : x`), in the operand order the x64
/// backend turns into `minps`/`maxps`.
fn pseudo_min_max(b: &mut FunctionBuilder<'_>, ty: Type, x: Value, y: Value, max: bool) -> Value {
    let less = if max {
        b.ins().fcmp(FloatCC::LessThan, x, y)
    } else {
        b.ins().fcmp(FloatCC::LessThan, y, x)
    };
    let mask = b.ins().bitcast(ty, super::bitcast_flags(), less);
    b.ins().bitselect(mask, y, x)
}

/// `i32x4.trunc_sat_f64x2_{s,u}_zero`: both lanes saturated to 32 bits, upper lanes zero.
pub(super) fn trunc_sat_f64x2_zero(b: &mut FunctionBuilder<'_>, x: Value, signed: bool) -> Value {
    let zero = vector_const(b, I64X2, 0);
    if signed {
        let wide = b.ins().fcvt_to_sint_sat(I64X2, x);
        b.ins().snarrow(wide, zero)
    } else {
        let wide = b.ins().fcvt_to_uint_sat(I64X2, x);
        b.ins().uunarrow(wide, zero)
    }
}

impl<'a> Translator<'a, '_> {
    vector_operators! {
        // ---- integer arithmetic --------------------------------------------------------
        visit_i8x16_add => vector_binary(I8X16, |b, x, y| b.ins().iadd(x, y));
        visit_i16x8_add => vector_binary(I16X8, |b, x, y| b.ins().iadd(x, y));
        visit_i32x4_add => vector_binary(I32X4, |b, x, y| b.ins().iadd(x, y));
        visit_i64x2_add => vector_binary(I64X2, |b, x, y| b.ins().iadd(x, y));
        visit_i8x16_sub => vector_binary(I8X16, |b, x, y| b.ins().isub(x, y));
        visit_i16x8_sub => vector_binary(I16X8, |b, x, y| b.ins().isub(x, y));
        visit_i32x4_sub => vector_binary(I32X4, |b, x, y| b.ins().isub(x, y));
        visit_i64x2_sub => vector_binary(I64X2, |b, x, y| b.ins().isub(x, y));
        visit_i16x8_mul => vector_binary(I16X8, |b, x, y| b.ins().imul(x, y));
        visit_i32x4_mul => vector_binary(I32X4, |b, x, y| b.ins().imul(x, y));
        visit_i64x2_mul => vector_binary(I64X2, |b, x, y| b.ins().imul(x, y));
        visit_i8x16_neg => vector_unary(I8X16, |b, x| b.ins().ineg(x));
        visit_i16x8_neg => vector_unary(I16X8, |b, x| b.ins().ineg(x));
        visit_i32x4_neg => vector_unary(I32X4, |b, x| b.ins().ineg(x));
        visit_i64x2_neg => vector_unary(I64X2, |b, x| b.ins().ineg(x));
        visit_i8x16_abs => vector_unary(I8X16, |b, x| b.ins().iabs(x));
        visit_i16x8_abs => vector_unary(I16X8, |b, x| b.ins().iabs(x));
        visit_i32x4_abs => vector_unary(I32X4, |b, x| b.ins().iabs(x));
        visit_i64x2_abs => vector_unary(I64X2, |b, x| b.ins().iabs(x));
        visit_i8x16_popcnt => vector_unary(I8X16, |b, x| b.ins().popcnt(x));
        visit_i8x16_add_sat_s => vector_binary(I8X16, |b, x, y| b.ins().sadd_sat(x, y));
        visit_i16x8_add_sat_s => vector_binary(I16X8, |b, x, y| b.ins().sadd_sat(x, y));
        visit_i8x16_add_sat_u => vector_binary(I8X16, |b, x, y| b.ins().uadd_sat(x, y));
        visit_i16x8_add_sat_u => vector_binary(I16X8, |b, x, y| b.ins().uadd_sat(x, y));
        visit_i8x16_sub_sat_s => vector_binary(I8X16, |b, x, y| b.ins().ssub_sat(x, y));
        visit_i16x8_sub_sat_s => vector_binary(I16X8, |b, x, y| b.ins().ssub_sat(x, y));
        visit_i8x16_sub_sat_u => vector_binary(I8X16, |b, x, y| b.ins().usub_sat(x, y));
        visit_i16x8_sub_sat_u => vector_binary(I16X8, |b, x, y| b.ins().usub_sat(x, y));
        visit_i8x16_min_s => vector_binary(I8X16, |b, x, y| b.ins().smin(x, y));
        visit_i16x8_min_s => vector_binary(I16X8, |b, x, y| b.ins().smin(x, y));
        visit_i32x4_min_s => vector_binary(I32X4, |b, x, y| b.ins().smin(x, y));
        visit_i8x16_min_u => vector_binary(I8X16, |b, x, y| b.ins().umin(x, y));
        visit_i16x8_min_u => vector_binary(I16X8, |b, x, y| b.ins().umin(x, y));
        visit_i32x4_min_u => vector_binary(I32X4, |b, x, y| b.ins().umin(x, y));
        visit_i8x16_max_s => vector_binary(I8X16, |b, x, y| b.ins().smax(x, y));
        visit_i16x8_max_s => vector_binary(I16X8, |b, x, y| b.ins().smax(x, y));
        visit_i32x4_max_s => vector_binary(I32X4, |b, x, y| b.ins().smax(x, y));
        visit_i8x16_max_u => vector_binary(I8X16, |b, x, y| b.ins().umax(x, y));
        visit_i16x8_max_u => vector_binary(I16X8, |b, x, y| b.ins().umax(x, y));
        visit_i32x4_max_u => vector_binary(I32X4, |b, x, y| b.ins().umax(x, y));
        visit_i8x16_avgr_u => vector_binary(I8X16, |b, x, y| b.ins().avg_round(x, y));
        visit_i16x8_avgr_u => vector_binary(I16X8, |b, x, y| b.ins().avg_round(x, y));
        visit_i16x8_q15mulr_sat_s => vector_binary(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y));
        visit_i32x4_dot_i16x8_s => vector_binary(I16X8, dot);

        // ---- widening arithmetic -------------------------------------------------------
        visit_i16x8_extadd_pairwise_i8x16_s => vector_unary(I8X16, |b, x| extadd_pairwise(b, x, true));
        visit_i16x8_extadd_pairwise_i8x16_u => vector_unary(I8X16, |b, x| extadd_pairwise(b, x, false));
        visit_i32x4_extadd_pairwise_i16x8_s => vector_unary(I16X8, |b, x| extadd_pairwise(b, x, true));
        visit_i32x4_extadd_pairwise_i16x8_u => vector_unary(I16X8, |b, x| extadd_pairwise(b, x, false));
        visit_i16x8_extmul_low_i8x16_s => vector_binary(I8X16, |b, x, y| extmul(b, x, y, false, true));
        visit_i16x8_extmul_high_i8x16_s => vector_binary(I8X16, |b, x, y| extmul(b, x, y, true, true));
        visit_i16x8_extmul_low_i8x16_u => vector_binary(I8X16, |b, x, y| extmul(b, x, y, false, false));
        visit_i16x8_extmul_high_i8x16_u => vector_binary(I8X16, |b, x, y| extmul(b, x, y, true, false));
        visit_i32x4_extmul_low_i16x8_s => vector_binary(I16X8, |b, x, y| extmul(b, x, y, false, true));
        visit_i32x4_extmul_high_i16x8_s => vector_binary(I16X8, |b, x, y| extmul(b, x, y, true, true));
        visit_i32x4_extmul_low_i16x8_u => vector_binary(I16X8, |b, x, y| extmul(b, x, y, false, false));
        visit_i32x4_extmul_high_i16x8_u => vector_binary(I16X8, |b, x, y| extmul(b, x, y, true, false));
        visit_i64x2_extmul_low_i32x4_s => vector_binary(I32X4, |b, x, y| extmul(b, x, y, false, true));
        visit_i64x2_extmul_high_i32x4_s => vector_binary(I32X4, |b, x, y| extmul(b, x, y, true, true));
        visit_i64x2_extmul_low_i32x4_u => vector_binary(I32X4, |b, x, y| extmul(b, x, y, false, false));
        visit_i64x2_extmul_high_i32x4_u => vector_binary(I32X4, |b, x, y| extmul(b, x, y, true, false));

        // ---- shifts (amount modulo the lane width, in Cranelift as in wasm) ------------
        visit_i8x16_shl => shift(I8X16, |b, x, n| b.ins().ishl(x, n));
        visit_i16x8_shl => shift(I16X8, |b, x, n| b.ins().ishl(x, n));
        visit_i32x4_shl => shift(I32X4, |b, x, n| b.ins().ishl(x, n));
        visit_i64x2_shl => shift(I64X2, |b, x, n| b.ins().ishl(x, n));
        visit_i8x16_shr_s => shift(I8X16, |b, x, n| b.ins().sshr(x, n));
        visit_i16x8_shr_s => shift(I16X8, |b, x, n| b.ins().sshr(x, n));
        visit_i32x4_shr_s => shift(I32X4, |b, x, n| b.ins().sshr(x, n));
        visit_i64x2_shr_s => shift(I64X2, |b, x, n| b.ins().sshr(x, n));
        visit_i8x16_shr_u => shift(I8X16, |b, x, n| b.ins().ushr(x, n));
        visit_i16x8_shr_u => shift(I16X8, |b, x, n| b.ins().ushr(x, n));
        visit_i32x4_shr_u => shift(I32X4, |b, x, n| b.ins().ushr(x, n));
        visit_i64x2_shr_u => shift(I64X2, |b, x, n| b.ins().ushr(x, n));

        // ---- integer comparisons -------------------------------------------------------
        visit_i8x16_eq => vector_icmp(I8X16, IntCC::Equal);
        visit_i16x8_eq => vector_icmp(I16X8, IntCC::Equal);
        visit_i32x4_eq => vector_icmp(I32X4, IntCC::Equal);
        visit_i64x2_eq => vector_icmp(I64X2, IntCC::Equal);
        visit_i8x16_ne => vector_icmp(I8X16, IntCC::NotEqual);
        visit_i16x8_ne => vector_icmp(I16X8, IntCC::NotEqual);
        visit_i32x4_ne => vector_icmp(I32X4, IntCC::NotEqual);
        visit_i64x2_ne => vector_icmp(I64X2, IntCC::NotEqual);
        visit_i8x16_lt_s => vector_icmp(I8X16, IntCC::SignedLessThan);
        visit_i16x8_lt_s => vector_icmp(I16X8, IntCC::SignedLessThan);
        visit_i32x4_lt_s => vector_icmp(I32X4, IntCC::SignedLessThan);
        visit_i64x2_lt_s => vector_icmp(I64X2, IntCC::SignedLessThan);
        visit_i8x16_lt_u => vector_icmp(I8X16, IntCC::UnsignedLessThan);
        visit_i16x8_lt_u => vector_icmp(I16X8, IntCC::UnsignedLessThan);
        visit_i32x4_lt_u => vector_icmp(I32X4, IntCC::UnsignedLessThan);
        visit_i8x16_gt_s => vector_icmp(I8X16, IntCC::SignedGreaterThan);
        visit_i16x8_gt_s => vector_icmp(I16X8, IntCC::SignedGreaterThan);
        visit_i32x4_gt_s => vector_icmp(I32X4, IntCC::SignedGreaterThan);
        visit_i64x2_gt_s => vector_icmp(I64X2, IntCC::SignedGreaterThan);
        visit_i8x16_gt_u => vector_icmp(I8X16, IntCC::UnsignedGreaterThan);
        visit_i16x8_gt_u => vector_icmp(I16X8, IntCC::UnsignedGreaterThan);
        visit_i32x4_gt_u => vector_icmp(I32X4, IntCC::UnsignedGreaterThan);
        visit_i8x16_le_s => vector_icmp(I8X16, IntCC::SignedLessThanOrEqual);
        visit_i16x8_le_s => vector_icmp(I16X8, IntCC::SignedLessThanOrEqual);
        visit_i32x4_le_s => vector_icmp(I32X4, IntCC::SignedLessThanOrEqual);
        visit_i64x2_le_s => vector_icmp(I64X2, IntCC::SignedLessThanOrEqual);
        visit_i8x16_le_u => vector_icmp(I8X16, IntCC::UnsignedLessThanOrEqual);
        visit_i16x8_le_u => vector_icmp(I16X8, IntCC::UnsignedLessThanOrEqual);
        visit_i32x4_le_u => vector_icmp(I32X4, IntCC::UnsignedLessThanOrEqual);
        visit_i8x16_ge_s => vector_icmp(I8X16, IntCC::SignedGreaterThanOrEqual);
        visit_i16x8_ge_s => vector_icmp(I16X8, IntCC::SignedGreaterThanOrEqual);
        visit_i32x4_ge_s => vector_icmp(I32X4, IntCC::SignedGreaterThanOrEqual);
        visit_i64x2_ge_s => vector_icmp(I64X2, IntCC::SignedGreaterThanOrEqual);
        visit_i8x16_ge_u => vector_icmp(I8X16, IntCC::UnsignedGreaterThanOrEqual);
        visit_i16x8_ge_u => vector_icmp(I16X8, IntCC::UnsignedGreaterThanOrEqual);
        visit_i32x4_ge_u => vector_icmp(I32X4, IntCC::UnsignedGreaterThanOrEqual);

        // ---- float comparisons (ordered, except `ne`, true on NaN) ---------------------
        visit_f32x4_eq => vector_fcmp(F32X4, FloatCC::Equal);
        visit_f64x2_eq => vector_fcmp(F64X2, FloatCC::Equal);
        visit_f32x4_ne => vector_fcmp(F32X4, FloatCC::NotEqual);
        visit_f64x2_ne => vector_fcmp(F64X2, FloatCC::NotEqual);
        visit_f32x4_lt => vector_fcmp(F32X4, FloatCC::LessThan);
        visit_f64x2_lt => vector_fcmp(F64X2, FloatCC::LessThan);
        visit_f32x4_gt => vector_fcmp(F32X4, FloatCC::GreaterThan);
        visit_f64x2_gt => vector_fcmp(F64X2, FloatCC::GreaterThan);
        visit_f32x4_le => vector_fcmp(F32X4, FloatCC::LessThanOrEqual);
        visit_f64x2_le => vector_fcmp(F64X2, FloatCC::LessThanOrEqual);
        visit_f32x4_ge => vector_fcmp(F32X4, FloatCC::GreaterThanOrEqual);
        visit_f64x2_ge => vector_fcmp(F64X2, FloatCC::GreaterThanOrEqual);

        // ---- float arithmetic ----------------------------------------------------------
        visit_f32x4_add => vector_binary(F32X4, |b, x, y| b.ins().fadd(x, y));
        visit_f64x2_add => vector_binary(F64X2, |b, x, y| b.ins().fadd(x, y));
        visit_f32x4_sub => vector_binary(F32X4, |b, x, y| b.ins().fsub(x, y));
        visit_f64x2_sub => vector_binary(F64X2, |b, x, y| b.ins().fsub(x, y));
        visit_f32x4_mul => vector_binary(F32X4, |b, x, y| b.ins().fmul(x, y));
        visit_f64x2_mul => vector_binary(F64X2, |b, x, y| b.ins().fmul(x, y));
        visit_f32x4_div => vector_binary(F32X4, |b, x, y| b.ins().fdiv(x, y));
        visit_f64x2_div => vector_binary(F64X2, |b, x, y| b.ins().fdiv(x, y));
        visit_f32x4_min => vector_binary(F32X4, |b, x, y| b.ins().fmin(x, y));
        visit_f64x2_min => vector_binary(F64X2, |b, x, y| b.ins().fmin(x, y));
        visit_f32x4_max => vector_binary(F32X4, |b, x, y| b.ins().fmax(x, y));
        visit_f64x2_max => vector_binary(F64X2, |b, x, y| b.ins().fmax(x, y));
        visit_f32x4_pmin => vector_binary(F32X4, |b, x, y| pseudo_min_max(b, F32X4, x, y, false));
        visit_f64x2_pmin => vector_binary(F64X2, |b, x, y| pseudo_min_max(b, F64X2, x, y, false));
        visit_f32x4_pmax => vector_binary(F32X4, |b, x, y| pseudo_min_max(b, F32X4, x, y, true));
        visit_f64x2_pmax => vector_binary(F64X2, |b, x, y| pseudo_min_max(b, F64X2, x, y, true));
        visit_f32x4_sqrt => vector_unary(F32X4, |b, x| b.ins().sqrt(x));
        visit_f64x2_sqrt => vector_unary(F64X2, |b, x| b.ins().sqrt(x));
        visit_f32x4_neg => vector_unary(F32X4, |b, x| b.ins().fneg(x));
        visit_f64x2_neg => vector_unary(F64X2, |b, x| b.ins().fneg(x));
        visit_f32x4_abs => vector_unary(F32X4, |b, x| b.ins().fabs(x));
        visit_f64x2_abs => vector_unary(F64X2, |b, x| b.ins().fabs(x));
        visit_f32x4_ceil => vector_unary(F32X4, |b, x| b.ins().ceil(x));
        visit_f64x2_ceil => vector_unary(F64X2, |b, x| b.ins().ceil(x));
        visit_f32x4_floor => vector_unary(F32X4, |b, x| b.ins().floor(x));
        visit_f64x2_floor => vector_unary(F64X2, |b, x| b.ins().floor(x));
        visit_f32x4_trunc => vector_unary(F32X4, |b, x| b.ins().trunc(x));
        visit_f64x2_trunc => vector_unary(F64X2, |b, x| b.ins().trunc(x));
        visit_f32x4_nearest => vector_unary(F32X4, |b, x| b.ins().nearest(x));
        visit_f64x2_nearest => vector_unary(F64X2, |b, x| b.ins().nearest(x));

        // ---- narrowing and widening ----------------------------------------------------
        visit_i8x16_narrow_i16x8_s => vector_binary(I16X8, |b, x, y| b.ins().snarrow(x, y));
        visit_i8x16_narrow_i16x8_u => vector_binary(I16X8, |b, x, y| b.ins().unarrow(x, y));
        visit_i16x8_narrow_i32x4_s => vector_binary(I32X4, |b, x, y| b.ins().snarrow(x, y));
        visit_i16x8_narrow_i32x4_u => vector_binary(I32X4, |b, x, y| b.ins().unarrow(x, y));
        visit_i16x8_extend_low_i8x16_s => vector_unary(I8X16, |b, x| b.ins().swiden_low(x));
        visit_i16x8_extend_high_i8x16_s => vector_unary(I8X16, |b, x| b.ins().swiden_high(x));
        visit_i16x8_extend_low_i8x16_u => vector_unary(I8X16, |b, x| b.ins().uwiden_low(x));
        visit_i16x8_extend_high_i8x16_u => vector_unary(I8X16, |b, x| b.ins().uwiden_high(x));
        visit_i32x4_extend_low_i16x8_s => vector_unary(I16X8, |b, x| b.ins().swiden_low(x));
        visit_i32x4_extend_high_i16x8_s => vector_unary(I16X8, |b, x| b.ins().swiden_high(x));
        visit_i32x4_extend_low_i16x8_u => vector_unary(I16X8, |b, x| b.ins().uwiden_low(x));
        visit_i32x4_extend_high_i16x8_u => vector_unary(I16X8, |b, x| b.ins().uwiden_high(x));
        visit_i64x2_extend_low_i32x4_s => vector_unary(I32X4, |b, x| b.ins().swiden_low(x));
        visit_i64x2_extend_high_i32x4_s => vector_unary(I32X4, |b, x| b.ins().swiden_high(x));
        visit_i64x2_extend_low_i32x4_u => vector_unary(I32X4, |b, x| b.ins().uwiden_low(x));
        visit_i64x2_extend_high_i32x4_u => vector_unary(I32X4, |b, x| b.ins().uwiden_high(x));

        // ---- conversions ---------------------------------------------------------------
        visit_i32x4_trunc_sat_f32x4_s => vector_unary(F32X4, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x));
        visit_i32x4_trunc_sat_f32x4_u => vector_unary(F32X4, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x));
        visit_i32x4_trunc_sat_f64x2_s_zero => vector_unary(F64X2, |b, x| trunc_sat_f64x2_zero(b, x, true));
        visit_i32x4_trunc_sat_f64x2_u_zero => vector_unary(F64X2, |b, x| trunc_sat_f64x2_zero(b, x, false));
        visit_f32x4_convert_i32x4_s => vector_unary(I32X4, |b, x| b.ins().fcvt_from_sint(F32X4, x));
        visit_f32x4_convert_i32x4_u => vector_unary(I32X4, |b, x| b.ins().fcvt_from_uint(F32X4, x));
        visit_f64x2_convert_low_i32x4_s => vector_unary(I32X4, |b, x| {
            let wide = b.ins().swiden_low(x);
            b.ins().fcvt_from_sint(F64X2, wide)
        });
        visit_f64x2_convert_low_i32x4_u => vector_unary(I32X4, |b, x| {
            let wide = b.ins().uwiden_low(x);
            b.ins().fcvt_from_uint(F64X2, wide)
        });
        visit_f32x4_demote_f64x2_zero => vector_unary(F64X2, |b, x| b.ins().fvdemote(x));
        visit_f64x2_promote_low_f32x4 => vector_unary(F32X4, |b, x| b.ins().fvpromote_low(x));
    }

    /// A shift of shape `ty` by the `i32` operand.
    fn shift(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder<'a>, Value, Value) -> Value) {
        let amount = self.pop1();
        let x = self.pop_vector(ty);
        let result = f(&mut self.builder, x, amount);
        self.push_vector(result);
    }

    /// An integer comparison: all-ones lanes where it holds.
    fn vector_icmp(&mut self, ty: Type, cond: IntCC) {
        self.vector_binary(ty, |b, x, y| b.ins().icmp(cond, x, y));
    }

    /// A float comparison: all-ones lanes where it holds.
    fn vector_fcmp(&mut self, ty: Type, cond: FloatCC) {
        self.vector_binary(ty, |b, x, y| b.ins().fcmp(cond, x, y));
    }
}
