//! Component-level types and values of the subset: scalars only, and the canonical ABI's
//! lifting and lowering of them (no memory, no options).

use std::fmt;

/// A scalar component value type (the only value types of the subset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// `bool`: an i32 in core wasm (lowered as 0 or 1, any non-zero lifts as true).
    Bool,
    /// `s8`: an i32, sign-extended when lowered, truncated when lifted.
    S8,
    /// `u8`: an i32, zero-extended when lowered, truncated when lifted.
    U8,
    /// `s16`.
    S16,
    /// `u16`.
    U16,
    /// `s32`.
    S32,
    /// `u32`.
    U32,
    /// `s64`: an i64.
    S64,
    /// `u64`: an i64.
    U64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `char`: an i32 holding a Unicode scalar value; lifting anything else traps.
    Char,
}

impl ScalarType {
    /// The core type a value of this type is passed as.
    pub fn core_type(self) -> stagec::ValType {
        use stagec::ValType as V;
        match self {
            ScalarType::S64 | ScalarType::U64 => V::I64,
            ScalarType::F32 => V::F32,
            ScalarType::F64 => V::F64,
            _ => V::I32,
        }
    }

    /// Every scalar type.
    pub const ALL: [ScalarType; 12] = [
        ScalarType::Bool,
        ScalarType::S8,
        ScalarType::U8,
        ScalarType::S16,
        ScalarType::U16,
        ScalarType::S32,
        ScalarType::U32,
        ScalarType::S64,
        ScalarType::U64,
        ScalarType::F32,
        ScalarType::F64,
        ScalarType::Char,
    ];
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScalarType::Bool => "bool",
            ScalarType::S8 => "s8",
            ScalarType::U8 => "u8",
            ScalarType::S16 => "s16",
            ScalarType::U16 => "u16",
            ScalarType::S32 => "s32",
            ScalarType::U32 => "u32",
            ScalarType::S64 => "s64",
            ScalarType::U64 => "u64",
            ScalarType::F32 => "f32",
            ScalarType::F64 => "f64",
            ScalarType::Char => "char",
        })
    }
}

/// A component function type of the subset: named scalar parameters, at most one scalar
/// result, synchronous.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// Parameters: (name, type).
    pub params: Vec<(String, ScalarType)>,
    /// The result, if any.
    pub result: Option<ScalarType>,
}

impl FuncType {
    /// The core signature of a function of this type lifted or lowered without options
    /// (the canonical ABI's flattening; scalars flatten to one core value each).
    pub fn core_type(&self) -> stagec::FuncType {
        stagec::FuncType::new(
            self.params.iter().map(|(_, t)| t.core_type()),
            self.result.iter().map(|t| t.core_type()),
        )
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("func(")?;
        for (i, (name, ty)) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}: {ty}")?;
        }
        f.write_str(")")?;
        if let Some(result) = self.result {
            write!(f, " -> {result}")?;
        }
        Ok(())
    }
}

/// A scalar component value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// `bool`
    Bool(bool),
    /// `s8`
    S8(i8),
    /// `u8`
    U8(u8),
    /// `s16`
    S16(i16),
    /// `u16`
    U16(u16),
    /// `s32`
    S32(i32),
    /// `u32`
    U32(u32),
    /// `s64`
    S64(i64),
    /// `u64`
    U64(u64),
    /// `f32`
    F32(f32),
    /// `f64`
    F64(f64),
    /// `char`
    Char(char),
}

impl Value {
    /// The value's type.
    pub fn ty(&self) -> ScalarType {
        match self {
            Value::Bool(_) => ScalarType::Bool,
            Value::S8(_) => ScalarType::S8,
            Value::U8(_) => ScalarType::U8,
            Value::S16(_) => ScalarType::S16,
            Value::U16(_) => ScalarType::U16,
            Value::S32(_) => ScalarType::S32,
            Value::U32(_) => ScalarType::U32,
            Value::S64(_) => ScalarType::S64,
            Value::U64(_) => ScalarType::U64,
            Value::F32(_) => ScalarType::F32,
            Value::F64(_) => ScalarType::F64,
            Value::Char(_) => ScalarType::Char,
        }
    }

    /// The zero value of `ty` (`false`, 0, `'\0'`).
    pub fn default_for(ty: ScalarType) -> Value {
        match ty {
            ScalarType::Bool => Value::Bool(false),
            ScalarType::S8 => Value::S8(0),
            ScalarType::U8 => Value::U8(0),
            ScalarType::S16 => Value::S16(0),
            ScalarType::U16 => Value::U16(0),
            ScalarType::S32 => Value::S32(0),
            ScalarType::U32 => Value::U32(0),
            ScalarType::S64 => Value::S64(0),
            ScalarType::U64 => Value::U64(0),
            ScalarType::F32 => Value::F32(0.0),
            ScalarType::F64 => Value::F64(0.0),
            ScalarType::Char => Value::Char('\0'),
        }
    }

    /// Lowers the value to its core representation (canonical ABI `lower_flat`):
    /// booleans as 0 or 1, small signed integers sign-extended, small unsigned ones
    /// zero-extended, floats bit for bit, a char as its code point.
    pub fn lower(&self) -> stagec::Val {
        use stagec::Val;
        match *self {
            Value::Bool(b) => Val::I32(b as i32),
            Value::S8(v) => Val::I32(v.into()),
            Value::U8(v) => Val::I32(v.into()),
            Value::S16(v) => Val::I32(v.into()),
            Value::U16(v) => Val::I32(v.into()),
            Value::S32(v) => Val::I32(v),
            Value::U32(v) => Val::I32(v as i32),
            Value::S64(v) => Val::I64(v),
            Value::U64(v) => Val::I64(v as i64),
            Value::F32(v) => Val::F32(v.to_bits()),
            Value::F64(v) => Val::F64(v.to_bits()),
            Value::Char(c) => Val::I32(c as i32),
        }
    }

    /// Lifts a core value to a value of `ty` (canonical ABI `lift_flat`): a non-zero i32
    /// is `true`, narrower integers keep their low bits, floats their bits. Fails for a
    /// value of the wrong core type, and for a `char` that is not a Unicode scalar value
    /// (a surrogate or above U+10FFFF), which the canonical ABI makes a trap.
    pub fn lift(ty: ScalarType, core: stagec::Val) -> Result<Value, LiftError> {
        use stagec::Val;
        Ok(match (ty, core) {
            (ScalarType::Bool, Val::I32(v)) => Value::Bool(v != 0),
            (ScalarType::S8, Val::I32(v)) => Value::S8(v as i8),
            (ScalarType::U8, Val::I32(v)) => Value::U8(v as u8),
            (ScalarType::S16, Val::I32(v)) => Value::S16(v as i16),
            (ScalarType::U16, Val::I32(v)) => Value::U16(v as u16),
            (ScalarType::S32, Val::I32(v)) => Value::S32(v),
            (ScalarType::U32, Val::I32(v)) => Value::U32(v as u32),
            (ScalarType::S64, Val::I64(v)) => Value::S64(v),
            (ScalarType::U64, Val::I64(v)) => Value::U64(v as u64),
            (ScalarType::F32, Val::F32(bits)) => Value::F32(f32::from_bits(bits)),
            (ScalarType::F64, Val::F64(bits)) => Value::F64(f64::from_bits(bits)),
            (ScalarType::Char, Val::I32(v)) => {
                Value::Char(char::from_u32(v as u32).ok_or(LiftError::InvalidChar(v as u32))?)
            }
            (ty, core) => {
                return Err(LiftError::CoreType {
                    expected: ty.core_type(),
                    found: core.ty(),
                });
            }
        })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(v) => write!(f, "{v}"),
            Value::S8(v) => write!(f, "{v}"),
            Value::U8(v) => write!(f, "{v}"),
            Value::S16(v) => write!(f, "{v}"),
            Value::U16(v) => write!(f, "{v}"),
            Value::S32(v) => write!(f, "{v}"),
            Value::U32(v) => write!(f, "{v}"),
            Value::S64(v) => write!(f, "{v}"),
            Value::U64(v) => write!(f, "{v}"),
            Value::F32(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::Char(v) => write!(f, "{v:?}"),
        }?;
        write!(f, ": {}", self.ty())
    }
}

/// Why a core value could not be lifted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiftError {
    /// The bits of a `char` are not a Unicode scalar value.
    InvalidChar(u32),
    /// The core value has the wrong type.
    CoreType {
        /// The core type of the scalar type.
        expected: stagec::ValType,
        /// The core value's type.
        found: stagec::ValType,
    },
}

impl fmt::Display for LiftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiftError::InvalidChar(bits) => {
                write!(f, "invalid `char` bit pattern {bits:#x}")
            }
            LiftError::CoreType { expected, found } => {
                write!(f, "expected a core {expected}, found a {found}")
            }
        }
    }
}

impl std::error::Error for LiftError {}

#[cfg(test)]
mod tests {
    use super::*;
    use stagec::Val;

    #[test]
    fn lowering_extends_and_lifting_truncates() {
        assert_eq!(Value::S8(-1).lower().i32(), Some(-1));
        assert_eq!(Value::U8(255).lower().i32(), Some(255));
        assert_eq!(Value::S16(-2).lower().i32(), Some(-2));
        assert_eq!(Value::U16(65535).lower().i32(), Some(65535));
        assert_eq!(Value::Bool(true).lower().i32(), Some(1));
        assert_eq!(Value::Char('é').lower().i32(), Some(0xe9));
        assert_eq!(
            Value::lift(ScalarType::U8, Val::I32(0x1ff)),
            Ok(Value::U8(0xff))
        );
        assert_eq!(
            Value::lift(ScalarType::S8, Val::I32(0x80)),
            Ok(Value::S8(-128))
        );
        assert_eq!(
            Value::lift(ScalarType::Bool, Val::I32(7)),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            Value::lift(ScalarType::U32, Val::I32(-1)),
            Ok(Value::U32(u32::MAX))
        );
        assert_eq!(
            Value::lift(ScalarType::Char, Val::I32(0xd800)),
            Err(LiftError::InvalidChar(0xd800))
        );
        assert_eq!(
            Value::lift(ScalarType::Char, Val::I32(0x11_0000)),
            Err(LiftError::InvalidChar(0x11_0000))
        );
        assert!(matches!(
            Value::lift(ScalarType::S64, Val::I32(0)),
            Err(LiftError::CoreType { .. })
        ));
    }

    #[test]
    fn every_scalar_round_trips_through_its_core_type() {
        for ty in ScalarType::ALL {
            let v = Value::default_for(ty);
            assert_eq!(v.lower().ty(), ty.core_type(), "{ty}");
            assert_eq!(Value::lift(ty, v.lower()), Ok(v), "{ty}");
        }
    }
}
