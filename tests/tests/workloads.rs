//! The real-code workloads of `workloads/manifest.toml` (Rust crates from crates.io and C
//! kernels, compiled to wasm by `workloads/build.sh`; the .wasm files are committed).
//!
//! For every manifest entry, one test per way of running it, each asserting that `invoke`
//! returns the manifest's checksum:
//!
//! - `NAME::preimports`: stagec, the generic module specialized on its bindings
//!   ([`Module::with_preimports`]);
//! - `NAME::imports`: stagec, the same bindings as ordinary runtime imports
//!   ([`Preimports::link`], the indirection baseline);
//! - `NAME::hand`: stagec, the hand-specialized build (no imports);
//! - `NAME::wasmtime`: wasmtime, the generic module with the bindings as runtime imports
//!   (an independent check of the checksum);
//! - `NAME::shape`: the files exist, every import of the generic module is bound and every
//!   binding is used, the hand build imports nothing, and both validate under stagec's
//!   feature set (WebAssembly 2.0 with SIMD, and relaxed SIMD).
//!
//! One more trial, `explain-counts`, compares the counts of [`Module::explain`] (CLIF and
//! machine instructions, vmctx loads, calls by kind) of the hot functions listed in
//! `tests/explain-counts.txt`, specialized on the manifest's bindings, with the file
//! (`stagec_tests::explain_counts`; `STAGEC_BLESS=1` rewrites it).
//!
//! Each run calls `invoke` twice on one instance (a benchmark calls it repeatedly, so it
//! must not depend on state left by an earlier call), or `STAGEC_WORKLOADS_TIMES=N` times
//! (N ≥ 2), then printing the median time of the calls after the first (compilation
//! excluded; the first call also pays for growing memory). A missing or empty manifest
//! fails the whole run.

use anyhow::{Context, Result, anyhow, bail, ensure};
use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;
use stagec::{Engine, EntityType, Linker, Module, Preimports, Provider, Store, Val, ValType};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    workload: Vec<Workload>,
}

/// One `[[workload]]` entry (the contract is described in workloads/README.md).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Workload {
    name: String,
    kind: String,
    description: String,
    wasm: String,
    /// "" when there is no hand-specialized build.
    hand: String,
    invoke: String,
    preimports: Vec<String>,
    checksum: i64,
}

/// One `MOD.NAME=VALUE` binding, in stagec's `--preimport` syntax.
#[derive(Debug, PartialEq)]
struct Binding {
    module: String,
    name: String,
    value: BindingValue,
}

#[derive(Debug, PartialEq)]
enum BindingValue {
    /// An integer (decimal or `0x` hex, optional sign), typed by the import.
    Integer(i128),
    /// `@FILE#EXPORT`: an export of a provider module, FILE relative to workloads/.
    Export { file: String, export: String },
}

/// A manifest binding in stagec's syntax (`stagec::BindingSpec`), its literal read as an
/// integer (the workloads bind integers and provider exports only).
fn parse_binding(text: &str) -> Result<Binding> {
    let spec = stagec::BindingSpec::parse(text)?;
    let value = match spec.value {
        stagec::BindingValue::Literal(v) => BindingValue::Integer(
            parse_integer(&v).ok_or_else(|| anyhow!("`{text}`: not an integer"))?,
        ),
        stagec::BindingValue::Export { file, export } => BindingValue::Export {
            file: file.to_string_lossy().into_owned(),
            export,
        },
        stagec::BindingValue::Module { .. } => {
            return Err(anyhow!("`{text}`: the workloads bind single imports"));
        }
    };
    Ok(Binding {
        module: spec.module,
        name: spec.name,
        value,
    })
}

/// Decimal or `0x` hex, with an optional sign.
fn parse_integer(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let magnitude = match digits.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    (!digits.starts_with(['+', '-'])).then_some(if negative { -magnitude } else { magnitude })
}

/// `value` as a value of the global type `ty`: i32 takes -2^31..2^32 (above 2^31 as its
/// bit pattern), i64 likewise, as stagec's command line does.
fn integer_val(value: i128, ty: ValType) -> Result<Val> {
    match ty {
        ValType::I32 if (i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&value) => {
            Ok(Val::I32(value as u32 as i32))
        }
        ValType::I64 if (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&value) => {
            Ok(Val::I64(value as u64 as i64))
        }
        _ => bail!("{value} is not a valid {ty}"),
    }
}

fn workloads_dir() -> PathBuf {
    stagec_tests::workspace_root().join("workloads")
}

fn read(path: &str) -> Result<Vec<u8>> {
    let full = workloads_dir().join(path);
    std::fs::read(&full).with_context(|| format!("cannot read {}", full.display()))
}

/// The workload's bindings, resolved against its generic module's imports: every import
/// must be bound, every binding must name an import. Provider modules must have no imports
/// of their own.
fn preimports(engine: &Engine, w: &Workload) -> Result<Preimports> {
    let imports = Module::import_types(&read(&w.wasm)?)?;
    let bindings = w
        .preimports
        .iter()
        .map(|text| parse_binding(text))
        .collect::<Result<Vec<_>>>()?;
    let mut set = Preimports::new();
    let mut providers: HashMap<&str, Provider> = HashMap::new();
    for (module, name, ty) in &imports {
        let binding = bindings
            .iter()
            .find(|b| b.module == *module && b.name == *name)
            .ok_or_else(|| anyhow!("import {module}.{name} has no binding in the manifest"))?;
        match (&binding.value, ty) {
            (BindingValue::Integer(v), EntityType::Global(g)) if !g.mutable => {
                let val = integer_val(*v, g.ty).with_context(|| format!("{module}.{name}"))?;
                set.value(module, name, val);
            }
            (BindingValue::Integer(_), _) => {
                bail!("import {module}.{name} is not an immutable global: {ty:?}")
            }
            (BindingValue::Export { file, export }, _) => {
                let provider = match providers.get(file.as_str()) {
                    Some(p) => p.clone(),
                    None => {
                        let bytes = read(file)?;
                        ensure!(
                            Module::import_types(&bytes)?.is_empty(),
                            "provider {file} has imports (not supported here)"
                        );
                        let p = Provider::new(engine, &bytes, Preimports::new())
                            .with_context(|| format!("provider {file}"))?;
                        providers.insert(file, p.clone());
                        p
                    }
                };
                set.export(module, name, &provider, export);
            }
        }
    }
    for b in &bindings {
        ensure!(
            imports
                .iter()
                .any(|(m, n, _)| *m == b.module && *n == b.name),
            "the binding of {}.{} names no import of {}",
            b.module,
            b.name,
            w.wasm
        );
    }
    Ok(set)
}

/// How many times each run calls `invoke`: `STAGEC_WORKLOADS_TIMES`, at least 2.
fn calls() -> usize {
    std::env::var("STAGEC_WORKLOADS_TIMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(2, |n: usize| n.max(2))
}

/// Whether to print times (`STAGEC_WORKLOADS_TIMES` is set).
fn timing() -> bool {
    std::env::var_os("STAGEC_WORKLOADS_TIMES").is_some()
}

/// Calls `invoke` [`calls`] times through `call_once`, checks every result against the
/// manifest, and prints the median time of the calls after the first if asked to.
fn call_repeatedly(
    w: &Workload,
    way: &str,
    mut call_once: impl FnMut() -> Result<i64>,
) -> Result<()> {
    let mut times = Vec::new();
    for i in 0..calls() {
        let start = Instant::now();
        let result = call_once()?;
        let elapsed = start.elapsed();
        ensure!(
            result == w.checksum,
            "{}: call {} of `{}` returned {result}, the manifest says {}",
            w.name,
            i + 1,
            w.invoke,
            w.checksum
        );
        if i > 0 {
            times.push(elapsed);
        }
    }
    if timing() {
        times.sort();
        let median: Duration = times[times.len() / 2];
        eprintln!(
            "{} {way}: {:.2} ms (median of {} calls)",
            w.name,
            median.as_secs_f64() * 1e3,
            times.len()
        );
    }
    Ok(())
}

/// Calls `w.invoke` on a stagec instance repeatedly (see [`call_repeatedly`]).
fn call(store: &mut Store, instance: stagec::Instance, w: &Workload, way: &str) -> Result<()> {
    let func = instance
        .get_func(store, &w.invoke)
        .ok_or_else(|| anyhow!("no exported function `{}`", w.invoke))?;
    let ty = func.ty(store);
    ensure!(
        ty.params.is_empty() && ty.results.len() == 1,
        "`{}` must take no parameters and return one value: {ty:?}",
        w.invoke
    );
    call_repeatedly(w, way, || {
        let mut results = [Val::I64(0)];
        func.call(store, &[], &mut results)?;
        match results[0] {
            Val::I64(v) => Ok(v),
            Val::I32(v) => Ok(i64::from(v)),
            other => bail!("`{}` returned {other:?}", w.invoke),
        }
    })
}

fn run_preimports(w: &Workload) -> Result<()> {
    let engine = Engine::new(Default::default())?;
    let pre = preimports(&engine, w)?;
    let module = Module::with_preimports(&engine, read(&w.wasm)?, &pre)?;
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module)?;
    call(&mut store, instance, w, "stagec preimports")
}

fn run_imports(w: &Workload) -> Result<()> {
    let engine = Engine::new(Default::default())?;
    let pre = preimports(&engine, w)?;
    let module = Module::new(&engine, read(&w.wasm)?)?;
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    pre.link(&mut store, &mut linker)?;
    let instance = linker.instantiate(&mut store, &module)?;
    call(&mut store, instance, w, "stagec imports")
}

fn run_hand(w: &Workload) -> Result<()> {
    let engine = Engine::new(Default::default())?;
    let module = Module::new(&engine, read(&w.hand)?)?;
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module)?;
    call(&mut store, instance, w, "stagec hand")
}

/// wasmtime on the generic module: integer bindings as host globals, provider exports from
/// one wasmtime instance per provider file.
fn run_wasmtime(w: &Workload) -> Result<()> {
    use wasmtime::{Global, GlobalType, Instance, Mutability};
    let wt = |e: wasmtime::Error| anyhow!("wasmtime: {e:?}");
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::new(&engine, read(&w.wasm)?).map_err(wt)?;
    let mut store = wasmtime::Store::new(&engine, ());
    let mut linker = wasmtime::Linker::new(&engine);
    let mut providers: HashMap<String, Instance> = HashMap::new();
    for text in &w.preimports {
        let b = parse_binding(text)?;
        let item: wasmtime::Extern = match &b.value {
            BindingValue::Integer(v) => {
                let import = module
                    .imports()
                    .find(|i| i.module() == b.module && i.name() == b.name)
                    .ok_or_else(|| anyhow!("`{text}` names no import"))?;
                let ty = import
                    .ty()
                    .global()
                    .ok_or_else(|| anyhow!("`{text}`: not a global import"))?
                    .content()
                    .clone();
                let (val, content) = if ty.is_i64() {
                    let Val::I64(x) = integer_val(*v, ValType::I64)? else {
                        unreachable!("an i64 value")
                    };
                    (wasmtime::Val::I64(x), wasmtime::ValType::I64)
                } else {
                    let Val::I32(x) = integer_val(*v, ValType::I32)? else {
                        unreachable!("an i32 value")
                    };
                    (wasmtime::Val::I32(x), wasmtime::ValType::I32)
                };
                let global_ty = GlobalType::new(content, Mutability::Const);
                Global::new(&mut store, global_ty, val).map_err(wt)?.into()
            }
            BindingValue::Export { file, export } => {
                let instance = match providers.get(file) {
                    Some(i) => *i,
                    None => {
                        let provider = wasmtime::Module::new(&engine, read(file)?).map_err(wt)?;
                        let i = Instance::new(&mut store, &provider, &[]).map_err(wt)?;
                        providers.insert(file.clone(), i);
                        i
                    }
                };
                instance
                    .get_export(&mut store, export)
                    .ok_or_else(|| anyhow!("`{text}`: {file} exports no `{export}`"))?
            }
        };
        linker
            .define(&store, &b.module, &b.name, item)
            .map_err(wt)?;
    }
    let instance = linker.instantiate(&mut store, &module).map_err(wt)?;
    let func = instance
        .get_func(&mut store, &w.invoke)
        .ok_or_else(|| anyhow!("no exported function `{}`", w.invoke))?;
    call_repeatedly(w, "wasmtime imports", || {
        let mut results = [wasmtime::Val::I64(0)];
        func.call(&mut store, &[], &mut results).map_err(wt)?;
        match results[0] {
            wasmtime::Val::I64(v) => Ok(v),
            wasmtime::Val::I32(v) => Ok(i64::from(v)),
            ref other => bail!("`{}` returned {other:?}", w.invoke),
        }
    })
}

/// Valid under stagec's feature set ([`stagec_frontend::FEATURES`]): what stagec
/// implements.
fn validate(path: &str) -> Result<()> {
    wasmparser::Validator::new_with_features(stagec_frontend::FEATURES)
        .validate_all(&read(path)?)
        .with_context(|| format!("{path} is not in stagec's feature set"))?;
    Ok(())
}

fn check_shape(w: &Workload) -> Result<()> {
    ensure!(
        matches!(w.kind.as_str(), "rust" | "c"),
        "kind `{}` is neither rust nor c",
        w.kind
    );
    ensure!(!w.description.is_empty(), "no description");
    validate(&w.wasm)?;
    // Resolving the bindings checks that imports and bindings match one to one.
    preimports(&Engine::new(Default::default())?, w)?;
    if w.hand.is_empty() {
        ensure!(w.kind == "rust", "a C kernel must have a hand build");
    } else {
        validate(&w.hand)?;
        let imports = Module::import_types(&read(&w.hand)?)?;
        ensure!(
            imports.is_empty(),
            "the hand build {} has imports: {imports:?}",
            w.hand
        );
    }
    Ok(())
}

fn load_manifest() -> Result<Vec<Workload>> {
    let path = workloads_dir().join("manifest.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: Manifest =
        toml::from_str(&text).with_context(|| format!("{} is malformed", path.display()))?;
    ensure!(
        !manifest.workload.is_empty(),
        "{} lists no workload",
        path.display()
    );
    let mut names: Vec<&str> = manifest.workload.iter().map(|w| w.name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|p| p[0] == p[1]) {
        bail!("workload name `{}` appears twice", pair[0]);
    }
    Ok(manifest.workload)
}

/// The `explain-counts` trial: every function of `tests/explain-counts.txt` explained,
/// specialized on its workload's bindings, against the recorded counts (rewritten when
/// blessing).
fn check_explain_counts(workloads: &[Arc<Workload>]) -> Result<()> {
    use stagec_tests::explain_counts::{
        EXPLAIN_BLESS_COMMAND, ExplainCounts, FunctionCounts, compare,
    };
    let path = stagec_tests::workspace_root().join("tests/explain-counts.txt");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut file = ExplainCounts::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    ensure!(
        !file.entries.is_empty(),
        "{} guards no function",
        path.display()
    );
    let engine = Engine::new(Default::default())?;
    let mut changes = Vec::new();
    for entry in &mut file.entries {
        let w = workloads
            .iter()
            .find(|w| w.name == entry.workload)
            .ok_or_else(|| anyhow!("{}: no workload `{}`", path.display(), entry.workload))?;
        let pre = preimports(&engine, w)?;
        let explained = Module::explain(
            &engine,
            read(&w.wasm)?,
            &pre,
            &entry.func.to_string(),
            &Default::default(),
        )
        .with_context(|| format!("explaining {} function {}", w.name, entry.func))?;
        let now = FunctionCounts::of(&explained.specialized);
        if let Some(change) = compare(entry, now) {
            changes.push(change);
        }
        entry.counts = now;
    }
    if stagec_tests::blessing() {
        std::fs::write(&path, file.render())?;
        return Ok(());
    }
    ensure!(
        changes.is_empty(),
        "the specialized builds' counts moved against {}:\n{}\nA regression means an \
         optimization stopped firing; if every change is intended, bless with `{EXPLAIN_BLESS_COMMAND}`",
        path.display(),
        changes
            .iter()
            .map(|c| format!("  {c}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(())
}

fn trial(
    w: &Arc<Workload>,
    way: &str,
    run: impl FnOnce(&Workload) -> Result<()> + Send + 'static,
) -> Trial {
    let name = format!("{}::{way}", w.name);
    let kind = w.kind.clone();
    let w = Arc::clone(w);
    Trial::test(name, move || {
        run(&w).map_err(|e| Failed::from(format!("{e:#}")))
    })
    .with_kind(kind)
}

fn main() {
    let args = Arguments::from_args();
    let trials = match load_manifest() {
        Ok(workloads) => {
            let workloads: Vec<Arc<Workload>> = workloads.into_iter().map(Arc::new).collect();
            let all = workloads.clone();
            let mut trials = vec![
                parse_self_test(),
                Trial::test("explain-counts", move || {
                    check_explain_counts(&all).map_err(|e| Failed::from(format!("{e:#}")))
                }),
            ];
            for w in workloads {
                trials.push(trial(&w, "shape", check_shape));
                trials.push(trial(&w, "preimports", run_preimports));
                trials.push(trial(&w, "imports", run_imports));
                if !w.hand.is_empty() {
                    trials.push(trial(&w, "hand", run_hand));
                }
                trials.push(trial(&w, "wasmtime", run_wasmtime));
            }
            trials
        }
        Err(e) => {
            let message = format!("{e:#}");
            vec![Trial::test("manifest", move || Err(message.into()))]
        }
    };
    libtest_mimic::run(&args, trials).exit();
}

/// The binding parser on the forms the manifest uses, and on malformed ones.
fn parse_self_test() -> Trial {
    Trial::test("binding-syntax", || {
        let check = || -> Result<()> {
            let b = parse_binding("env.N=0x9e3779b9")?;
            ensure!(b.module == "env" && b.name == "N");
            ensure!(b.value == BindingValue::Integer(0x9e37_79b9));
            ensure!(matches!(
                integer_val(0x9e37_79b9, ValType::I32)?,
                Val::I32(v) if v == 0x9e37_79b9_u32 as i32
            ));
            ensure!(matches!(integer_val(-5, ValType::I64)?, Val::I64(-5)));
            ensure!(integer_val(1 << 32, ValType::I32).is_err());
            let b = parse_binding("env.mix=@rust/provider.wat#mix")?;
            ensure!(
                b.value
                    == BindingValue::Export {
                        file: "rust/provider.wat".into(),
                        export: "mix".into()
                    }
            );
            for bad in [
                "env.N",
                "envN=1",
                ".N=1",
                "env.=1",
                "env.N=x1",
                "env.N=--1",
                "env.f=@p",
            ] {
                ensure!(parse_binding(bad).is_err(), "`{bad}` parsed");
            }
            Ok(())
        };
        check().map_err(|e| Failed::from(format!("{e:#}")))
    })
}
