//! Runs every kernel four ways in one process and prints one Markdown table of medians
//! and speedups (format: benches/README.md).
//!
//! ```sh
//! cargo run --release -p stagec-benches --bin bench-table -- [--runs N] [--kernel NAME]...
//! ```

use anyhow::{Context, Result, bail};
use stagec_benches::{Bench, KERNELS, Kernel};
use std::time::{Duration, Instant};

const USAGE: &str =
    "usage: bench-table [--runs N] [--placements N] [--warmup N] [--kernel NAME]...";

struct Options {
    /// Timed calls per variant and placement.
    runs: usize,
    /// Code placements per kernel (see `stagec_benches::place`).
    placements: usize,
    /// Untimed calls per variant and placement.
    warmup: usize,
    kernels: Vec<&'static Kernel>,
}

fn options() -> Result<Options> {
    let mut opts = Options {
        runs: 15,
        placements: 4,
        warmup: 2,
        kernels: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--runs" => opts.runs = value()?.parse().context("--runs")?,
            "--warmup" => opts.warmup = value()?.parse().context("--warmup")?,
            "--placements" => opts.placements = value()?.parse().context("--placements")?,
            "--kernel" => {
                let name = value()?;
                let kernel = stagec_benches::kernel(&name).with_context(|| {
                    let names: Vec<_> = KERNELS.iter().map(|k| k.name).collect();
                    format!("no kernel `{name}` (kernels: {})", names.join(", "))
                })?;
                opts.kernels.push(kernel);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            // `cargo bench` passes --bench to every target; ignore it.
            "--bench" => {}
            _ => bail!("unknown argument `{arg}`\n{USAGE}"),
        }
    }
    if opts.runs == 0 || opts.placements == 0 {
        bail!("--runs and --placements must be at least 1");
    }
    if opts.kernels.is_empty() {
        opts.kernels = KERNELS.iter().collect();
    }
    Ok(opts)
}

/// The measured times of one kernel: per variant (`Variant::ALL` order), per placement.
struct Row {
    kernel: &'static Kernel,
    checksum: i64,
    times: [Vec<Vec<Duration>>; 4],
}

impl Row {
    /// Median over every run at every placement, in milliseconds.
    fn median(&self, v: usize) -> f64 {
        quantile(&self.times[v].concat(), 0.5)
    }
    /// Interquartile range relative to the median (all placements pooled), the largest
    /// over the variants.
    fn noise(&self) -> f64 {
        (0..4)
            .map(|v| {
                let all = self.times[v].concat();
                (quantile(&all, 0.75) - quantile(&all, 0.25)) / self.median(v)
            })
            .fold(0.0, f64::max)
    }
    /// How much code placement alone moved a variant: the slowest placement's median over
    /// the fastest's, minus one; the largest over the variants.
    fn placement_effect(&self) -> f64 {
        (0..4)
            .map(|v| {
                let medians: Vec<f64> = self.times[v].iter().map(|t| quantile(t, 0.5)).collect();
                let max = medians.iter().copied().fold(f64::MIN, f64::max);
                let min = medians.iter().copied().fold(f64::MAX, f64::min);
                max / min - 1.0
            })
            .fold(0.0, f64::max)
    }
    /// Speedup of stagec-spec over variant `v`: t_v / t_spec.
    fn speedup(&self, v: usize) -> f64 {
        self.median(v) / self.median(0)
    }
}

/// The q-quantile (linear interpolation) of `times`, in milliseconds.
fn quantile(times: &[Duration], q: f64) -> f64 {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let pos = q * (ms.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    ms[lo] + (ms[hi] - ms[lo]) * (pos - lo as f64)
}

fn geomean(xs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = xs.fold((0.0, 0), |(s, n), x| (s + x.ln(), n + 1));
    (sum / n as f64).exp()
}

fn measure(kernel: &'static Kernel, opts: &Options) -> Result<Row> {
    let mut times: [Vec<Vec<Duration>>; 4] = Default::default();
    let mut checksum = None;
    for placement in 0..opts.placements {
        let mut bench = Bench::placed(kernel, kernel.arg, placement)?;
        if *checksum.get_or_insert(bench.checksum) != bench.checksum {
            bail!(
                "kernel {}: the checksum changed with the code placement",
                kernel.name
            );
        }
        for _ in 0..opts.warmup {
            bench.check(kernel.arg)?;
        }
        let mut samples: [Vec<Duration>; 4] = Default::default();
        for run in 0..opts.runs {
            // Interleave the variants, rotating who goes first, so that drift (frequency,
            // other load on the machine) spreads over all four alike.
            for i in 0..4 {
                let v = (run + i) % 4;
                let (variant, runner) = &mut bench.runners[v];
                let start = Instant::now();
                let sum = runner.run(std::hint::black_box(kernel.arg))?;
                samples[v].push(start.elapsed());
                if sum != bench.checksum {
                    bail!(
                        "kernel {}: {} returned {sum}, expected {}",
                        kernel.name,
                        variant.name(),
                        bench.checksum
                    );
                }
            }
        }
        for (all, s) in times.iter_mut().zip(samples) {
            all.push(s);
        }
    }
    Ok(Row {
        kernel,
        checksum: checksum.expect("at least one placement"),
        times,
    })
}

fn main() -> Result<()> {
    let opts = options()?;
    let mut rows = Vec::new();
    for kernel in &opts.kernels {
        eprintln!(
            "{}: run({}) x {} runs x {} placements ...",
            kernel.name, kernel.arg, opts.runs, opts.placements
        );
        rows.push(measure(kernel, &opts)?);
    }
    print_table(&rows, &opts);
    Ok(())
}

fn print_table(rows: &[Row], opts: &Options) {
    println!(
        "Medians of {} runs x {} code placements (ms per `run` call); speedups are t(other) / t(stagec spec), > 1 = stagec spec faster.\n",
        opts.runs, opts.placements
    );
    println!(
        "| kernel | stagec spec | stagec indir | wasmtime | wasmtime hand | spec vs indir | spec vs wasmtime hand | spec vs wasmtime | wasmtime hand vs wasmtime | noise | placement |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2}× | {:.2}× | {:.2}× | {:.2}× | {:.1}% | {:.0}% |",
            row.kernel.name,
            row.median(0),
            row.median(1),
            row.median(2),
            row.median(3),
            row.speedup(1),
            row.speedup(3),
            row.speedup(2),
            row.median(2) / row.median(3),
            row.noise() * 100.0,
            row.placement_effect() * 100.0,
        );
    }
    let specializable: Vec<&Row> = rows.iter().filter(|r| !r.kernel.control).collect();
    let control: Vec<&Row> = rows.iter().filter(|r| r.kernel.control).collect();
    for (label, group) in [("geomean (a–d)", &specializable), ("geomean (e)", &control)] {
        if group.is_empty() {
            continue;
        }
        let g = |f: &dyn Fn(&Row) -> f64| geomean(group.iter().map(|r| f(r)));
        println!(
            "| **{label}** | | | | | **{:.2}×** | **{:.2}×** | **{:.2}×** | {:.2}× | | |",
            g(&|r| r.speedup(1)),
            g(&|r| r.speedup(3)),
            g(&|r| r.speedup(2)),
            g(&|r| r.median(2) / r.median(3)),
        );
    }

    println!("\nTargets:");
    if !specializable.is_empty() {
        let g = geomean(specializable.iter().map(|r| r.speedup(1)));
        println!(
            "- spec >= 1.30x indir (geomean a–d): {g:.3}x  {}",
            verdict(g >= 1.30)
        );
        for row in &specializable {
            let s = row.speedup(3);
            println!(
                "- {}: spec at least as fast as wasmtime hand: {s:.3}x  {}",
                row.kernel.name,
                verdict(s >= 1.0)
            );
        }
    }
    for row in &control {
        let slowdown = row.median(0) / row.median(2) - 1.0;
        println!(
            "- {} (control): spec no more than 5% slower than wasmtime: {:+.1}%  {}",
            row.kernel.name,
            slowdown * 100.0,
            verdict(slowdown <= 0.05)
        );
    }

    println!("\nKernels (checksum of run(arg), equal for all four variants):");
    for row in rows {
        println!(
            "- {}: run({}) = {} — {}",
            row.kernel.name, row.kernel.arg, row.checksum, row.kernel.description
        );
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}
