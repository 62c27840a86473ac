//! Script values: arguments to [`Val`]s, and [`Val`]s against expected-result patterns.

use crate::{ExternRef, Val};
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// Why a value cannot be used by stagec (the command is skipped); displayed as the skip
/// reason the report counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Unsupported {
    ComponentValue,
    RefHost,
    GcReference,
    /// A null reference of a heap type stagec has no type for (as the parser shows it).
    ReferenceType(String),
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsupported::ComponentValue => f.write_str("component-model value"),
            Unsupported::RefHost => f.write_str("ref.host value"),
            Unsupported::GcReference => f.write_str("GC reference value"),
            Unsupported::ReferenceType(heap) => write!(f, "reference type {heap}"),
        }
    }
}

/// The [`Val`] of a script argument.
pub(super) fn arg(arg: &WastArg<'_>) -> Result<Val, Unsupported> {
    let WastArg::Core(arg) = arg else {
        return Err(Unsupported::ComponentValue);
    };
    Ok(match arg {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(heap) => match null_kind(heap)? {
            NullKind::Func => Val::FuncRef(None),
            NullKind::Extern => Val::ExternRef(None),
        },
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(ExternRef(u64::from(*n)))),
        WastArgCore::RefHost(_) => return Err(Unsupported::RefHost),
    })
}

enum NullKind {
    Func,
    Extern,
}

fn null_kind(heap: &HeapType<'_>) -> Result<NullKind, Unsupported> {
    match heap {
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Func | AbstractHeapType::NoFunc,
        } => Ok(NullKind::Func),
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern,
        } => Ok(NullKind::Extern),
        other => Err(Unsupported::ReferenceType(format!("{other:?}"))),
    }
}

/// Whether `val` matches the expected result `expected`.
pub(super) fn matches(val: &Val, expected: &WastRet<'_>) -> Result<bool, Unsupported> {
    let WastRet::Core(expected) = expected else {
        return Err(Unsupported::ComponentValue);
    };
    matches_core(val, expected)
}

fn matches_core(val: &Val, expected: &WastRetCore<'_>) -> Result<bool, Unsupported> {
    Ok(match (expected, val) {
        (WastRetCore::I32(e), Val::I32(v)) => e == v,
        (WastRetCore::I64(e), Val::I64(v)) => e == v,
        (WastRetCore::F32(e), Val::F32(v)) => f32_matches(e, *v),
        (WastRetCore::F64(e), Val::F64(v)) => f64_matches(e, *v),
        (WastRetCore::V128(e), Val::V128(v)) => v128_matches(e, *v),
        (WastRetCore::RefNull(None), v) => {
            matches!(v, Val::FuncRef(None) | Val::ExternRef(None))
        }
        (WastRetCore::RefNull(Some(heap)), v) => match null_kind(heap)? {
            NullKind::Func => matches!(v, Val::FuncRef(None)),
            NullKind::Extern => matches!(v, Val::ExternRef(None)),
        },
        (WastRetCore::RefExtern(None), v) => matches!(v, Val::ExternRef(Some(_))),
        (WastRetCore::RefExtern(Some(n)), v) => {
            matches!(v, Val::ExternRef(Some(r)) if r.0 == u64::from(*n))
        }
        (WastRetCore::RefFunc(_), v) => matches!(v, Val::FuncRef(Some(_))),
        (WastRetCore::Either(alternatives), v) => {
            let mut unsupported = None;
            for alternative in alternatives {
                match matches_core(v, alternative) {
                    Ok(true) => return Ok(true),
                    Ok(false) => {}
                    Err(e) => unsupported = Some(e),
                }
            }
            return unsupported.map_or(Ok(false), Err);
        }
        (
            WastRetCore::RefHost(_)
            | WastRetCore::RefAny
            | WastRetCore::RefEq
            | WastRetCore::RefArray
            | WastRetCore::RefStruct
            | WastRetCore::RefI31
            | WastRetCore::RefI31Shared,
            _,
        ) => return Err(Unsupported::GcReference),
        // A number pattern against a value of another type.
        (WastRetCore::I32(_) | WastRetCore::I64(_), _)
        | (WastRetCore::F32(_) | WastRetCore::F64(_), _)
        | (WastRetCore::V128(_), _) => false,
    })
}

fn f32_matches(expected: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    match expected {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(e) => e.bits == bits,
    }
}

fn f64_matches(expected: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    match expected {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(e) => e.bits == bits,
    }
}

/// Lane `i` of width `bits` of a `v128`.
fn lane(v: u128, i: usize, bits: usize) -> u64 {
    (v >> (i * bits)) as u64 & (u64::MAX >> (64 - bits))
}

/// Whether every lane of `v` matches its pattern (a float lane may be a NaN pattern).
fn v128_matches(expected: &V128Pattern, v: u128) -> bool {
    match expected {
        V128Pattern::I8x16(e) => e
            .iter()
            .enumerate()
            .all(|(i, &x)| lane(v, i, 8) == u64::from(x as u8)),
        V128Pattern::I16x8(e) => e
            .iter()
            .enumerate()
            .all(|(i, &x)| lane(v, i, 16) == u64::from(x as u16)),
        V128Pattern::I32x4(e) => e
            .iter()
            .enumerate()
            .all(|(i, &x)| lane(v, i, 32) == u64::from(x as u32)),
        V128Pattern::I64x2(e) => e
            .iter()
            .enumerate()
            .all(|(i, &x)| lane(v, i, 64) == x as u64),
        V128Pattern::F32x4(e) => e
            .iter()
            .enumerate()
            .all(|(i, p)| f32_matches(p, lane(v, i, 32) as u32)),
        V128Pattern::F64x2(e) => e
            .iter()
            .enumerate()
            .all(|(i, p)| f64_matches(p, lane(v, i, 64))),
    }
}

/// Whether some expected result needs a value stagec cannot represent.
pub(super) fn unsupported_result(expected: &[WastRet<'_>]) -> Option<Unsupported> {
    expected.iter().find_map(|e| match e {
        WastRet::Core(core) => unsupported_core(core),
        _ => Some(Unsupported::ComponentValue),
    })
}

fn unsupported_core(e: &WastRetCore<'_>) -> Option<Unsupported> {
    match e {
        WastRetCore::RefNull(Some(heap)) => null_kind(heap).err(),
        WastRetCore::RefHost(_)
        | WastRetCore::RefAny
        | WastRetCore::RefEq
        | WastRetCore::RefArray
        | WastRetCore::RefStruct
        | WastRetCore::RefI31
        | WastRetCore::RefI31Shared => Some(Unsupported::GcReference),
        WastRetCore::Either(alternatives) => {
            // Usable if at least one alternative is.
            let errors: Vec<_> = alternatives.iter().filter_map(unsupported_core).collect();
            if errors.len() == alternatives.len() {
                errors.into_iter().next()
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A value for messages: `i32:-1`, `f32:1.5 (0x3fc00000)`, `funcref:null`, ...
pub(super) fn show(val: &Val) -> String {
    match val {
        Val::I32(v) => format!("i32:{v}"),
        Val::I64(v) => format!("i64:{v}"),
        Val::F32(bits) => format!("f32:{} ({bits:#010x})", f32::from_bits(*bits)),
        Val::F64(bits) => format!("f64:{} ({bits:#018x})", f64::from_bits(*bits)),
        Val::V128(bits) => format!("v128:{bits:#034x}"),
        Val::FuncRef(None) => "funcref:null".into(),
        Val::FuncRef(Some(_)) => "funcref:non-null".into(),
        Val::ExternRef(None) => "externref:null".into(),
        Val::ExternRef(Some(r)) => format!("externref:{}", r.0),
    }
}

/// An expected result for messages.
pub(super) fn show_expected(expected: &WastRet<'_>) -> String {
    match expected {
        WastRet::Core(core) => show_core(core),
        _ => "component-model value".into(),
    }
}

fn show_core(e: &WastRetCore<'_>) -> String {
    fn nan_or<T>(p: &NanPattern<T>, ty: &str, f: impl Fn(&T) -> String) -> String {
        match p {
            NanPattern::CanonicalNan => format!("{ty}:nan:canonical"),
            NanPattern::ArithmeticNan => format!("{ty}:nan:arithmetic"),
            NanPattern::Value(v) => f(v),
        }
    }
    match e {
        WastRetCore::I32(v) => format!("i32:{v}"),
        WastRetCore::I64(v) => format!("i64:{v}"),
        WastRetCore::F32(p) => nan_or(p, "f32", |v| show(&Val::F32(v.bits))),
        WastRetCore::F64(p) => nan_or(p, "f64", |v| show(&Val::F64(v.bits))),
        WastRetCore::RefNull(None) => "ref.null".into(),
        WastRetCore::RefNull(Some(h)) => match null_kind(h) {
            Ok(NullKind::Func) => "funcref:null".into(),
            Ok(NullKind::Extern) => "externref:null".into(),
            Err(_) => format!("ref.null {h:?}"),
        },
        WastRetCore::RefExtern(None) => "externref:non-null".into(),
        WastRetCore::RefExtern(Some(n)) => format!("externref:{n}"),
        WastRetCore::RefFunc(_) => "funcref:non-null".into(),
        WastRetCore::V128(p) => show_v128_pattern(p),
        WastRetCore::Either(alternatives) => {
            let shown: Vec<_> = alternatives.iter().map(show_core).collect();
            format!("either({})", shown.join(" | "))
        }
        other => format!("{other:?}"),
    }
}

/// A `v128` pattern for messages: `v128:i32x4 1 2 3 4`, float lanes with their bits or
/// NaN patterns.
fn show_v128_pattern(p: &V128Pattern) -> String {
    fn join<T>(ty: &str, lanes: &[T], f: impl Fn(&T) -> String) -> String {
        let lanes: Vec<_> = lanes.iter().map(f).collect();
        format!("v128:{ty} {}", lanes.join(" "))
    }
    fn nan_or<T>(p: &NanPattern<T>, f: impl Fn(&T) -> String) -> String {
        match p {
            NanPattern::CanonicalNan => "nan:canonical".into(),
            NanPattern::ArithmeticNan => "nan:arithmetic".into(),
            NanPattern::Value(v) => f(v),
        }
    }
    match p {
        V128Pattern::I8x16(l) => join("i8x16", l, |x| x.to_string()),
        V128Pattern::I16x8(l) => join("i16x8", l, |x| x.to_string()),
        V128Pattern::I32x4(l) => join("i32x4", l, |x| x.to_string()),
        V128Pattern::I64x2(l) => join("i64x2", l, |x| x.to_string()),
        V128Pattern::F32x4(l) => join("f32x4", l, |p| nan_or(p, |v| format!("{:#010x}", v.bits))),
        V128Pattern::F64x2(l) => join("f64x2", l, |p| nan_or(p, |v| format!("{:#018x}", v.bits))),
    }
}
