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

use super::real::Resolved;
use super::timing::{Check, Contender, interleaved, median};
use super::{Options, ms3, print_table};
use crate::workloads::manifest::{self, Workload};
use crate::{KERNELS, Kernel, Variant};
use anyhow::{Result, bail};
use stagec::{Config, Engine, Module, Preimports, Provider, Val};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The kernel's bindings, its provider (if any) created from `provider_bytes`.
fn preimports(
    engine: &Engine,
    kernel: &Kernel,
    provider_bytes: Option<&[u8]>,
) -> Result<Preimports> {
    let mut pre = Preimports::new();
    for &(module, name, value) in kernel.values {
        pre.value(module, name, Val::I32(value));
    }
    if let Some(bytes) = provider_bytes {
        let provider = Provider::new(engine, bytes, Preimports::new())?;
        for &(module, name, export) in kernel.functions {
            pre.export(module, name, &provider, export);
        }
    }
    Ok(pre)
}

/// Median compile times (generic, specialized) of `kernel`, in ms.
fn compile_times(engine: &Engine, kernel: &Kernel, opts: &Options) -> Result<(f64, f64)> {
    let bytes = wat::parse_str(kernel.generic)?;
    let provider = kernel.provider.map(wat::parse_str).transpose()?;
    let mut contenders = vec![
        Contender::new("generic", || {
            Module::from_binary(engine, &bytes)?;
            if let Some(p) = &provider {
                Module::from_binary(engine, p)?;
            }
            Ok(0)
        }),
        Contender::new("specialized", || {
            let pre = preimports(engine, kernel, provider.as_deref())?;
            Module::with_preimports(engine, &bytes, &pre)?;
            Ok(0)
        }),
    ];
    let rounds = opts.rounds_between(21, 41);
    let (times, _) = interleaved(&mut contenders, opts.warmup, rounds, Check::None)?;
    Ok((median(&times[0]), median(&times[1])))
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
    /// From the times of interleaved runs, specialized first.
    fn new(times: &[Vec<f64>]) -> Calls {
        let ratios: Vec<f64> = times[0].iter().zip(&times[1]).map(|(s, g)| s / g).collect();
        Calls {
            spec: median(&times[0]),
            generic: median(&times[1]),
            paired: median(&ratios),
        }
    }

    /// The saving per call: the generic median times the paired fraction saved (robust
    /// to load that slows both builds of a round alike).
    fn saving(&self) -> f64 {
        self.generic * (1.0 - self.paired)
    }
}

/// Times of one `run(arg)` call of each build.
fn call_times(kernel: &'static Kernel, opts: &Options) -> Result<Calls> {
    let arg = opts.arg(kernel.arg, kernel.test_arg);
    let mut spec = crate::instantiate(kernel, Variant::StagecSpec, 0)?;
    let mut indir = crate::instantiate(kernel, Variant::StagecIndir, 0)?;
    let mut contenders = vec![
        Contender::new("specialized", move || spec.run(arg)),
        Contender::new("runtime imports", move || indir.run(arg)),
    ];
    let (times, _) = interleaved(&mut contenders, opts.warmup, opts.rounds, Check::Equal)?;
    Ok(Calls::new(&times))
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

/// Compile and call times of a real-code workload: medians of generic and specialized
/// compilation in ms, and the call times. Generic compilation includes compiling each
/// provider file as a module (what [`Preimports::link`] does).
fn workload_times(engine: &Engine, w: &Workload, opts: &Options) -> Result<(f64, f64, Calls)> {
    let bytes = w.bytes()?;
    let provider_files: BTreeSet<PathBuf> = w
        .resolve(&bytes)?
        .into_iter()
        .filter_map(|r| match r.bound {
            Resolved::Export { file, .. } => Some(file),
            Resolved::Value(_) => None,
        })
        .collect();
    let providers = provider_files
        .iter()
        .map(|f| Ok(wat::parse_file(f)?))
        .collect::<Result<Vec<Vec<u8>>>>()?;
    let mut contenders = vec![
        Contender::new("generic", || {
            Module::from_binary(engine, &bytes)?;
            for p in &providers {
                Module::from_binary(engine, p)?;
            }
            Ok(0)
        }),
        Contender::new("specialized", || {
            let pre = w.stagec_preimports(engine, &bytes)?;
            Module::with_preimports(engine, &bytes, &pre)?;
            Ok(0)
        }),
    ];
    let rounds = opts.rounds_between(5, 11);
    let (compile, _) = interleaved(&mut contenders, 1, rounds, Check::None)?;
    drop(contenders);

    let mut spec = w.stagec_specialized(engine, &bytes)?;
    let mut generic = w.stagec_generic(engine, &bytes)?;
    let mut calls = vec![
        Contender::new("specialized", move || spec.call()),
        Contender::new("generic", move || generic.call()),
    ];
    let (times, sum) = interleaved(&mut calls, opts.warmup, opts.rounds, Check::Equal)?;
    if sum != Some(w.checksum) {
        bail!(
            "workload {}: checksum {sum:?}, the manifest says {}",
            w.name,
            w.checksum
        );
    }
    Ok((median(&compile[0]), median(&compile[1]), Calls::new(&times)))
}

/// Runs E4 and prints its table.
pub fn run(opts: &Options) -> Result<()> {
    let engine = Engine::new(Config::default())?;
    println!("## E4: compile-time cost of specialization and break-even calls\n");
    let mut rows = Vec::new();
    for kernel in KERNELS {
        eprintln!("e4: {} ...", kernel.name);
        let (generic_ms, spec_ms) = compile_times(&engine, kernel, opts)?;
        let calls = call_times(kernel, opts)?;
        let call = format!("run({})", opts.arg(kernel.arg, kernel.test_arg));
        rows.push(row(kernel.name, &call, generic_ms, spec_ms, calls));
    }
    if let Some(dir) = &opts.workloads {
        for w in manifest::load(&dir.join("manifest.toml"))? {
            eprintln!("e4: workload {} ...", w.name);
            let (generic_ms, spec_ms, calls) = workload_times(&engine, &w, opts)?;
            let kib = w.bytes()?.len() as f64 / 1024.0;
            let name = format!("workload {} ({kib:.1} KiB)", w.name);
            let call = format!("{}()", w.invoke);
            rows.push(row(&name, &call, generic_ms, spec_ms, calls));
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
