//! Numeric operators: constants, integer and float arithmetic, comparisons, conversions,
//! sign extension and saturating truncation.
//!
//! Semantics notes:
//! - shifts and rotates: Cranelift takes the amount modulo the bit width, like wasm;
//! - `fmin`/`fmax`: NaN if either operand is NaN, `-0 < +0`, like wasm;
//! - `fcvt_to_{s,u}int` trap with `BAD_CONVERSION_TO_INTEGER` on NaN and
//!   `INTEGER_OVERFLOW` when out of range; the `_sat` forms saturate (NaN → 0);
//! - division and remainder go through the environment, which adds the explicit checks.

use super::Translator;
use crate::env::DivRem;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};
use cranelift_frontend::FunctionBuilder;
use wasmparser::{Ieee32 as WasmIeee32, Ieee64 as WasmIeee64};

use types::{F32, F64, I8, I16, I32, I64};

/// Defines one method per numeric operator, each a call of an operand-stack helper.
macro_rules! numeric_operators {
    ($( $visit:ident => $helper:ident($($arg:expr),*); )*) => {
        $( pub(super) fn $visit(&mut self) { self.$helper($($arg),*); } )*
    };
}

impl<'a> Translator<'a, '_> {
    // ---- constants ---------------------------------------------------------------------

    pub(super) fn visit_i32_const(&mut self, value: i32) {
        let v = self.builder.ins().iconst(I32, i64::from(value as u32));
        self.push1(v);
    }

    pub(super) fn visit_i64_const(&mut self, value: i64) {
        let v = self.builder.ins().iconst(I64, value);
        self.push1(v);
    }

    pub(super) fn visit_f32_const(&mut self, value: WasmIeee32) {
        let v = self.builder.ins().f32const(Ieee32::with_bits(value.bits()));
        self.push1(v);
    }

    pub(super) fn visit_f64_const(&mut self, value: WasmIeee64) {
        let v = self.builder.ins().f64const(Ieee64::with_bits(value.bits()));
        self.push1(v);
    }

    numeric_operators! {
        // ---- integer comparisons -------------------------------------------------------
        visit_i32_eqz => eqz();
        visit_i64_eqz => eqz();
        visit_i32_eq => icmp(IntCC::Equal);
        visit_i64_eq => icmp(IntCC::Equal);
        visit_i32_ne => icmp(IntCC::NotEqual);
        visit_i64_ne => icmp(IntCC::NotEqual);
        visit_i32_lt_s => icmp(IntCC::SignedLessThan);
        visit_i64_lt_s => icmp(IntCC::SignedLessThan);
        visit_i32_lt_u => icmp(IntCC::UnsignedLessThan);
        visit_i64_lt_u => icmp(IntCC::UnsignedLessThan);
        visit_i32_gt_s => icmp(IntCC::SignedGreaterThan);
        visit_i64_gt_s => icmp(IntCC::SignedGreaterThan);
        visit_i32_gt_u => icmp(IntCC::UnsignedGreaterThan);
        visit_i64_gt_u => icmp(IntCC::UnsignedGreaterThan);
        visit_i32_le_s => icmp(IntCC::SignedLessThanOrEqual);
        visit_i64_le_s => icmp(IntCC::SignedLessThanOrEqual);
        visit_i32_le_u => icmp(IntCC::UnsignedLessThanOrEqual);
        visit_i64_le_u => icmp(IntCC::UnsignedLessThanOrEqual);
        visit_i32_ge_s => icmp(IntCC::SignedGreaterThanOrEqual);
        visit_i64_ge_s => icmp(IntCC::SignedGreaterThanOrEqual);
        visit_i32_ge_u => icmp(IntCC::UnsignedGreaterThanOrEqual);
        visit_i64_ge_u => icmp(IntCC::UnsignedGreaterThanOrEqual);

        // ---- float comparisons (ordered, except `ne` which is true on NaN) ------------
        visit_f32_eq => fcmp(FloatCC::Equal);
        visit_f64_eq => fcmp(FloatCC::Equal);
        visit_f32_ne => fcmp(FloatCC::NotEqual);
        visit_f64_ne => fcmp(FloatCC::NotEqual);
        visit_f32_lt => fcmp(FloatCC::LessThan);
        visit_f64_lt => fcmp(FloatCC::LessThan);
        visit_f32_gt => fcmp(FloatCC::GreaterThan);
        visit_f64_gt => fcmp(FloatCC::GreaterThan);
        visit_f32_le => fcmp(FloatCC::LessThanOrEqual);
        visit_f64_le => fcmp(FloatCC::LessThanOrEqual);
        visit_f32_ge => fcmp(FloatCC::GreaterThanOrEqual);
        visit_f64_ge => fcmp(FloatCC::GreaterThanOrEqual);

        // ---- integer arithmetic --------------------------------------------------------
        visit_i32_clz => unary(|b, x| b.ins().clz(x));
        visit_i64_clz => unary(|b, x| b.ins().clz(x));
        visit_i32_ctz => unary(|b, x| b.ins().ctz(x));
        visit_i64_ctz => unary(|b, x| b.ins().ctz(x));
        visit_i32_popcnt => unary(|b, x| b.ins().popcnt(x));
        visit_i64_popcnt => unary(|b, x| b.ins().popcnt(x));
        visit_i32_add => binary(|b, x, y| b.ins().iadd(x, y));
        visit_i64_add => binary(|b, x, y| b.ins().iadd(x, y));
        visit_i32_sub => binary(|b, x, y| b.ins().isub(x, y));
        visit_i64_sub => binary(|b, x, y| b.ins().isub(x, y));
        visit_i32_mul => binary(|b, x, y| b.ins().imul(x, y));
        visit_i64_mul => binary(|b, x, y| b.ins().imul(x, y));
        visit_i32_div_s => div_rem(DivRem::SDiv);
        visit_i64_div_s => div_rem(DivRem::SDiv);
        visit_i32_div_u => div_rem(DivRem::UDiv);
        visit_i64_div_u => div_rem(DivRem::UDiv);
        visit_i32_rem_s => div_rem(DivRem::SRem);
        visit_i64_rem_s => div_rem(DivRem::SRem);
        visit_i32_rem_u => div_rem(DivRem::URem);
        visit_i64_rem_u => div_rem(DivRem::URem);
        visit_i32_and => binary(|b, x, y| b.ins().band(x, y));
        visit_i64_and => binary(|b, x, y| b.ins().band(x, y));
        visit_i32_or => binary(|b, x, y| b.ins().bor(x, y));
        visit_i64_or => binary(|b, x, y| b.ins().bor(x, y));
        visit_i32_xor => binary(|b, x, y| b.ins().bxor(x, y));
        visit_i64_xor => binary(|b, x, y| b.ins().bxor(x, y));
        visit_i32_shl => binary(|b, x, y| b.ins().ishl(x, y));
        visit_i64_shl => binary(|b, x, y| b.ins().ishl(x, y));
        visit_i32_shr_s => binary(|b, x, y| b.ins().sshr(x, y));
        visit_i64_shr_s => binary(|b, x, y| b.ins().sshr(x, y));
        visit_i32_shr_u => binary(|b, x, y| b.ins().ushr(x, y));
        visit_i64_shr_u => binary(|b, x, y| b.ins().ushr(x, y));
        visit_i32_rotl => binary(|b, x, y| b.ins().rotl(x, y));
        visit_i64_rotl => binary(|b, x, y| b.ins().rotl(x, y));
        visit_i32_rotr => binary(|b, x, y| b.ins().rotr(x, y));
        visit_i64_rotr => binary(|b, x, y| b.ins().rotr(x, y));

        // ---- float arithmetic ----------------------------------------------------------
        visit_f32_abs => unary(|b, x| b.ins().fabs(x));
        visit_f64_abs => unary(|b, x| b.ins().fabs(x));
        visit_f32_neg => unary(|b, x| b.ins().fneg(x));
        visit_f64_neg => unary(|b, x| b.ins().fneg(x));
        visit_f32_ceil => unary(|b, x| b.ins().ceil(x));
        visit_f64_ceil => unary(|b, x| b.ins().ceil(x));
        visit_f32_floor => unary(|b, x| b.ins().floor(x));
        visit_f64_floor => unary(|b, x| b.ins().floor(x));
        visit_f32_trunc => unary(|b, x| b.ins().trunc(x));
        visit_f64_trunc => unary(|b, x| b.ins().trunc(x));
        visit_f32_nearest => unary(|b, x| b.ins().nearest(x));
        visit_f64_nearest => unary(|b, x| b.ins().nearest(x));
        visit_f32_sqrt => unary(|b, x| b.ins().sqrt(x));
        visit_f64_sqrt => unary(|b, x| b.ins().sqrt(x));
        visit_f32_add => binary(|b, x, y| b.ins().fadd(x, y));
        visit_f64_add => binary(|b, x, y| b.ins().fadd(x, y));
        visit_f32_sub => binary(|b, x, y| b.ins().fsub(x, y));
        visit_f64_sub => binary(|b, x, y| b.ins().fsub(x, y));
        visit_f32_mul => binary(|b, x, y| b.ins().fmul(x, y));
        visit_f64_mul => binary(|b, x, y| b.ins().fmul(x, y));
        visit_f32_div => binary(|b, x, y| b.ins().fdiv(x, y));
        visit_f64_div => binary(|b, x, y| b.ins().fdiv(x, y));
        visit_f32_min => binary(|b, x, y| b.ins().fmin(x, y));
        visit_f64_min => binary(|b, x, y| b.ins().fmin(x, y));
        visit_f32_max => binary(|b, x, y| b.ins().fmax(x, y));
        visit_f64_max => binary(|b, x, y| b.ins().fmax(x, y));
        visit_f32_copysign => binary(|b, x, y| b.ins().fcopysign(x, y));
        visit_f64_copysign => binary(|b, x, y| b.ins().fcopysign(x, y));

        // ---- integer width conversions -------------------------------------------------
        visit_i32_wrap_i64 => unary(|b, x| b.ins().ireduce(I32, x));
        visit_i64_extend_i32_s => unary(|b, x| b.ins().sextend(I64, x));
        visit_i64_extend_i32_u => unary(|b, x| b.ins().uextend(I64, x));
        visit_i32_extend8_s => sign_extend(I8, I32);
        visit_i32_extend16_s => sign_extend(I16, I32);
        visit_i64_extend8_s => sign_extend(I8, I64);
        visit_i64_extend16_s => sign_extend(I16, I64);
        visit_i64_extend32_s => sign_extend(I32, I64);

        // ---- float to integer (trapping) -----------------------------------------------
        visit_i32_trunc_f32_s => unary(|b, x| b.ins().fcvt_to_sint(I32, x));
        visit_i32_trunc_f64_s => unary(|b, x| b.ins().fcvt_to_sint(I32, x));
        visit_i32_trunc_f32_u => unary(|b, x| b.ins().fcvt_to_uint(I32, x));
        visit_i32_trunc_f64_u => unary(|b, x| b.ins().fcvt_to_uint(I32, x));
        visit_i64_trunc_f32_s => unary(|b, x| b.ins().fcvt_to_sint(I64, x));
        visit_i64_trunc_f64_s => unary(|b, x| b.ins().fcvt_to_sint(I64, x));
        visit_i64_trunc_f32_u => unary(|b, x| b.ins().fcvt_to_uint(I64, x));
        visit_i64_trunc_f64_u => unary(|b, x| b.ins().fcvt_to_uint(I64, x));

        // ---- float to integer (saturating) ---------------------------------------------
        visit_i32_trunc_sat_f32_s => unary(|b, x| b.ins().fcvt_to_sint_sat(I32, x));
        visit_i32_trunc_sat_f64_s => unary(|b, x| b.ins().fcvt_to_sint_sat(I32, x));
        visit_i32_trunc_sat_f32_u => unary(|b, x| b.ins().fcvt_to_uint_sat(I32, x));
        visit_i32_trunc_sat_f64_u => unary(|b, x| b.ins().fcvt_to_uint_sat(I32, x));
        visit_i64_trunc_sat_f32_s => unary(|b, x| b.ins().fcvt_to_sint_sat(I64, x));
        visit_i64_trunc_sat_f64_s => unary(|b, x| b.ins().fcvt_to_sint_sat(I64, x));
        visit_i64_trunc_sat_f32_u => unary(|b, x| b.ins().fcvt_to_uint_sat(I64, x));
        visit_i64_trunc_sat_f64_u => unary(|b, x| b.ins().fcvt_to_uint_sat(I64, x));

        // ---- integer to float, float width ---------------------------------------------
        visit_f32_convert_i32_s => unary(|b, x| b.ins().fcvt_from_sint(F32, x));
        visit_f32_convert_i64_s => unary(|b, x| b.ins().fcvt_from_sint(F32, x));
        visit_f32_convert_i32_u => unary(|b, x| b.ins().fcvt_from_uint(F32, x));
        visit_f32_convert_i64_u => unary(|b, x| b.ins().fcvt_from_uint(F32, x));
        visit_f64_convert_i32_s => unary(|b, x| b.ins().fcvt_from_sint(F64, x));
        visit_f64_convert_i64_s => unary(|b, x| b.ins().fcvt_from_sint(F64, x));
        visit_f64_convert_i32_u => unary(|b, x| b.ins().fcvt_from_uint(F64, x));
        visit_f64_convert_i64_u => unary(|b, x| b.ins().fcvt_from_uint(F64, x));
        visit_f32_demote_f64 => unary(|b, x| b.ins().fdemote(F32, x));
        visit_f64_promote_f32 => unary(|b, x| b.ins().fpromote(F64, x));

        // ---- reinterpretations ---------------------------------------------------------
        visit_i32_reinterpret_f32 => bitcast(I32);
        visit_i64_reinterpret_f64 => bitcast(I64);
        visit_f32_reinterpret_i32 => bitcast(F32);
        visit_f64_reinterpret_i64 => bitcast(F64);
    }

    /// `eqz`: 1 if the operand is zero.
    fn eqz(&mut self) {
        self.unary(|b, x| {
            let c = b.ins().icmp_imm_s(IntCC::Equal, x, 0);
            b.ins().uextend(I32, c)
        });
    }

    fn unary(&mut self, f: impl FnOnce(&mut FunctionBuilder<'a>, Value) -> Value) {
        let x = self.pop1();
        let result = f(&mut self.builder, x);
        self.push1(result);
    }

    fn binary(&mut self, f: impl FnOnce(&mut FunctionBuilder<'a>, Value, Value) -> Value) {
        let (x, y) = self.pop2();
        let result = f(&mut self.builder, x, y);
        self.push1(result);
    }

    fn icmp(&mut self, cc: IntCC) {
        self.binary(|b, x, y| {
            let c = b.ins().icmp(cc, x, y);
            b.ins().uextend(I32, c)
        });
    }

    fn fcmp(&mut self, cc: FloatCC) {
        self.binary(|b, x, y| {
            let c = b.ins().fcmp(cc, x, y);
            b.ins().uextend(I32, c)
        });
    }

    fn div_rem(&mut self, op: DivRem) {
        let (x, y) = self.pop2();
        let result = self.env.div_rem(&mut self.builder, op, x, y);
        self.push1(result);
    }

    /// Sign-extends the low `from` bits of the operand to `to`.
    fn sign_extend(&mut self, from: Type, to: Type) {
        self.unary(|b, x| {
            let narrow = b.ins().ireduce(from, x);
            b.ins().sextend(to, narrow)
        });
    }

    fn bitcast(&mut self, to: Type) {
        self.unary(|b, x| b.ins().bitcast(to, MemFlagsData::new(), x));
    }
}
