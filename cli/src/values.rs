//! Command-line values: arguments, preimport values and printed results.

use anyhow::{Context, Result, bail};
use stagec::{FuncType, Val, ValType};

/// Parses `arg` as a value of type `ty` (see [`Val::parse`]).
pub fn parse_value(arg: &str, ty: ValType) -> Result<Val> {
    Ok(Val::parse(arg, ty)?)
}

/// Parses the command-line arguments `args` of function `name` of type `ty`: one per
/// parameter.
pub fn parse_args(name: &str, ty: &FuncType, args: &[String]) -> Result<Vec<Val>> {
    if args.len() != ty.params.len() {
        bail!(
            "`{name}` takes {} argument{} {}, {} given",
            ty.params.len(),
            if ty.params.len() == 1 { "" } else { "s" },
            ty,
            args.len()
        );
    }
    args.iter()
        .zip(ty.params.iter())
        .enumerate()
        .map(|(i, (arg, ty))| {
            parse_value(arg, *ty).with_context(|| format!("argument {} of `{name}`", i + 1))
        })
        .collect()
}

/// A result as `stagec run` prints it; a `v128` as `0x` and 32 hex digits (the vector as
/// one little-endian number, which [`Val::parse`] reads back).
pub fn format_val(val: &Val) -> String {
    match val {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        Val::V128(bits) => format!("{bits:#034x}"),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".into(),
        Val::FuncRef(Some(_)) => "funcref".into(),
        Val::ExternRef(Some(r)) => format!("externref:{}", r.0),
    }
}
