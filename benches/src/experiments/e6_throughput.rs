//! E6: compile throughput and generated-code speed, generic stagec vs wasmtime 48.
//!
//! The module is the synthetic one of [`super::e6_synth`] (no large real module is in the
//! repository yet); `--wasm FILE` adds the compile-throughput rows for any other module.
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

use super::timing::{Check, Contender, interleaved, median, noise};
use super::{Options, StagecRun, ms3, pct, print_table};
use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

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
    println!("{}", super::timing::ms(start.elapsed()));
    Ok(())
}

/// One compilation of `source` by stagec on one thread, in a child process; ms.
fn compile_in_child(source: &Source) -> Result<f64> {
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
    text.trim()
        .parse()
        .map_err(|e| anyhow!("the compile child printed `{}`: {e}", text.trim()))
}

fn wt<T>(r: wasmtime::Result<T>) -> Result<T> {
    r.map_err(|e| anyhow!("{e:?}"))
}

/// Compile times of `source` (ms per compilation): stagec parallel, stagec one thread,
/// wasmtime; interleaved rounds.
fn compile_times(source: &Source, bytes: &[u8], rounds: usize) -> Result<[Vec<f64>; 3]> {
    let engine = stagec::Engine::new(stagec::Config::default())?;
    let wasmtime_engine = wt(wasmtime::Engine::new(&wasmtime::Config::new()))?;
    // Warm up the in-process compilers once (the child warms up itself).
    stagec::Module::from_binary(&engine, bytes)?;
    wt(wasmtime::Module::new(&wasmtime_engine, bytes))?;
    let mut times: [Vec<f64>; 3] = Default::default();
    for round in 0..rounds {
        eprintln!(
            "e6: {}: compile round {}/{rounds}",
            source.label(),
            round + 1
        );
        for i in 0..3 {
            let k = (round + i) % 3;
            let t = match k {
                0 => {
                    let start = Instant::now();
                    stagec::Module::from_binary(&engine, bytes)?;
                    super::timing::ms(start.elapsed())
                }
                1 => compile_in_child(source)?,
                _ => {
                    let start = Instant::now();
                    wt(wasmtime::Module::new(&wasmtime_engine, bytes))?;
                    super::timing::ms(start.elapsed())
                }
            };
            times[k].push(t);
        }
    }
    Ok(times)
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
            let ms = median(t);
            vec![
                source.label(),
                format!("{:.2}", mb),
                name.to_string(),
                format!("{ms:.0}"),
                format!("{:.2}", mb / (ms / 1e3)),
                pct(noise(t)).replace('+', ""),
            ]
        })
        .collect())
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
    let rounds = opts.rounds_between(3, 7);
    let mut rows = compile_rows(&synthetic, &bytes, rounds)?;
    for path in &opts.wasm {
        let source = Source::File(path.clone());
        let file_bytes = source.bytes()?;
        rows.extend(compile_rows(&source, &file_bytes, rounds)?);
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

    // Code speed: the synthetic module's `run`.
    let n = opts.arg(functions as i32, functions as i32 / 4);
    let engine = stagec::Engine::new(stagec::Config::default())?;
    let module = stagec::Module::from_binary(&engine, &bytes)?;
    let mut stagec_run =
        StagecRun::new(stagec::Store::new(&engine), &module, &stagec::Linker::new())?;
    let wasmtime_engine = wt(wasmtime::Engine::new(&wasmtime::Config::new()))?;
    let wasmtime_module = wt(wasmtime::Module::new(&wasmtime_engine, &bytes))?;
    let mut store = wasmtime::Store::new(&wasmtime_engine, ());
    let instance = wt(wasmtime::Instance::new(&mut store, &wasmtime_module, &[]))?;
    let wasmtime_run = wt(instance.get_typed_func::<i32, i64>(&mut store, "run"))?;
    let mut contenders = vec![
        Contender::new("stagec (generic)", move || stagec_run.call(n)),
        Contender::new("wasmtime 48", move || wt(wasmtime_run.call(&mut store, n))),
    ];
    let (times, checksum) = interleaved(&mut contenders, opts.warmup, opts.rounds, Check::Equal)?;
    println!(
        "Code speed: `run({n})` of the synthetic module ({n} calls through the table, each reaching up to two levels of further calls), checksum {}; medians of {} interleaved rounds.\n",
        checksum.unwrap_or_default(),
        opts.rounds
    );
    let base = median(&times[1]);
    print_table(
        &["engine", "median ms", "relative to wasmtime", "noise (IQR)"],
        &contenders
            .iter()
            .zip(&times)
            .map(|(c, t)| {
                vec![
                    c.name.clone(),
                    ms3(median(t)),
                    format!("{:.2}×", median(t) / base),
                    pct(noise(t)).replace('+', ""),
                ]
            })
            .collect::<Vec<_>>(),
    );
    println!("relative = t(engine) / t(wasmtime): > 1 = slower than wasmtime.\n");
    Ok(())
}
