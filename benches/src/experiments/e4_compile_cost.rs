//! E4: what specialization costs at compile time, and after how many calls it pays.
//!
//! For every kernel of [`crate::KERNELS`]: the time to compile it generically
//! (`Module::new`, plus `Module::new` of its provider, which the runtime-import baseline
//! needs as a module of its own) and specialized (`Module::with_preimports`, which
//! compiles the provider's functions into the artifact and instantiates the provider in
//! the compilation's private store), interleaved; then the time of one `run(arg)` call of
//! each build (the bench-table kernels' `StagecSpec` and `StagecIndir` variants),
//! interleaved. Break-even calls = extra compile time / saving per call; "never" when the
//! specialized call is not faster, 0 when the specialized build also compiles faster.
//! With `--workloads DIR`, the same for every real-code workload of the manifest (its
//! `invoke` export, checked against the manifest's checksum).

use super::{Options, ms3, print_table};
use crate::plan::Plan;
use crate::runner::stagec as stagec_runner;
use crate::runner::{EngineKind, Runner};
use crate::stats::Samples;
use crate::timing::{Check, Contender, interleaved};
use crate::workloads::{manifest, resolve};
use crate::{KERNELS, Kernel};
use anyhow::Result;
use stagec::{CompileOptions, Config, Engine, Module};

/// Median compile times (generic, specialized) of the plan's generic module, in ms, from
/// `rounds` interleaved compilations after `warmup`. Generic includes compiling each
/// provider as a module of its own (what the runtime-import baseline needs); specialized
/// includes making the providers (`Provider::new`), whose functions
/// `Module::with_preimports` compiles into the artifact.
fn compile_times(engine: &Engine, plan: &Plan, warmup: usize, rounds: usize) -> Result<(f64, f64)> {
    let mut contenders = vec![
        Contender::new("generic", || {
            Module::from_binary(engine, &plan.main.binary)?;
            for provider in &plan.providers {
                Module::from_binary(engine, &provider.binary)?;
            }
            Ok(0)
        }),
        Contender::new("specialized", || {
            let pre = stagec_runner::bindings(engine, plan)?;
            Module::with_preimports(engine, &plan.main.binary, &pre)?;
            Ok(0)
        }),
    ];
    let timed = interleaved(&mut contenders, warmup, rounds, Check::None)?;
    Ok((timed.samples[0].median(), timed.samples[1].median()))
}

/// Call times of the two builds.
#[derive(Clone, Copy, Debug)]
struct Calls {
    /// Median ms of the specialized build.
    spec: f64,
    /// Median ms of the generic build (runtime imports).
    generic: f64,
    /// Median over rounds of t(spec) / t(generic) within a round.
    paired: f64,
}

impl Calls {
    /// From the times of interleaved runs.
    fn new(spec: &Samples, generic: &Samples) -> Calls {
        Calls {
            spec: spec.median(),
            generic: generic.median(),
            paired: spec.paired_ratios(generic).median(),
        }
    }

    /// The saving per call: the generic median times the paired fraction saved (robust
    /// to load that slows both builds of a round alike).
    fn saving(&self) -> f64 {
        self.generic * (1.0 - self.paired)
    }
}

/// Times of one call with `args` of each build, interleaved, checked as `check` says.
fn call_times(
    spec: &mut dyn Runner,
    generic: &mut dyn Runner,
    args: &[i32],
    check: Check,
    opts: &Options,
) -> Result<Calls> {
    let mut contenders = vec![
        Contender::new("specialized", || spec.call(args)),
        Contender::new("runtime imports", || generic.call(args)),
    ];
    let timed = interleaved(&mut contenders, opts.warmup, opts.rounds, check)?;
    Ok(Calls::new(&timed.samples[0], &timed.samples[1]))
}

/// The row of a kernel: its compile times, and the call times of the bench-table
/// kernels' `stagec-spec` and `stagec-indir` variants.
fn kernel_row(engine: &Engine, kernel: &'static Kernel, opts: &Options) -> Result<Vec<String>> {
    let (generic_ms, spec_ms) = compile_times(
        engine,
        &kernel.plan(0)?,
        opts.warmup,
        opts.rounds_between(21, 41),
    )?;
    let arg = opts.arg(kernel.arg, kernel.test_arg);
    let mut spec = crate::instantiate(kernel, EngineKind::StagecSpec, 0)?;
    let mut indir = crate::instantiate(kernel, EngineKind::StagecIndir, 0)?;
    let calls = call_times(&mut *spec, &mut *indir, &[arg], Check::Equal, opts)?;
    let call = format!("run({arg})");
    Ok(row(kernel.name, &call, generic_ms, spec_ms, calls))
}

/// The row of a real-code workload: its compile times, and the call times of its
/// `invoke` export, every call checked against the manifest's checksum.
fn workload_row(engine: &Engine, w: &manifest::Workload, opts: &Options) -> Result<Vec<String>> {
    let (plan, warnings) = resolve::plan(w)?;
    for warning in warnings {
        eprintln!("e4: workload {}: warning: {warning}", w.name);
    }
    let (generic_ms, spec_ms) = compile_times(engine, &plan, 1, opts.rounds_between(5, 11))?;
    let options = CompileOptions::default();
    let mut spec = stagec_runner::specialized(engine, &plan, &options, &w.invoke)?;
    let mut generic = stagec_runner::indirection(engine, &plan, &w.invoke)?;
    let check = Check::Expect(w.checksum);
    let calls = call_times(&mut spec, &mut generic, &[], check, opts)?;
    let kib = plan.main.binary.len() as f64 / 1024.0;
    let name = format!("workload {} ({kib:.1} KiB)", w.name);
    let call = format!("{}()", w.invoke);
    Ok(row(&name, &call, generic_ms, spec_ms, calls))
}

/// Break-even number of calls, as text.
pub fn break_even(extra_compile_ms: f64, saving_per_call_ms: f64) -> String {
    if saving_per_call_ms <= 0.0 {
        "never".into()
    } else if extra_compile_ms <= 0.0 {
        "0 (compiles faster too)".into()
    } else {
        format!("{:.2}", extra_compile_ms / saving_per_call_ms)
    }
}

/// The same as generic run time: after how many ms of running the generic build the
/// specialized one has paid for its extra compilation (the saving taken as a fixed
/// fraction of the run time), as text.
pub fn break_even_ms(extra_compile_ms: f64, generic_call_ms: f64, spec_call_ms: f64) -> String {
    let saved_fraction = 1.0 - spec_call_ms / generic_call_ms;
    if saved_fraction <= 0.0 {
        "never".into()
    } else if extra_compile_ms <= 0.0 {
        "0".into()
    } else {
        format!("{:.2}", extra_compile_ms / saved_fraction)
    }
}

/// One row of the table.
fn row(name: &str, call: &str, generic_ms: f64, spec_ms: f64, calls: Calls) -> Vec<String> {
    let extra = spec_ms - generic_ms;
    let saving = calls.saving();
    vec![
        name.to_string(),
        ms3(generic_ms),
        ms3(spec_ms),
        format!("{extra:+.3}"),
        call.to_string(),
        ms3(calls.generic),
        ms3(calls.spec),
        format!("{:.3}", calls.paired),
        format!("{saving:+.3}"),
        break_even(extra, saving),
        break_even_ms(extra, 1.0, calls.paired),
    ]
}

/// Runs E4 and prints its table.
pub fn run(opts: &Options) -> Result<()> {
    let engine = Engine::new(Config::default())?;
    println!("## E4: compile-time cost of specialization and break-even calls\n");
    let mut rows = Vec::new();
    for kernel in KERNELS {
        eprintln!("e4: {} ...", kernel.name);
        rows.push(kernel_row(&engine, kernel, opts)?);
    }
    if let Some(dir) = &opts.workloads {
        for w in manifest::load(&dir.join("manifest.toml"))? {
            eprintln!("e4: workload {} ...", w.name);
            rows.push(workload_row(&engine, &w, opts)?);
        }
    }
    println!(
        "Compile: medians of {} interleaved compilations ({} for the real-code workloads; WAT parsed beforehand; generic includes compiling the provider module, specialized includes `Provider::new`). Calls: medians of {} interleaved calls; saving per call = generic median x (1 - paired ratio), the paired ratio being the median over rounds of t(spec) / t(generic) within a round. All in ms.\n",
        opts.rounds_between(21, 41),
        opts.rounds_between(5, 11),
        opts.rounds
    );
    print_table(
        &[
            "kernel / workload",
            "compile generic",
            "compile specialized",
            "extra compile",
            "call",
            "call generic (runtime imports)",
            "call specialized",
            "paired ratio spec / generic",
            "saving per call",
            "break-even calls",
            "break-even, ms of generic run time",
        ],
        &rows,
    );
    Ok(())
}
