//! Values passed between the host and wasm.

use crate::error::{Result, UsageError, ValueRole};
use crate::handles::Func;
pub use stagec_frontend::ValType;
use stagec_runtime::vm::ValRaw;

/// A host reference carried by `externref` values: an opaque 64-bit payload chosen by the
/// host (`u64::MAX` is reserved).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternRef(pub u64);

impl ExternRef {
    pub(crate) fn to_raw(this: Option<ExternRef>) -> usize {
        match this {
            None => 0,
            Some(r) => r.0.wrapping_add(1) as usize,
        }
    }
    pub(crate) fn from_raw(raw: usize) -> Option<ExternRef> {
        (raw != 0).then(|| ExternRef((raw as u64).wrapping_sub(1)))
    }
}

/// A WebAssembly value.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    /// i32
    I32(i32),
    /// i64
    I64(i64),
    /// f32, as IEEE bits (so NaN payloads survive).
    F32(u32),
    /// f64, as IEEE bits.
    F64(u64),
    /// v128, as its 16 bytes read little-endian (lane 0 in the low bits).
    V128(u128),
    /// funcref (None = null)
    FuncRef(Option<Func>),
    /// externref (None = null)
    ExternRef(Option<ExternRef>),
}

impl Val {
    /// Parses a value of type `ty` as written on a command line or in a manifest:
    /// integers in decimal or `0x` hex with an optional sign and `_` separators (an i32
    /// may be given unsigned, up to 2^32 − 1; an i64 up to 2^64 − 1), floats as Rust
    /// parses them (`nan`, `inf`, `-inf` included), `null` for a reference, and `N` for
    /// `externref` N. A `v128` is either `0x` and up to 32 hex digits, the vector as one
    /// little-endian 128-bit number (lane 0 in the low bits), or a lane shape and its lanes,
    /// lane 0 first: `i32x4:1,2,3,4` (shapes `i8x16`, `i16x8`, `i32x4`, `i64x2`, `f32x4`,
    /// `f64x2`; integer lanes signed or unsigned, float lanes as above). A malformed value
    /// is an [`Error::Usage`](crate::Error::Usage).
    pub fn parse(text: &str, ty: ValType) -> Result<Val> {
        let invalid = || UsageError::InvalidValue {
            ty,
            text: text.to_string(),
        };
        Ok(match ty {
            ValType::I32 => {
                let v = parse_int(text).ok_or_else(invalid)?;
                if !(i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&v) {
                    return Err(invalid().into());
                }
                Val::I32(v as u32 as i32)
            }
            ValType::I64 => {
                let v = parse_int(text).ok_or_else(invalid)?;
                if !(i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&v) {
                    return Err(invalid().into());
                }
                Val::I64(v as u64 as i64)
            }
            ValType::F32 => Val::F32(text.parse::<f32>().map_err(|_| invalid())?.to_bits()),
            ValType::F64 => Val::F64(text.parse::<f64>().map_err(|_| invalid())?.to_bits()),
            ValType::V128 => Val::V128(parse_v128(text).ok_or_else(invalid)?),
            ValType::FuncRef if text == "null" => Val::FuncRef(None),
            ValType::FuncRef => {
                return Err(UsageError::FuncRefValue {
                    text: text.to_string(),
                }
                .into());
            }
            ValType::ExternRef if text == "null" => Val::ExternRef(None),
            ValType::ExternRef => {
                let v = parse_int(text)
                    .and_then(|v| u64::try_from(v).ok())
                    .filter(|v| *v != u64::MAX)
                    .ok_or_else(invalid)?;
                Val::ExternRef(Some(ExternRef(v)))
            }
        })
    }

    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The default (zero / null) value of `ty`.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }

    /// As i32, if it is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    /// As i64, if it is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    /// As f32, if it is one.
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }
    /// As f64, if it is one.
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }

    /// The constant codegen bakes in for this value; `None` for a reference.
    pub(crate) fn to_const(self) -> Option<stagec_codegen::ConstValue> {
        use stagec_codegen::ConstValue;
        Some(match self {
            Val::I32(x) => ConstValue::I32(x),
            Val::I64(x) => ConstValue::I64(x),
            Val::F32(x) => ConstValue::F32(x),
            Val::F64(x) => ConstValue::F64(x),
            Val::V128(x) => ConstValue::V128(x),
            Val::FuncRef(_) | Val::ExternRef(_) => return None,
        })
    }

    /// As v128 bits, if it is one.
    pub fn v128(&self) -> Option<u128> {
        if let Val::V128(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    pub(crate) fn to_raw(self) -> ValRaw {
        match self {
            Val::I32(v) => ValRaw::i32(v),
            Val::I64(v) => ValRaw::i64(v),
            Val::F32(v) => ValRaw::f32(v),
            Val::F64(v) => ValRaw::f64(v),
            Val::V128(v) => ValRaw::v128(v),
            Val::FuncRef(f) => ValRaw::ptr(f.map_or(0, |f| f.funcref_addr())),
            Val::ExternRef(r) => ValRaw::ptr(ExternRef::to_raw(r)),
        }
    }

    /// # Safety
    /// A funcref `raw` must be null or point to a live `VMFuncRef` of store `store_id`.
    pub(crate) unsafe fn from_raw(store_id: u64, raw: ValRaw, ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw.get_i32()),
            ValType::I64 => Val::I64(raw.get_i64()),
            ValType::F32 => Val::F32(raw.get_f32()),
            ValType::F64 => Val::F64(raw.get_f64()),
            ValType::V128 => Val::V128(raw.get_v128()),
            // SAFETY: forwarded from the caller's contract.
            ValType::FuncRef => Val::FuncRef(unsafe { Func::from_raw(store_id, raw.get_ptr()) }),
            ValType::ExternRef => Val::ExternRef(ExternRef::from_raw(raw.get_ptr())),
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}
impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

/// Checks that `vals` match `types` (count and types, and the store of funcrefs when
/// `store_id` is given).
pub(crate) fn check_vals(
    role: ValueRole,
    types: &[ValType],
    vals: &[Val],
    store_id: Option<u64>,
) -> Result<()> {
    if types.len() != vals.len() {
        return Err(UsageError::ValueCount {
            role,
            expected: types.len(),
            given: vals.len(),
        }
        .into());
    }
    for (index, (t, v)) in types.iter().zip(vals).enumerate() {
        if v.ty() != *t {
            return Err(UsageError::ValueType {
                role,
                index,
                actual: v.ty(),
                expected: *t,
            }
            .into());
        }
        if let (Val::FuncRef(Some(f)), Some(id)) = (v, store_id)
            && f.store_id != id
        {
            return Err(UsageError::ForeignFuncRef { role, index }.into());
        }
    }
    Ok(())
}

/// A `v128` as [`Val::parse`] reads it: `0x` hex, or `SHAPE:lane,lane,...`.
fn parse_v128(text: &str) -> Option<u128> {
    let Some((shape, lanes)) = text.split_once(':') else {
        let hex = text.replace('_', "");
        let digits = hex.strip_prefix("0x").or_else(|| hex.strip_prefix("0X"))?;
        return u128::from_str_radix(digits, 16)
            .ok()
            .filter(|_| !digits.starts_with(['+', '-']));
    };
    let (count, bits) = match shape {
        "i8x16" => (16, 8),
        "i16x8" => (8, 16),
        "i32x4" | "f32x4" => (4, 32),
        "i64x2" | "f64x2" => (2, 64),
        _ => return None,
    };
    let lanes: Vec<&str> = lanes.split(',').map(str::trim).collect();
    if lanes.len() != count {
        return None;
    }
    let mut value = 0u128;
    for (i, lane) in lanes.iter().enumerate() {
        let lane_bits = match shape {
            "f32x4" => u64::from(lane.parse::<f32>().ok()?.to_bits()),
            "f64x2" => lane.parse::<f64>().ok()?.to_bits(),
            _ => {
                let v = parse_int(lane)?;
                let min = -(1i128 << (bits - 1));
                let max = (1i128 << bits) - 1;
                if !(min..=max).contains(&v) {
                    return None;
                }
                (v as u64) & (u64::MAX >> (64 - bits))
            }
        };
        value |= u128::from(lane_bits) << (i * bits);
    }
    Some(value)
}

/// Decimal or `0x` hex, with an optional sign and `_` separators.
fn parse_int(text: &str) -> Option<i128> {
    let cleaned = text.replace('_', "");
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if negative { -magnitude } else { magnitude })
}
