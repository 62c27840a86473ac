//! V8 through node: `benches/node/run-workload.mjs` instantiates a [`Plan`]'s module with
//! the same imports as the other engines and times it; one node process per module. The
//! config it reads and the result it prints are JSON, (de)serialized by serde.

use crate::plan::{Bound, ModuleSpec, Plan, Value};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
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

/// What one node run measured (the JSON object the script prints).
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

/// The config file the script reads.
#[derive(Debug, Serialize)]
struct Config<'a> {
    invoke: &'a str,
    warmup: usize,
    runs: usize,
    /// Each after the providers it imports from.
    providers: Vec<ModuleConfig<'a>>,
    main: ModuleConfig<'a>,
}

/// A module of the config: its binary file and its imports.
#[derive(Debug, Serialize)]
struct ModuleConfig<'a> {
    path: PathBuf,
    imports: Vec<ImportConfig<'a>>,
}

#[derive(Debug, Serialize)]
struct ImportConfig<'a> {
    module: &'a str,
    name: &'a str,
    #[serde(flatten)]
    bound: BoundConfig<'a>,
}

/// `"value": {"type": "i32", "value": 5}` or `"provider": 0, "export": "mix"`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum BoundConfig<'a> {
    Value { value: TypedValue },
    Export { provider: usize, export: &'a str },
}

#[derive(Debug, Serialize)]
struct TypedValue {
    #[serde(rename = "type")]
    ty: &'static str,
    value: Number,
}

/// i32, f32 and f64 values as JSON numbers, i64 values as decimal strings (BigInt).
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Number {
    Int(i32),
    Decimal(String),
    Float(f64),
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
    let config = config(scratch, tag, plan, hand, invoke, warmup, runs)?;
    let config_path = scratch.dir.join(format!("{tag}.json"));
    std::fs::write(&config_path, serde_json::to_string(&config)?)?;
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

/// The config of one run; text modules are written out in binary into `scratch`.
fn config<'a>(
    scratch: &Scratch,
    tag: &str,
    plan: &'a Plan,
    hand: bool,
    invoke: &'a str,
    warmup: usize,
    runs: usize,
) -> Result<Config<'a>> {
    let (providers, main): (&[ModuleSpec], &ModuleSpec) = if hand {
        let hand = plan.hand.as_ref();
        (&[], hand.context("the workload has no hand module")?)
    } else {
        (&plan.providers, &plan.main)
    };
    let providers = providers
        .iter()
        .enumerate()
        .map(|(i, spec)| module_config(scratch, &format!("{tag}-provider{i}"), spec))
        .collect::<Result<_>>()?;
    Ok(Config {
        invoke,
        warmup,
        runs,
        providers,
        main: module_config(scratch, &format!("{tag}-main"), main)?,
    })
}

fn module_config<'a>(
    scratch: &Scratch,
    tag: &str,
    spec: &'a ModuleSpec,
) -> Result<ModuleConfig<'a>> {
    let path = if spec.file_is_binary {
        std::path::absolute(&spec.path)?
    } else {
        let path = scratch.dir.join(format!("{tag}.wasm"));
        std::fs::write(&path, &spec.binary)?;
        path
    };
    let imports = spec
        .imports
        .iter()
        .map(|import| {
            let bound = match &import.bound {
                Bound::Value(v) => BoundConfig::Value {
                    value: typed_value(*v)?,
                },
                Bound::Export { provider, export } => BoundConfig::Export {
                    provider: *provider,
                    export,
                },
            };
            Ok(ImportConfig {
                module: &import.module,
                name: &import.name,
                bound,
            })
        })
        .collect::<Result<_>>()?;
    Ok(ModuleConfig { path, imports })
}

fn typed_value(value: Value) -> Result<TypedValue> {
    let float = |x: f64| {
        if x.is_finite() {
            Ok(Number::Float(x))
        } else {
            bail!("node runner: cannot pass the non-finite value {x}")
        }
    };
    let number = match value {
        Value::I32(x) => Number::Int(x),
        Value::I64(x) => Number::Decimal(x.to_string()),
        Value::F32(bits) => float(f64::from(f32::from_bits(bits)))?,
        Value::F64(bits) => float(f64::from_bits(bits))?,
    };
    Ok(TypedValue {
        ty: value.type_name(),
        value: number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_is_what_the_script_reads() {
        let scratch = Scratch::new().unwrap();
        let mut main = ModuleSpec::from_text("main", "(module)").unwrap();
        main.bind_value("env", "n", Value::I32(-3))
            .bind_value("env", "big", Value::I64(i64::MIN))
            .bind_value("env", "x", Value::F64(1.5f64.to_bits()))
            .bind_export("lib", "f", 0, "g");
        let provider = ModuleSpec::from_text("p", "(module)").unwrap();
        let plan = Plan {
            providers: vec![provider],
            main,
            hand: None,
        };
        let config = config(&scratch, "t", &plan, false, "run", 2, 5).unwrap();
        let json = serde_json::to_value(&config).unwrap();
        let dir = scratch.dir.display();
        let expected = serde_json::json!({
            "invoke": "run", "warmup": 2, "runs": 5,
            "providers": [{"path": format!("{dir}/t-provider0.wasm"), "imports": []}],
            "main": {"path": format!("{dir}/t-main.wasm"), "imports": [
                {"module": "env", "name": "n", "value": {"type": "i32", "value": -3}},
                {"module": "env", "name": "big",
                 "value": {"type": "i64", "value": "-9223372036854775808"}},
                {"module": "env", "name": "x", "value": {"type": "f64", "value": 1.5}},
                {"module": "lib", "name": "f", "provider": 0, "export": "g"},
            ]},
        });
        assert_eq!(json, expected);
        assert!(
            config.main.path.exists(),
            "the text module is written in binary"
        );
        assert!(super::config(&scratch, "t", &plan, true, "run", 2, 5).is_err());

        let mut nan = ModuleSpec::from_text("main", "(module)").unwrap();
        nan.bind_value("env", "x", Value::F32(f32::NAN.to_bits()));
        let err = module_config(&scratch, "nan", &nan).unwrap_err();
        assert!(err.to_string().contains("non-finite"), "{err}");
    }
}
