//! Command-line values: arguments, preimport values and printed results.

use anyhow::Result;
use stagec::{Val, ValType};

/// Parses `arg` as a value of type `ty` (see [`Val::parse`]).
pub fn parse_value(arg: &str, ty: ValType) -> Result<Val> {
    Ok(Val::parse(arg, ty)?)
}

pub fn format_val(val: &Val) -> String {
    match val {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".into(),
        Val::FuncRef(Some(_)) => "funcref".into(),
        Val::ExternRef(Some(r)) => format!("externref:{}", r.0),
    }
}
