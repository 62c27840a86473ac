//! `stagec bench`: what specialization buys one function of the user's own module. The
//! module is compiled twice, specialized on the `--preimport` bindings and with the same
//! bindings as runtime imports (the indirection baseline of `run --specialize off`); both
//! must return the same results, then both are timed, interleaved call batch by call batch.

use crate::values::{format_val, parse_value};
use crate::{BindingArgs, Specialize};
use anyhow::{Context, Result, bail};
use clap::Args;
use stagec::{Func, Store, Val};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A batch of calls is timed as one sample; batches last at least this long.
const MIN_SAMPLE: Duration = Duration::from_millis(1);

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The module (`.wat` or `.wasm`).
    pub file: PathBuf,
    /// The exported function to time.
    #[arg(long, value_name = "NAME", required = true)]
    invoke: String,
    /// Bind an import at compile time in the specialized build, and at run time in the
    /// indirection build: MOD.NAME=VALUE as for `run`. Repeatable.
    #[arg(long = "preimport", value_name = "MOD.NAME=VALUE")]
    preimports: Vec<String>,
    /// Supply an import at run time in both builds. Repeatable.
    #[arg(long = "import", value_name = "MOD.NAME=VALUE")]
    imports: Vec<String>,
    /// Inline preimported functions of at most this many CLIF instructions (0: never).
    #[arg(long, value_name = "N")]
    inline_threshold: Option<usize>,
    /// Timed samples per build.
    #[arg(long, value_name = "N", default_value_t = 21)]
    runs: usize,
    /// Untimed calls per build before timing.
    #[arg(long, value_name = "N", default_value_t = 3)]
    warmup: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Only compile both builds and check that they return the same results (no timing).
    #[arg(long)]
    check_only: bool,
    /// Arguments of the invoked function, as for `run`.
    #[arg(allow_hyphen_values = true, value_name = "ARGS")]
    args: Vec<String>,
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

    /// Per-call times of the samples, in milliseconds, in the order taken.
    fn samples_ms(&self, calls: u32) -> Vec<f64> {
        self.samples
            .iter()
            .map(|d| d.as_secs_f64() * 1e3 / f64::from(calls))
            .collect()
    }
}

/// Compiles and instantiates `binary` with the flags' bindings as preimports
/// (`specialize` on) or as runtime imports.
fn build(binary: &[u8], args: &BenchArgs, specialize: Specialize) -> Result<Build> {
    let name = match specialize {
        Specialize::On => "specialized",
        Specialize::Off => "indirection",
    };
    let bindings = BindingArgs {
        preimports: args.preimports.clone(),
        imports: args.imports.clone(),
        specialize,
        inline_threshold: args.inline_threshold,
    };
    let engine = crate::engine()?;
    let start = Instant::now();
    let (module, runtime) = crate::compile(&engine, binary, &bindings)?;
    let mut store = Store::new(&engine);
    let instance = crate::link(&mut store, &module, &runtime)?
        .instantiate(&mut store, &module)
        .with_context(|| format!("{name} build"))?;
    let compile = start.elapsed();
    let func = instance
        .get_func(&store, &args.invoke)
        .ok_or_else(|| crate::no_such_function(&module, &args.invoke))?;
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
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let binary = crate::read_module(&args.file)?;
    let mut builds = [
        build(&binary, args, Specialize::On)?,
        build(&binary, args, Specialize::Off)?,
    ];
    let name = &args.invoke;
    let ty = builds[0].func.ty(&builds[0].store);
    if args.args.len() != ty.params.len() {
        bail!(
            "`{name}` takes {} argument{} {}, {} given",
            ty.params.len(),
            if ty.params.len() == 1 { "" } else { "s" },
            ty,
            args.args.len()
        );
    }
    let params = args
        .args
        .iter()
        .zip(ty.params.iter())
        .enumerate()
        .map(|(i, (arg, ty))| {
            parse_value(arg, *ty).with_context(|| format!("argument {} of `{name}`", i + 1))
        })
        .collect::<Result<Vec<_>>>()?;
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
    if args.check_only {
        if args.json {
            println!(
                "{{\"file\": {}, \"invoke\": {}, \"results\": {}, \"same\": true}}",
                json_string(&args.file.display().to_string()),
                json_string(name),
                json_results(&spec_results)
            );
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
    for _ in 0..args.warmup {
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
    for run in 0..args.runs {
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
    let (spec_ms, indir_ms) = (spec.samples_ms(calls), indir.samples_ms(calls));
    let speedup = median(&indir_ms) / median(&spec_ms);
    if args.json {
        print_json(args, &spec_results, calls, &builds, speedup);
    } else {
        print_table(args, &spec_results, calls, &builds, speedup);
    }
    Ok(())
}

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

fn min(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::INFINITY, f64::min)
}

fn print_table(args: &BenchArgs, results: &[Val], calls: u32, builds: &[Build; 2], speedup: f64) {
    println!(
        "{}: {}({}) = {}, the same for both builds",
        args.file.display(),
        args.invoke,
        args.args.join(", "),
        show(results)
    );
    println!(
        "{} runs of {calls} call{} each, interleaved, after {} warm-up calls; times per call",
        args.runs,
        if calls == 1 { "" } else { "s" },
        args.warmup
    );
    println!();
    println!("| build       | median ms |    min ms | runs | compile ms |");
    println!("|-------------|----------:|----------:|-----:|-----------:|");
    for b in builds {
        let ms = b.samples_ms(calls);
        println!(
            "| {:<11} | {:>9} | {:>9} | {:>4} | {:>10.2} |",
            b.name,
            ms_text(median(&ms)),
            ms_text(min(&ms)),
            ms.len(),
            b.compile.as_secs_f64() * 1e3
        );
    }
    println!();
    println!("speedup of specialization (indirection median / specialized median): {speedup:.2}x");
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

fn print_json(args: &BenchArgs, results: &[Val], calls: u32, builds: &[Build; 2], speedup: f64) {
    let mut json = String::new();
    let _ = write!(
        json,
        "{{\"file\": {}, \"invoke\": {}, \"args\": [{}], \"results\": {}, \"runs\": {}, \"calls_per_run\": {calls}, \"warmup\": {}",
        json_string(&args.file.display().to_string()),
        json_string(&args.invoke),
        args.args
            .iter()
            .map(|a| json_string(a))
            .collect::<Vec<_>>()
            .join(", "),
        json_results(results),
        args.runs,
        args.warmup
    );
    for b in builds {
        let ms = b.samples_ms(calls);
        let samples: Vec<String> = ms.iter().map(|t| format!("{t:.6}")).collect();
        let _ = write!(
            json,
            ", \"{}\": {{\"median_ms\": {:.6}, \"min_ms\": {:.6}, \"compile_ms\": {:.3}, \"samples_ms\": [{}]}}",
            b.name,
            median(&ms),
            min(&ms),
            b.compile.as_secs_f64() * 1e3,
            samples.join(", ")
        );
    }
    let _ = write!(json, ", \"speedup\": {speedup:.4}}}");
    println!("{json}");
}

/// The results as a JSON array of strings (as `run` prints them).
fn json_results(results: &[Val]) -> String {
    let items: Vec<String> = results
        .iter()
        .map(|r| json_string(&format_val(r)))
        .collect();
    format!("[{}]", items.join(", "))
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
