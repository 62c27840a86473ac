//! E6: compile throughput and generated-code speed, generic stagec vs wasmtime 48.
//!
//! The modules: the synthetic one of [`super::e6_synth`], with `--workloads DIR` the
//! largest real-code workload of the manifest (compile throughput, and the speed of its
//! `invoke` export with its bindings as runtime imports on both engines), and with
//! `--wasm FILE` any other module (compile throughput only).
//! Compilers, both at Cranelift's default `speed` optimisation level:
//!
//! - stagec `Module::from_binary`, which compiles the functions of a module of at least
//!   16 functions in parallel on rayon's global pool (2 threads on a 2-core machine);
//! - the same with one thread: rayon's global pool is sized by `RAYON_NUM_THREADS`, which
//!   must be set before the pool starts, so this runs in a child process of this binary
//!   (`__e6-compile-child`) that compiles once untimed and then once timed, and reports;
//! - wasmtime `Module::new` with the default `Config`: the benches build wasmtime
//!   without its `parallel-compilation` feature, so it compiles on one thread.
//!
//! Compilations are interleaved round by round. Then both engines' instances of the
//! synthetic module run `run(n)`, interleaved, and must return the same checksum.

use super::{Options, ms3, pct, print_table};
use crate::plan::{ModuleSpec, Plan};
use crate::runner::Runner;
use crate::runner::stagec as stagec_runner;
use crate::runner::wasmtime::{self as wasmtime_runner, wt};
use crate::stats::Samples;
use crate::timing::{Check, Contender, interleaved, interleaved_with_progress, ms};
use crate::workloads::manifest::{self, Workload};
use crate::workloads::resolve;
use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The first argument that makes this binary a compile child.
pub const CHILD_ARG: &str = "__e6-compile-child";

/// Where a module comes from: the synthetic generator (with this many functions) or a
/// file. Passed to the child as `synth:N` or a path.
#[derive(Clone, Debug)]
pub enum Source {
    /// [`super::e6_synth::module`] with this many functions.
    Synthetic(usize),
    /// A `.wasm` or `.wat` file.
    File(PathBuf),
}

impl Source {
    fn arg(&self) -> String {
        match self {
            Source::Synthetic(n) => format!("synth:{n}"),
            Source::File(p) => p.display().to_string(),
        }
    }

    fn parse(arg: &str) -> Result<Source> {
        Ok(match arg.strip_prefix("synth:") {
            Some(n) => Source::Synthetic(n.parse().context("synth:N")?),
            None => Source::File(arg.into()),
        })
    }

    /// The module's binary.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        match self {
            Source::Synthetic(n) => Ok(wat::parse_str(super::e6_synth::module(*n))?),
            Source::File(path) => {
                let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
                Ok(wat::parse_bytes(&bytes)?.into_owned())
            }
        }
    }

    fn label(&self) -> String {
        match self {
            Source::Synthetic(n) => format!("synthetic, {n} functions"),
            Source::File(p) => Path::new(p)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
        }
    }
}

/// The child's work: compile `source` with stagec twice, print the second time in ms.
pub fn child(args: &[String]) -> Result<()> {
    let [source] = args else {
        bail!("usage: {CHILD_ARG} synth:N|FILE");
    };
    let bytes = Source::parse(source)?.bytes()?;
    let engine = stagec::Engine::new(stagec::Config::default())?;
    stagec::Module::from_binary(&engine, &bytes)?;
    let start = Instant::now();
    stagec::Module::from_binary(&engine, &bytes)?;
    println!("{}", ms(start.elapsed()));
    Ok(())
}

/// One compilation of `source` by stagec on one thread, in a child process: the time
/// the child measured.
fn compile_in_child(source: &Source) -> Result<Duration> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .arg(CHILD_ARG)
        .arg(source.arg())
        .env("RAYON_NUM_THREADS", "1")
        .output()?;
    if !out.status.success() {
        bail!(
            "the compile child failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8(out.stdout)?;
    let ms: f64 = text
        .trim()
        .parse()
        .map_err(|e| anyhow!("the compile child printed `{}`: {e}", text.trim()))?;
    Duration::try_from_secs_f64(ms / 1e3)
        .map_err(|e| anyhow!("the compile child printed `{}`: {e}", text.trim()))
}

/// Compile times of `source` (ms per compilation): stagec parallel, stagec one thread,
/// wasmtime; interleaved rounds.
fn compile_times(source: &Source, bytes: &[u8], rounds: usize) -> Result<Vec<Samples>> {
    let engine = stagec::Engine::new(stagec::Config::default())?;
    let wasmtime_engine = wasmtime_runner::engine(false)?;
    // Warm up the in-process compilers once (the child warms up itself).
    stagec::Module::from_binary(&engine, bytes)?;
    wt(wasmtime::Module::new(&wasmtime_engine, bytes))?;
    let mut contenders = vec![
        Contender::new(COMPILERS[0], || {
            stagec::Module::from_binary(&engine, bytes)?;
            Ok(0)
        }),
        Contender::self_timed(COMPILERS[1], || compile_in_child(source)),
        Contender::new(COMPILERS[2], || {
            wt(wasmtime::Module::new(&wasmtime_engine, bytes))?;
            Ok(0)
        }),
    ];
    let label = source.label();
    let timed = interleaved_with_progress(&mut contenders, 0, rounds, Check::None, |round| {
        eprintln!("e6: {label}: compile round {}/{rounds}", round + 1);
    })?;
    Ok(timed.samples)
}

const COMPILERS: [&str; 3] = [
    "stagec (rayon, 2 threads)",
    "stagec (1 thread)",
    "wasmtime 48 (1 thread)",
];

fn compile_rows(source: &Source, bytes: &[u8], rounds: usize) -> Result<Vec<Vec<String>>> {
    let times = compile_times(source, bytes, rounds)?;
    let mb = bytes.len() as f64 / 1e6;
    Ok(COMPILERS
        .iter()
        .zip(&times)
        .map(|(name, t)| {
            let ms = t.median();
            vec![
                source.label(),
                format!("{:.2}", mb),
                name.to_string(),
                format!("{ms:.0}"),
                format!("{:.2}", mb / (ms / 1e3)),
                pct(t.noise()).replace('+', ""),
            ]
        })
        .collect())
}

/// The largest workload of the manifest in `dir` (by wasm size).
fn largest_workload(dir: &Path) -> Result<Workload> {
    let mut best: Option<(u64, Workload)> = None;
    for w in manifest::load(&dir.join("manifest.toml"))? {
        let size = std::fs::metadata(&w.wasm)
            .with_context(|| w.wasm.display().to_string())?
            .len();
        if best.as_ref().is_none_or(|(s, _)| size > *s) {
            best = Some((size, w));
        }
    }
    best.map(|(_, w)| w)
        .ok_or_else(|| anyhow!("{}: the manifest lists no workload", dir.display()))
}

/// Runs E6 and prints its tables.
pub fn run(opts: &Options) -> Result<()> {
    let functions = if opts.quick {
        200
    } else {
        opts.synth_functions
    };
    let synthetic = Source::Synthetic(functions);
    let bytes = synthetic.bytes()?;
    let workload = opts
        .workloads
        .as_deref()
        .map(largest_workload)
        .transpose()?;
    let rounds = opts.rounds_between(3, 7);
    let mut sources = vec![(synthetic, bytes.clone())];
    if let Some(w) = &workload {
        let (binary, _) = crate::plan::read_binary(&w.wasm)?;
        sources.push((Source::File(w.wasm.clone()), binary));
    }
    for path in &opts.wasm {
        let source = Source::File(path.clone());
        let file_bytes = source.bytes()?;
        sources.push((source, file_bytes));
    }
    let mut rows = Vec::new();
    for (source, b) in &sources {
        rows.extend(compile_rows(source, b, rounds)?);
    }
    println!("## E6: compile throughput and code speed, generic stagec vs wasmtime 48\n");
    println!(
        "Compile: medians of {rounds} interleaved rounds, ms per compilation of the whole module (wasm binary in memory; no instantiation). Cranelift opt level `speed` on both. wasmtime is built without `parallel-compilation` (serial); stagec compiles in parallel with rayon, or on one thread with RAYON_NUM_THREADS=1 (child process, warmed up by one untimed compilation).\n"
    );
    print_table(
        &[
            "module",
            "wasm MB",
            "compiler",
            "compile ms",
            "MB/s",
            "noise (IQR)",
        ],
        &rows,
    );

    // Code speed: the synthetic module's `run`, and the workload's export.
    let n = opts.arg(functions as i32, functions as i32 / 4);
    let engine = stagec_runner::engine()?;
    let wasmtime_engine = wasmtime_runner::engine(false)?;
    let mut speed_rows = Vec::new();
    {
        let plan = Plan::new(ModuleSpec::from_binary("synthetic", bytes.clone()));
        let mut ours = stagec_runner::indirection(&engine, &plan, "run")?;
        let mut theirs = wasmtime_runner::generic(&wasmtime_engine, &plan, "run")?;
        let label = format!("synthetic `run({n})`");
        speed_rows.extend(code_speed(
            &label,
            opts,
            Contender::new("stagec", move || ours.call(&[n])),
            Contender::new("wasmtime", move || theirs.call(&[n])),
        )?);
    }
    if let Some(w) = &workload {
        let (plan, _) = resolve::plan(w)?;
        let mut ours = stagec_runner::indirection(&engine, &plan, &w.invoke)?;
        let mut theirs = wasmtime_runner::generic(&wasmtime_engine, &plan, &w.invoke)?;
        let label = format!(
            "workload {} `{}()` (imports linked at run time)",
            w.name, w.invoke
        );
        speed_rows.extend(code_speed(
            &label,
            opts,
            Contender::new("stagec", move || ours.call(&[])),
            Contender::new("wasmtime", move || theirs.call(&[])),
        )?);
    }
    println!(
        "Code speed: medians of {} interleaved rounds, ms per call; relative = t(engine) / t(wasmtime), > 1 = slower than wasmtime.\n",
        opts.rounds
    );
    print_table(
        &[
            "code",
            "engine",
            "median ms",
            "relative to wasmtime",
            "noise (IQR)",
        ],
        &speed_rows,
    );
    Ok(())
}

/// Times `ours` (stagec) against `theirs` (wasmtime), interleaved; their checksums must
/// agree. Two table rows.
fn code_speed(
    label: &str,
    opts: &Options,
    ours: Contender<'_>,
    theirs: Contender<'_>,
) -> Result<Vec<Vec<String>>> {
    let mut contenders = vec![ours, theirs];
    let timed = interleaved(&mut contenders, opts.warmup, opts.rounds, Check::Equal)?;
    let checksum = timed.checksum.unwrap_or_default();
    eprintln!("e6: {label}: checksum {checksum}");
    let base = timed.samples[1].median();
    Ok(["stagec (generic)", "wasmtime 48"]
        .iter()
        .zip(&timed.samples)
        .map(|(engine, t)| {
            vec![
                label.to_string(),
                engine.to_string(),
                ms3(t.median()),
                format!("{:.2}×", t.median() / base),
                pct(t.noise()).replace('+', ""),
            ]
        })
        .collect())
}
