//! `stagec pack` and `stagec inspect`: the staged formats (`.swat`, `.swasm`) on the
//! command line.

use anyhow::{Context, Result, anyhow, bail};
use stagec_frontend::{
    EntityType, ExternKind, ModuleInfo, Stage, StageKind, StagedModule, encode_swasm, is_swasm,
    parse_swasm, parse_swat,
};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The module a `pre` stage imports a fresh value per compilation from (DESIGN §2).
const FRESH: (&str, &str) = ("stagec", "fresh");

/// `stagec pack FILE [-o OUT]`: writes `FILE` (any accepted format) as `.swasm`, by default
/// next to it with the extension `.swasm`.
pub fn pack(file: &Path, output: Option<&Path>) -> Result<()> {
    let staged = load(file)?;
    let output: PathBuf = match output {
        Some(output) => output.to_path_buf(),
        None => {
            let output = file.with_extension("swasm");
            if output == file {
                bail!("packing would overwrite the input: name the output with -o FILE");
            }
            output
        }
    };
    std::fs::write(&output, encode_swasm(&staged))
        .with_context(|| format!("cannot write {}", output.display()))
}

/// `stagec inspect FILE`: the stages and, per stage, what it imports and exports.
pub fn inspect(file: &Path) -> Result<()> {
    let staged = load(file)?;
    print!("{}", describe(&staged)?);
    Ok(())
}

/// Reads, parses and validates a staged module: `.swat` and `.wat` are text, `.swasm` and
/// `.wasm` binary; other files by their first bytes. A core module is one `multi` stage.
pub fn load(file: &Path) -> Result<StagedModule> {
    let bytes = std::fs::read(file).context("cannot read file")?;
    let extension = file.extension().and_then(|e| e.to_str());
    let text = match extension {
        Some("swat" | "wat") => true,
        Some("swasm" | "wasm") => false,
        _ => !bytes.starts_with(b"\0asm"),
    };
    let staged = if text {
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| anyhow!("neither a binary module nor UTF-8 text: {e}"))?;
        // Text errors read `LINE:COL: message`; the byte offset would only repeat that.
        parse_swat(text).map_err(|e| anyhow!(e.message()))?
    } else if extension == Some("swasm") || is_swasm(&bytes) {
        parse_swasm(&bytes)?
    } else {
        StagedModule {
            stages: vec![Stage {
                name: "main".into(),
                kind: StageKind::Multi,
                module: bytes,
                offset: 0,
            }],
            custom_sections: Vec::new(),
        }
    };
    staged.validate().map_err(|e| {
        // A structure error in text has no useful offset (stage offsets are 0 there);
        // errors inside a stage's module keep theirs, relative to that module.
        if text && e.offset() == 0 {
            anyhow!(e.message())
        } else {
            anyhow!(e)
        }
    })?;
    Ok(staged)
}

/// The `inspect` report of a valid staged module.
fn describe(staged: &StagedModule) -> Result<String> {
    let mut out = String::new();
    let count = staged.stages.len();
    let _ = writeln!(out, "{count} stage{}", if count == 1 { "" } else { "s" });
    let width = staged
        .stages
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0);
    for (index, stage) in staged.stages.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {index}  {:<6}  {:<width$}  {} bytes",
            stage.kind.to_string(),
            stage.name,
            stage.module.len()
        );
    }
    if !staged.custom_sections.is_empty() {
        let _ = writeln!(out, "custom sections");
        for (name, data) in &staged.custom_sections {
            let _ = writeln!(out, "  {name:?}  {} bytes", data.len());
        }
    }
    for (index, stage) in staged.stages.iter().enumerate() {
        let info = stagec_frontend::parse(stage.module.as_slice())?.info;
        let references = staged.references(index)?;
        let is_reference = |i: usize| references.iter().any(|(r, _)| *r == i);
        let _ = writeln!(out);
        let _ = writeln!(out, "stage {index} `{}` ({})", stage.name, stage.kind);

        let mut plain = Vec::new();
        for (i, import) in info.imports.iter().enumerate() {
            if is_reference(i) {
                continue;
            }
            let mut line = format!(
                "{}.{}: {}",
                import.module,
                import.name,
                entity_type(&info, &import.ty)
            );
            if stage.kind == StageKind::Pre
                && (import.module.as_str(), import.name.as_str()) == FRESH
            {
                line.push_str("  fresh value per compilation");
            }
            plain.push(line);
        }
        let refs: Vec<String> = references
            .iter()
            .map(|&(i, target)| {
                let import = &info.imports[i];
                format!(
                    "{}.{}: {}  from {} stage {target}",
                    import.module,
                    import.name,
                    entity_type(&info, &import.ty),
                    staged.stages[target].kind
                )
            })
            .collect();
        let exports: Vec<String> = info
            .exports
            .iter()
            .map(|e| format!("{}: {}", e.name, export_type(&info, e.kind, e.index)))
            .collect();
        if stage.kind == StageKind::Pre {
            list(&mut out, "preimports", &plain);
            list(&mut out, "stage references", &refs);
            list(&mut out, "preexports", &exports);
        } else {
            list(&mut out, "stage references", &refs);
            list(&mut out, "runtime imports", &plain);
            list(&mut out, "exports", &exports);
        }
    }
    Ok(out)
}

fn list(out: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        let _ = writeln!(out, "  {title}: none");
        return;
    }
    let _ = writeln!(out, "  {title}:");
    for item in items {
        let _ = writeln!(out, "    {item}");
    }
}

/// An import's type in text-format syntax.
fn entity_type(info: &ModuleInfo, ty: &EntityType) -> String {
    info.describe(ty)
}

/// An export's type in text-format syntax.
fn export_type(info: &ModuleInfo, kind: ExternKind, index: u32) -> String {
    info.describe(&info.entity_type(kind, index))
}
