//! Values passed between the host and wasm.

use crate::Func;
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
    /// funcref (None = null)
    FuncRef(Option<Func>),
    /// externref (None = null)
    ExternRef(Option<ExternRef>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
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

    pub(crate) fn to_raw(self) -> ValRaw {
        match self {
            Val::I32(v) => ValRaw::i32(v),
            Val::I64(v) => ValRaw::i64(v),
            Val::F32(v) => ValRaw::f32(v),
            Val::F64(v) => ValRaw::f64(v),
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
