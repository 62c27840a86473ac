//! The real-code workloads, read from a `workloads/manifest.toml` (format: the workloads
//! contract in the project's helper notes, and workloads/README.md where present), for E4
//! and E6 (`--workloads DIR`).
//!
//! Only what the experiments need is read: `name`, `wasm`, `invoke`, `preimports` and
//! `checksum` of every `[[workload]]`. The manifest is simple TOML (strings, integers and
//! arrays of strings); this reader accepts exactly that subset and rejects anything else
//! with the line number.

use anyhow::{Context, Result, anyhow, bail};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One workload.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Short name.
    pub name: String,
    /// The generic module.
    pub wasm: PathBuf,
    /// The exported function: no parameters, returns i64 or i32.
    pub invoke: String,
    /// stagec `--preimport` specs: `MOD.NAME=VALUE` or `MOD.NAME=@FILE#EXPORT`, FILE
    /// relative to the manifest's directory.
    pub preimports: Vec<String>,
    /// The result every variant must return.
    pub checksum: i64,
    /// The manifest's directory.
    pub dir: PathBuf,
}

/// A manifest value.
#[derive(Clone, Debug)]
enum Value {
    Str(String),
    Int(i64),
    List(Vec<String>),
}

/// The workloads of `dir/manifest.toml`.
pub fn load(dir: &Path) -> Result<Vec<Workload>> {
    let path = dir.join("manifest.toml");
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    parse(&text, dir).with_context(|| path.display().to_string())
}

/// The workloads of manifest text `text`, paths relative to `dir`.
pub fn parse(text: &str, dir: &Path) -> Result<Vec<Workload>> {
    let mut tables: Vec<HashMap<String, Value>> = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "[[workload]]" {
            tables.push(HashMap::new());
            continue;
        }
        let (key, raw) = line
            .split_once('=')
            .ok_or_else(|| anyhow!("line {}: expected `key = value`", n + 1))?;
        let mut raw = strip_comment(raw.trim()).to_string();
        // An array may continue over several lines.
        while raw.starts_with('[') && !raw.ends_with(']') {
            let (_, more) = lines
                .next()
                .ok_or_else(|| anyhow!("line {}: unterminated array", n + 1))?;
            raw.push(' ');
            raw.push_str(strip_comment(more.trim()));
        }
        let value = value(&raw).with_context(|| format!("line {}", n + 1))?;
        let table = tables
            .last_mut()
            .ok_or_else(|| anyhow!("line {}: a key outside [[workload]]", n + 1))?;
        table.insert(key.trim().to_string(), value);
    }
    tables
        .into_iter()
        .map(|t| {
            let text = |key: &str| match t.get(key) {
                Some(Value::Str(s)) => Ok(s.clone()),
                _ => Err(anyhow!("a workload has no string `{key}`")),
            };
            let name = text("name")?;
            Ok(Workload {
                wasm: dir.join(text("wasm")?),
                invoke: text("invoke")?,
                preimports: match t.get("preimports") {
                    Some(Value::List(l)) => l.clone(),
                    None => Vec::new(),
                    _ => bail!("workload {name}: `preimports` is not a list of strings"),
                },
                checksum: match t.get("checksum") {
                    Some(Value::Int(i)) => *i,
                    _ => bail!("workload {name}: no integer `checksum`"),
                },
                dir: dir.to_path_buf(),
                name,
            })
        })
        .collect()
}

/// `raw` without a trailing `# comment` (outside strings).
fn strip_comment(raw: &str) -> &str {
    let mut in_string = false;
    for (i, c) in raw.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => return raw[..i].trim_end(),
            _ => {}
        }
    }
    raw
}

fn string(raw: &str) -> Result<String> {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(|| anyhow!("expected a string, found `{raw}`"))?;
    if inner.contains(['"', '\\']) {
        bail!("escapes in strings are not supported: `{raw}`");
    }
    Ok(inner.to_string())
}

fn value(raw: &str) -> Result<Value> {
    if raw.starts_with('"') {
        return Ok(Value::Str(string(raw)?));
    }
    if let Some(items) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Ok(Value::List(
            items
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(string)
                .collect::<Result<_>>()?,
        ));
    }
    Ok(Value::Int(raw.replace('_', "").parse().with_context(
        || format!("expected a string, integer or list, found `{raw}`"),
    )?))
}

/// A parsed `--preimport` spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// `MOD.NAME=INTEGER` (decimal or 0x hex).
    Value {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
        /// The value, as written (typed by the import).
        value: u64,
    },
    /// `MOD.NAME=@FILE#EXPORT`.
    Export {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
        /// The provider file, relative to the manifest.
        file: String,
        /// The provider's export.
        export: String,
    },
}

/// Parses a `--preimport` spec.
pub fn binding(spec: &str) -> Result<Binding> {
    let (target, value) = spec
        .split_once('=')
        .ok_or_else(|| anyhow!("preimport `{spec}`: no `=`"))?;
    let (module, name) = target
        .split_once('.')
        .ok_or_else(|| anyhow!("preimport `{spec}`: expected MOD.NAME"))?;
    let (module, name) = (module.to_string(), name.to_string());
    if let Some(reference) = value.strip_prefix('@') {
        let (file, export) = reference
            .split_once('#')
            .ok_or_else(|| anyhow!("preimport `{spec}`: expected @FILE#EXPORT"))?;
        return Ok(Binding::Export {
            module,
            name,
            file: file.to_string(),
            export: export.to_string(),
        });
    }
    let value = match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value
            .parse::<i64>()
            .map(|v| v as u64)
            .or_else(|_| value.parse::<u64>()),
    }
    .with_context(|| format!("preimport `{spec}`: not an integer"))?;
    Ok(Binding::Value {
        module,
        name,
        value,
    })
}
