//! `stagec bench`: what specialization buys one function of the user's own module. The
//! module is compiled twice, specialized on the `--preimport` bindings and with the same
//! bindings as runtime imports (the indirection baseline of `run --specialize off`); both
//! must return the same results, then both are timed, interleaved call batch by call batch.
//! A program (WASI, or the sightglass hooks) is timed run by run instead: see
//! `bench_program.rs`.

use crate::program::{self, Stdio, WasiArgs};
use crate::values::{format_val, parse_args};
use crate::{BindingArgs, Specialize};
use anyhow::{Context, Result, bail};
use clap::{Args, Parser};
use serde::Serialize;
use stagec::{Func, Linker, Store, Val};
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A batch of calls is timed as one sample; batches last at least this long.
const MIN_SAMPLE: Duration = Duration::from_millis(1);

/// The options of `stagec bench`.
#[derive(Args, Clone, Debug)]
pub struct BenchOptions {
    /// The exported function to time (required for a module that is not a program; for a
    /// program: instead of its `bench.start`..`bench.end` region or `_start`).
    #[arg(long, value_name = "NAME")]
    pub(crate) invoke: Option<String>,
    /// Bind an import at compile time in the specialized build, and at run time in the
    /// indirection build: MOD.NAME=VALUE as for `run`. Repeatable.
    #[arg(long = "preimport", value_name = "MOD.NAME=VALUE")]
    pub(crate) preimports: Vec<String>,
    /// Supply an import at run time in both builds. Repeatable.
    #[arg(long = "import", value_name = "MOD.NAME=VALUE")]
    pub(crate) imports: Vec<String>,
    /// Inline preimported functions of at most this many CLIF instructions (0: never).
    #[arg(long, value_name = "N")]
    pub(crate) inline_threshold: Option<usize>,
    /// Timed samples per build.
    #[arg(long, value_name = "N", default_value_t = 21)]
    pub(crate) runs: usize,
    /// Untimed calls per build before timing.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) warmup: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// Only compile both builds and check that they return the same results (no timing).
    #[arg(long)]
    pub(crate) check_only: bool,
    #[command(flatten)]
    pub wasi: WasiArgs,
}

/// `stagec bench` of a module that is not a program: options may also follow the file.
#[derive(Parser)]
#[command(name = "stagec bench")]
pub struct ModuleBench {
    #[command(flatten)]
    pub options: BenchOptions,
    /// The module (`.wat` or `.wasm`).
    pub file: PathBuf,
    /// Arguments of the invoked function, as for `run`.
    #[arg(allow_hyphen_values = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

/// What to time: the module, the options, and the arguments of the invoked function (of
/// the program, for a program).
pub struct BenchArgs {
    pub file: PathBuf,
    pub options: BenchOptions,
    pub args: Vec<String>,
    /// Whether the module is a program (imports WASI or the bench hooks).
    pub program: bool,
}

impl BenchArgs {
    /// The bindings of one build: the flags' preimports as preimports (`specialize` on)
    /// or as runtime imports.
    pub fn bindings(&self, specialize: Specialize) -> BindingArgs {
        BindingArgs {
            preimports: self.options.preimports.clone(),
            imports: self.options.imports.clone(),
            specialize,
            inline_threshold: self.options.inline_threshold,
        }
    }
}

/// The name of a build in the report.
pub fn build_name(specialize: Specialize) -> &'static str {
    match specialize {
        Specialize::On => "specialized",
        Specialize::Off => "indirection",
    }
}

/// One build of the module, instantiated.
struct Build {
    name: &'static str,
    store: Store,
    func: Func,
    compile: Duration,
    samples: Vec<Duration>,
}

impl Build {
    fn call(&mut self, params: &[Val], results: &mut [Val]) -> Result<()> {
        self.func
            .call(&mut self.store, params, results)
            .with_context(|| format!("{} build", self.name))
    }

    /// The build's line of the report.
    fn times(&self, calls: u32) -> BuildTimes {
        BuildTimes::new(&self.samples, calls, self.compile)
    }
}

/// Compiles and instantiates `binary` with the flags' bindings as preimports
/// (`specialize` on) or as runtime imports.
fn build(binary: &[u8], args: &BenchArgs, invoke: &str, specialize: Specialize) -> Result<Build> {
    let name = build_name(specialize);
    let engine = crate::engine()?;
    let start = Instant::now();
    let (module, runtime) = crate::compile(&engine, binary, &args.bindings(specialize))?;
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    if args.program {
        // A function of a program: its WASI context set up as for a run (output kept).
        let argv = [args.file.display().to_string()];
        let wasi = args.options.wasi.context(&argv, Stdio::Capture)?;
        program::define(&mut linker, &mut store, &wasi, None)?;
    }
    crate::link_into(&mut store, &mut linker, &module, &runtime)?;
    let instance = linker
        .instantiate(&mut store, &module)
        .with_context(|| format!("{name} build"))?;
    let compile = start.elapsed();
    let func = instance
        .get_func(&store, invoke)
        .ok_or_else(|| crate::no_such_function(&module, invoke))?;
    Ok(Build {
        name,
        store,
        func,
        compile,
        samples: Vec::new(),
    })
}

/// Whether two results are the same value (floats bit for bit; references only by
/// nullness, as they live in different stores).
fn same(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::I32(x), Val::I32(y)) => x == y,
        (Val::I64(x), Val::I64(y)) => x == y,
        (Val::F32(x), Val::F32(y)) => x == y,
        (Val::F64(x), Val::F64(y)) => x == y,
        (Val::V128(x), Val::V128(y)) => x == y,
        (Val::FuncRef(x), Val::FuncRef(y)) => x.is_some() == y.is_some(),
        (Val::ExternRef(x), Val::ExternRef(y)) => x == y,
        _ => false,
    }
}

fn show(results: &[Val]) -> String {
    results
        .iter()
        .map(format_val)
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn bench(args: &BenchArgs) -> Result<()> {
    if crate::is_staged(&args.file) {
        bail!(
            "bench compares core modules: the stages of a staged module are always bound at compile time"
        );
    }
    if args.options.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let Some(name) = &args.options.invoke else {
        if args.program {
            return crate::bench_program::bench_program(args);
        }
        bail!(
            "--invoke NAME is required: the module is not a program (it imports neither `{}` \
             nor `{}`), so there is no region to time",
            stagec_wasi::MODULE,
            stagec_wasi::BENCH_MODULE
        );
    };
    if args.options.wasi.any() && !args.program {
        bail!(
            "--dir, --env and --inherit-env are for programs: the module imports neither `{}` \
             nor `{}`",
            stagec_wasi::MODULE,
            stagec_wasi::BENCH_MODULE
        );
    }
    let binary = crate::read_module(&args.file)?;
    let mut builds = [
        build(&binary, args, name, Specialize::On)?,
        build(&binary, args, name, Specialize::Off)?,
    ];
    let ty = builds[0].func.ty(&builds[0].store);
    let params = parse_args(name, &ty, &args.args)?;
    let fresh = || -> Vec<Val> { ty.results.iter().map(|t| Val::default_for(*t)).collect() };

    // Both builds must agree before anything is timed.
    let (mut spec_results, mut indir_results) = (fresh(), fresh());
    builds[0].call(&params, &mut spec_results)?;
    builds[1].call(&params, &mut indir_results)?;
    if !spec_results
        .iter()
        .zip(&indir_results)
        .all(|(a, b)| same(a, b))
    {
        bail!(
            "the builds disagree: `{name}` returned {} specialized, {} with runtime imports",
            show(&spec_results),
            show(&indir_results)
        );
    }
    if args.options.check_only {
        if args.options.json {
            let agreed = Agreement {
                file: args.file.display().to_string(),
                invoke: name,
                results: spec_results.iter().map(format_val).collect(),
                same: true,
            };
            println!("{}", json_line(&agreed)?);
        } else {
            println!(
                "specialized and indirection agree: {name}({}) = {}",
                args.args.join(", "),
                show(&spec_results)
            );
        }
        return Ok(());
    }

    let mut results = fresh();
    for _ in 0..args.options.warmup {
        for b in &mut builds {
            b.call(&params, &mut results)?;
        }
    }
    // Calls per sample: enough that a sample of the slower build lasts MIN_SAMPLE.
    let mut slowest = Duration::ZERO;
    for b in &mut builds {
        let start = Instant::now();
        b.call(&params, &mut results)?;
        slowest = slowest.max(start.elapsed());
    }
    let calls = (MIN_SAMPLE.as_nanos() / slowest.as_nanos().max(1)).clamp(1, 1_000_000) as u32;
    for run in 0..args.options.runs {
        // Alternate which build goes first, so that drift falls on both alike.
        for i in 0..2 {
            let b = &mut builds[(run + i) % 2];
            let start = Instant::now();
            for _ in 0..calls {
                b.call(&params, &mut results)?;
            }
            b.samples.push(start.elapsed());
        }
    }

    let [spec, indir] = &builds;
    let report = Report::new(
        args,
        name,
        Timed::Call,
        spec_results.iter().map(format_val).collect(),
        calls,
        [spec.times(calls), indir.times(calls)],
    );
    report.print(args.options.json)
}

/// What a sample measures.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Timed {
    /// Calls of the invoked function.
    Call,
    /// A program's regions between `bench.start` and `bench.end`, in one run.
    BenchRegion,
    /// A program's `_start` (it imports no bench hooks).
    Start,
}

/// What `--check-only --json` prints: both builds returned `results`.
#[derive(Serialize)]
pub struct Agreement<'a> {
    pub file: String,
    pub invoke: &'a str,
    /// The results as `run` prints them (a program's exit status).
    pub results: Vec<String>,
    pub same: bool,
}

/// What `--json` prints, and the table shows.
#[derive(Serialize)]
pub struct Report<'a> {
    file: String,
    /// The function timed (`_start` for a program).
    invoke: &'a str,
    timed: Timed,
    args: &'a [String],
    /// The results as `run` prints them.
    results: Vec<String>,
    runs: usize,
    calls_per_run: u32,
    warmup: usize,
    specialized: BuildTimes,
    indirection: BuildTimes,
    /// The indirection median over the specialized median; `None` (JSON `null`) when that
    /// is no number, a median time being zero.
    speedup: Option<f64>,
}

impl<'a> Report<'a> {
    /// The report of `invoke`: its `results` (as `run` prints them; a program's: its exit
    /// status), and the times of both builds, `[specialized, indirection]`.
    pub fn new(
        args: &'a BenchArgs,
        invoke: &'a str,
        timed: Timed,
        results: Vec<String>,
        calls: u32,
        [specialized, indirection]: [BuildTimes; 2],
    ) -> Report<'a> {
        let speedup = Some(indirection.median_ms / specialized.median_ms).filter(|s| s.is_finite());
        Report {
            file: args.file.display().to_string(),
            invoke,
            timed,
            args: &args.args,
            results,
            runs: args.options.runs,
            calls_per_run: calls,
            warmup: args.options.warmup,
            specialized,
            indirection,
            speedup,
        }
    }

    /// Prints the report: one JSON line, or the table.
    pub fn print(&self, json: bool) -> Result<()> {
        if json {
            println!("{}", json_line(self)?);
        } else {
            print_table(self);
        }
        Ok(())
    }
}

/// The timings of one build; times are per call.
#[derive(Serialize, Debug, PartialEq)]
pub struct BuildTimes {
    median_ms: f64,
    min_ms: f64,
    compile_ms: f64,
    /// In the order taken.
    samples_ms: Vec<f64>,
}

impl BuildTimes {
    /// The times of `samples` (at least one), each of `calls` calls.
    pub fn new(samples: &[Duration], calls: u32, compile: Duration) -> BuildTimes {
        let samples_ms: Vec<f64> = samples
            .iter()
            .map(|d| d.as_secs_f64() * 1e3 / f64::from(calls))
            .collect();
        BuildTimes {
            median_ms: median(&samples_ms),
            min_ms: samples_ms.iter().copied().fold(f64::INFINITY, f64::min),
            compile_ms: compile.as_secs_f64() * 1e3,
            samples_ms,
        }
    }
}

/// The median of a non-empty sample.
fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn print_table(report: &Report) {
    if report.timed == Timed::Call {
        println!(
            "{}: {}({}) = {}, the same for both builds",
            report.file,
            report.invoke,
            report.args.join(", "),
            report.results.join(", ")
        );
        println!(
            "{} runs of {} call{} each, interleaved, after {} warm-up calls; times per call",
            report.runs,
            report.calls_per_run,
            if report.calls_per_run == 1 { "" } else { "s" },
            report.warmup
        );
    } else {
        let region = match report.timed {
            Timed::BenchRegion => "its bench.start..bench.end regions",
            _ => "its `_start`",
        };
        let command: Vec<&str> = std::iter::once(report.file.as_str())
            .chain(report.args.iter().map(String::as_str))
            .collect();
        println!(
            "{}: exit status {} and the same output for both builds",
            command.join(" "),
            report.results.join(", ")
        );
        println!(
            "{} runs, each in a fresh instance, interleaved, after {} warm-up runs; times of \
             {region} per run",
            report.runs, report.warmup
        );
    }
    println!();
    println!("| build       | median ms |    min ms | runs | compile ms |");
    println!("|-------------|----------:|----------:|-----:|-----------:|");
    for (name, times) in [
        ("specialized", &report.specialized),
        ("indirection", &report.indirection),
    ] {
        println!(
            "| {:<11} | {:>9} | {:>9} | {:>4} | {:>10.2} |",
            name,
            ms_text(times.median_ms),
            ms_text(times.min_ms),
            times.samples_ms.len(),
            times.compile_ms
        );
    }
    println!();
    let speedup = report.speedup.map_or_else(
        || "not a number (a median of 0 ms)".into(),
        |s| format!("{s:.2}x"),
    );
    println!("speedup of specialization (indirection median / specialized median): {speedup}");
}

/// Milliseconds to about four significant digits (at least three decimals).
fn ms_text(ms: f64) -> String {
    let magnitude = if ms > 0.0 {
        ms.log10().floor() as i32
    } else {
        0
    };
    let decimals = (3 - magnitude).clamp(1, 9) as usize;
    let decimals = if ms < 1000.0 {
        decimals.max(3)
    } else {
        decimals
    };
    format!("{ms:.decimals$}")
}

/// `value` as one line of JSON in the style `{"key": value, "list": [1, 2]}`.
pub fn json_line(value: &impl Serialize) -> Result<String> {
    let mut out = Vec::new();
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, Spaced,
    ))?;
    Ok(String::from_utf8(out)?)
}

/// serde_json's compact output with a space after every `,` and `:`.
struct Spaced;

impl serde_json::ser::Formatter for Spaced {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.begin_array_value(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(runs: usize) -> BenchArgs {
        BenchArgs {
            file: PathBuf::from("dir/m \"1\".wat"),
            options: BenchOptions {
                invoke: Some("f".into()),
                preimports: Vec::new(),
                imports: Vec::new(),
                inline_threshold: None,
                runs,
                warmup: 0,
                json: true,
                check_only: false,
                wasi: WasiArgs::default(),
            },
            args: vec!["-1".into(), "2".into()],
            program: false,
        }
    }

    /// The report of a call of `f` returning `results`.
    fn call_report<'a>(
        args: &'a BenchArgs,
        results: &[Val],
        calls: u32,
        times: [BuildTimes; 2],
    ) -> Report<'a> {
        let results = results.iter().map(format_val).collect();
        Report::new(args, "f", Timed::Call, results, calls, times)
    }

    fn parsed(report: &Report) -> serde_json::Value {
        let line = json_line(report).unwrap();
        assert!(!line.contains('\n'), "{line}");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    #[test]
    fn zero_medians_give_a_null_speedup_not_nan() {
        let args = args(3);
        let zero = || BuildTimes::new(&[Duration::ZERO; 3], 1000, Duration::ZERO);
        // 0 / 0: NaN, which the hand-written JSON printed as `NaN`.
        let report = call_report(&args, &[Val::I32(7)], 1000, [zero(), zero()]);
        assert_eq!(report.speedup, None);
        let json = parsed(&report);
        assert_eq!(json["speedup"], serde_json::Value::Null);
        assert_eq!(json["specialized"]["median_ms"], 0.0);
        assert_eq!(
            json["indirection"]["samples_ms"],
            serde_json::json!([0.0, 0.0, 0.0])
        );
        // x / 0: infinity, no number either.
        let slow = BuildTimes::new(&[Duration::from_millis(1); 3], 1000, Duration::ZERO);
        let report = call_report(&args, &[Val::I32(7)], 1000, [zero(), slow]);
        assert_eq!(report.speedup, None);
        assert_eq!(parsed(&report)["speedup"], serde_json::Value::Null);
    }

    #[test]
    fn a_single_run_is_its_own_median_and_minimum() {
        let args = args(1);
        // Whole seconds, so that the milliseconds are exact.
        let spec = BuildTimes::new(&[Duration::from_secs(2)], 4, Duration::from_secs(1));
        let indir = BuildTimes::new(&[Duration::from_secs(6)], 4, Duration::from_secs(3));
        assert_eq!(
            spec,
            BuildTimes {
                median_ms: 500.0,
                min_ms: 500.0,
                compile_ms: 1000.0,
                samples_ms: vec![500.0],
            }
        );
        let results = [Val::I64(-3), Val::F64(0.5f64.to_bits())];
        let report = call_report(&args, &results, 4, [spec, indir]);
        let json = parsed(&report);
        assert_eq!(json["speedup"], 3.0);
        assert_eq!(json["file"], "dir/m \"1\".wat");
        assert_eq!(json["args"], serde_json::json!(["-1", "2"]));
        assert_eq!(json["results"], serde_json::json!(["-3", "0.5"]));
        assert_eq!(json["runs"], 1);
        assert_eq!(json["calls_per_run"], 4);
        assert_eq!(json["indirection"]["min_ms"], 1500.0);
        assert_eq!(json["indirection"]["compile_ms"], 3000.0);
    }

    #[test]
    fn even_sample_counts_average_the_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[2.0, 9.0, 1.0]), 2.0);
    }

    #[test]
    fn json_lines_have_a_space_after_commas_and_colons() {
        let agreed = Agreement {
            file: "a\\b\n.wat".into(),
            invoke: "run",
            results: vec!["1".into(), "2".into()],
            same: true,
        };
        assert_eq!(
            json_line(&agreed).unwrap(),
            r#"{"file": "a\\b\n.wat", "invoke": "run", "results": ["1", "2"], "same": true}"#
        );
    }
}
