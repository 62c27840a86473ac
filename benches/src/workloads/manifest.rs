//! The workloads manifest (`workloads/manifest.toml`): one `[[workload]]` table per
//! workload, paths relative to the manifest's directory, bindings in the `stagec` CLI's
//! `--preimport` syntax.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
struct ManifestFile {
    #[serde(default)]
    workload: Vec<WorkloadEntry>,
}

#[derive(Debug, Deserialize)]
struct WorkloadEntry {
    name: String,
    kind: String,
    #[serde(default)]
    description: String,
    wasm: String,
    #[serde(default)]
    hand: String,
    invoke: String,
    #[serde(default)]
    preimports: Vec<String>,
    checksum: i64,
}

/// One workload of the manifest, its paths resolved.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Short unique name (table row).
    pub name: String,
    /// `rust` or `c`.
    pub kind: String,
    /// One line: what it computes and what is imported.
    pub description: String,
    /// The generic module, whose parameters are imports.
    pub wasm: PathBuf,
    /// The hand-specialized module (no imports), if any.
    pub hand: Option<PathBuf>,
    /// The exported function to time: no parameters, returns an i64 or i32 checksum.
    pub invoke: String,
    /// The bindings of the generic module's imports (and of its providers' imports).
    pub bindings: Vec<Binding>,
    /// The expected result of `invoke` (an i32 result sign-extended).
    pub checksum: i64,
}

/// One `MOD.NAME=VALUE` or `MOD=@FILE` binding, in stagec's `--preimport` syntax
/// (`stagec::BindingSpec`), with its file resolved against the manifest's directory.
pub type Binding = stagec::BindingSpec;
pub use stagec::BindingValue;

/// Reads the manifest at `path`.
pub fn load(path: &Path) -> Result<Vec<Workload>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the manifest {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, base).with_context(|| format!("manifest {}", path.display()))
}

/// Parses manifest text whose paths are relative to `base`.
pub fn parse(text: &str, base: &Path) -> Result<Vec<Workload>> {
    let file: ManifestFile = toml::from_str(text)?;
    let mut workloads: Vec<Workload> = Vec::new();
    for entry in file.workload {
        let name = entry.name.clone();
        if workloads.iter().any(|w| w.name == name) {
            bail!("two workloads are named `{name}`");
        }
        let workload = resolve(entry, base).with_context(|| format!("workload `{name}`"))?;
        workloads.push(workload);
    }
    if workloads.is_empty() {
        bail!("no [[workload]] entries");
    }
    Ok(workloads)
}

fn resolve(entry: WorkloadEntry, base: &Path) -> Result<Workload> {
    if entry.name.is_empty() || entry.wasm.is_empty() || entry.invoke.is_empty() {
        bail!("`name`, `wasm` and `invoke` must not be empty");
    }
    let bindings = entry
        .preimports
        .iter()
        .map(|text| parse_binding(text, base))
        .collect::<Result<Vec<_>>>()?;
    Ok(Workload {
        name: entry.name,
        kind: entry.kind,
        description: entry.description,
        wasm: base.join(&entry.wasm),
        hand: (!entry.hand.is_empty()).then(|| base.join(&entry.hand)),
        invoke: entry.invoke,
        bindings,
        checksum: entry.checksum,
    })
}

/// Parses `MOD.NAME=VALUE` (the module name ends at the first `.`) or `MOD=@FILE`; `@`
/// paths are resolved against `base`.
pub fn parse_binding(text: &str, base: &Path) -> Result<Binding> {
    let spec = stagec::BindingSpec::parse(text).map_err(|e| anyhow::anyhow!("preimport {e}"))?;
    Ok(spec.relative_to(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_example() {
        let text = r#"
[[workload]]
name = "sha256"
kind = "rust"
description = "sha2 over 1 MiB"
wasm = "rust/sha256.wasm"
hand = ""
invoke = "run"
preimports = ["env.size=1048576", "env.mix=@rust/provider.wat#mix", "lib=@p.wasm"]
checksum = -5
"#;
        let w = &parse(text, Path::new("/w")).unwrap()[0];
        assert_eq!(w.wasm, Path::new("/w/rust/sha256.wasm"));
        assert!(w.hand.is_none());
        assert_eq!(w.checksum, -5);
        assert!(matches!(&w.bindings[0].value, BindingValue::Literal(v) if v == "1048576"));
        assert!(matches!(&w.bindings[1].value,
            BindingValue::Export { file, export } if file == Path::new("/w/rust/provider.wat") && export == "mix"));
        assert!(
            matches!(&w.bindings[2].value, BindingValue::Module { file } if file == Path::new("/w/p.wasm"))
        );
        assert_eq!(w.bindings[2].module, "lib");
    }

    #[test]
    fn rejects_bad_entries() {
        assert!(parse_binding("env.size", Path::new(".")).is_err());
        assert!(parse_binding("env.f=@file", Path::new(".")).is_err());
        let dup = "[[workload]]\nname='a'\nkind='c'\nwasm='a.wasm'\ninvoke='run'\nchecksum=1\n";
        assert!(parse(&format!("{dup}{dup}"), Path::new(".")).is_err());
        assert!(parse("", Path::new(".")).is_err());
    }
}
