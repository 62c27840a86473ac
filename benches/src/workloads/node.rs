//! V8 through node: `benches/node/run-workload.mjs` instantiates a workload with the same
//! imports as the other engines and times it; one node process per workload and variant.

use super::plan::{Bound, ModuleSpec, Plan, Value};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// node's flags: every function compiled by TurboFan, V8's optimizing tier. By default V8
/// starts on its baseline compiler Liftoff and tiers hot functions up in the background,
/// which on a loaded machine kept the timed calls of the larger workloads drifting (30 ms
/// down to 9 ms) for seconds after a few warm-up calls.
pub const NODE_FLAGS: &[&str] = &["--no-liftoff"];

/// The runner script.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("node/run-workload.mjs")
}

/// node's version (`v20.1.0`), if `node` is on PATH and runs.
pub fn version() -> Option<String> {
    let out = Command::new("node").arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What one node run measured.
#[derive(Debug, Deserialize)]
pub struct NodeRun {
    /// The first call's result, in decimal.
    pub result: String,
    /// Compiling and instantiating every module, in milliseconds.
    pub compile_ms: f64,
    /// One timed call each.
    pub samples_ms: Vec<f64>,
    /// `process.version`.
    pub node: String,
    /// `process.versions.v8`.
    pub v8: String,
}

impl NodeRun {
    /// The result as an i64 (i32 results come sign-extended).
    pub fn result(&self) -> Result<i64> {
        self.result
            .parse()
            .with_context(|| format!("node printed the result `{}`", self.result))
    }
}

/// Files the node process reads, deleted on drop.
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// A fresh directory under the system's temporary directory.
    pub fn new() -> Result<Scratch> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "stagec-bench-workloads-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Scratch { dir })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `plan`'s generic module (`hand` false) or its hand module in node: the first
/// call, `warmup` untimed calls, then `runs` timed ones.
pub fn run(
    scratch: &Scratch,
    tag: &str,
    plan: &Plan,
    hand: bool,
    invoke: &str,
    warmup: usize,
    runs: usize,
) -> Result<NodeRun> {
    let (providers, main): (&[ModuleSpec], &ModuleSpec) = if hand {
        (
            &[],
            plan.hand
                .as_ref()
                .context("the workload has no hand module")?,
        )
    } else {
        (&plan.providers, &plan.main)
    };
    let mut modules = Vec::new();
    for (i, spec) in providers.iter().enumerate() {
        modules.push(module_json(scratch, &format!("{tag}-provider{i}"), spec)?);
    }
    let config = json!({
        "invoke": invoke,
        "warmup": warmup,
        "runs": runs,
        "providers": modules,
        "main": module_json(scratch, &format!("{tag}-main"), main)?,
    });
    let config_path = scratch.dir.join(format!("{tag}.json"));
    std::fs::write(&config_path, config.to_string())?;
    let out = Command::new("node")
        .args(NODE_FLAGS)
        .arg(script())
        .arg(&config_path)
        .output()
        .context("cannot run node")?;
    if !out.status.success() {
        bail!(
            "node failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let run: NodeRun = serde_json::from_str(stdout.trim())
        .with_context(|| format!("node printed `{}`", stdout.trim()))?;
    if run.samples_ms.len() != runs {
        bail!(
            "node timed {} calls, asked for {runs}",
            run.samples_ms.len()
        );
    }
    Ok(run)
}

/// A module of the config: its file (text modules written out in binary) and imports.
fn module_json(scratch: &Scratch, tag: &str, spec: &ModuleSpec) -> Result<Json> {
    let path = if spec.file_is_binary {
        std::path::absolute(&spec.path)?
    } else {
        let path = scratch.dir.join(format!("{tag}.wasm"));
        std::fs::write(&path, &spec.binary)?;
        path
    };
    let mut imports = Vec::new();
    for import in &spec.imports {
        let mut entry = json!({ "module": import.module, "name": import.name });
        match &import.bound {
            Bound::Value(v) => entry["value"] = value_json(*v)?,
            Bound::Export { provider, export } => {
                entry["provider"] = json!(provider);
                entry["export"] = json!(export);
            }
        }
        imports.push(entry);
    }
    Ok(json!({ "path": path, "imports": imports }))
}

fn value_json(value: Value) -> Result<Json> {
    let number = |x: f64| {
        if x.is_finite() {
            Ok(json!(x))
        } else {
            bail!("node runner: cannot pass the non-finite value {x}")
        }
    };
    let v = match value {
        Value::I32(x) => json!(x),
        Value::I64(x) => json!(x.to_string()),
        Value::F32(bits) => number(f64::from(f32::from_bits(bits)))?,
        Value::F64(bits) => number(f64::from_bits(bits))?,
    };
    Ok(json!({ "type": value.type_name(), "value": v }))
}
