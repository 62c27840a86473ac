//! Command-line values: arguments, preimport values and printed results.

use anyhow::{Result, anyhow, bail};
use stagec::{ExternRef, Val, ValType};

/// Parses `arg` as a value of type `ty`.
pub fn parse_value(arg: &str, ty: ValType) -> Result<Val> {
    let invalid = || anyhow!("invalid {ty} `{arg}`");
    Ok(match ty {
        ValType::I32 => {
            let v = parse_int(arg).ok_or_else(invalid)?;
            let v = if (i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&v) {
                v as u32 as i32
            } else {
                return Err(invalid());
            };
            Val::I32(v)
        }
        ValType::I64 => {
            let v = parse_int(arg).ok_or_else(invalid)?;
            let v = if (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&v) {
                v as u64 as i64
            } else {
                return Err(invalid());
            };
            Val::I64(v)
        }
        ValType::F32 => Val::F32(arg.parse::<f32>().map_err(|_| invalid())?.to_bits()),
        ValType::F64 => Val::F64(arg.parse::<f64>().map_err(|_| invalid())?.to_bits()),
        ValType::FuncRef if arg == "null" => Val::FuncRef(None),
        ValType::FuncRef => bail!("only `null` can be passed as a funcref, not `{arg}`"),
        ValType::ExternRef if arg == "null" => Val::ExternRef(None),
        ValType::ExternRef => {
            let v = parse_int(arg)
                .and_then(|v| u64::try_from(v).ok())
                .filter(|v| *v != u64::MAX)
                .ok_or_else(invalid)?;
            Val::ExternRef(Some(ExternRef(v)))
        }
    })
}

/// Decimal or `0x` hex, with an optional sign and `_` separators.
fn parse_int(arg: &str) -> Option<i128> {
    let cleaned = arg.replace('_', "");
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
