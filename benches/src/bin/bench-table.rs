//! Runs every kernel four ways in one process and prints one Markdown table of medians
//! and speedups (format: benches/README.md).
//!
//! ```sh
//! cargo run --release -p stagec-benches --bin bench-table -- [--runs N] [--kernel NAME]...
//! ```

use anyhow::{Context, Result, bail};
use clap::Parser;
use stagec_benches::cli::positive;
use stagec_benches::counts;
use stagec_benches::runner::EngineKind;
use stagec_benches::stats::{Placed, geomean};
use stagec_benches::timing::{Check, Contender, across_placements};
use stagec_benches::{Bench, KERNELS, Kernel};

/// Runs every kernel four ways (stagec spec, stagec indir, wasmtime, wasmtime hand) in
/// one process and prints a Markdown table of medians and speedups.
#[derive(Debug, Parser)]
struct Options {
    /// Timed calls per variant and placement; the variants are interleaved call by call,
    /// rotating which goes first
    #[arg(long, value_name = "N", default_value_t = 15, value_parser = positive)]
    runs: usize,
    /// Code placements per kernel (see `stagec_benches::place`); medians pool them
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = positive)]
    placements: usize,
    /// Untimed calls per variant and placement, after the checksum check
    #[arg(long, value_name = "N", default_value_t = 2)]
    warmup: usize,
    /// Only this kernel (repeatable; default: all)
    #[arg(long = "kernel", value_name = "NAME", value_parser = kernel)]
    kernels: Vec<&'static Kernel>,
    /// Also count the instructions of one `run` call per variant (callgrind; slow: the
    /// kernels are compiled and called again under valgrind)
    #[arg(long)]
    counts: bool,
    /// Internal: the counting run under callgrind (see `stagec_benches::counts`)
    #[arg(long, hide = true)]
    count_child: bool,
    /// Ignored: `cargo bench` passes it to every target
    #[arg(long, hide = true)]
    bench: bool,
}

/// The kernel called `name`, for clap.
fn kernel(name: &str) -> Result<&'static Kernel, String> {
    stagec_benches::kernel(name).ok_or_else(|| {
        let names: Vec<_> = KERNELS.iter().map(|k| k.name).collect();
        format!("no kernel `{name}` (kernels: {})", names.join(", "))
    })
}

/// The measured times of one kernel: per variant (`EngineKind::IN_PROCESS` order), every
/// placement.
struct Row {
    kernel: &'static Kernel,
    checksum: i64,
    times: Vec<Placed>,
    /// Instructions of one `run` call per variant, at placement 0 (with `--counts`).
    counts: Option<Vec<u64>>,
}

impl Row {
    /// Median over every run at every placement, in milliseconds.
    fn median(&self, v: usize) -> f64 {
        self.times[v].median()
    }
    /// Interquartile range relative to the median (all placements pooled), the largest
    /// over the variants.
    fn noise(&self) -> f64 {
        self.times.iter().map(Placed::noise).fold(0.0, f64::max)
    }
    /// How much code placement alone moved a variant (see `Placed::placement_effect`),
    /// the largest over the variants.
    fn placement_effect(&self) -> f64 {
        self.times
            .iter()
            .map(Placed::placement_effect)
            .fold(0.0, f64::max)
    }
    /// Speedup of stagec-spec over variant `v`: t_v / t_spec.
    fn speedup(&self, v: usize) -> f64 {
        self.median(v) / self.median(0)
    }
    /// Instructions of variant `v` over stagec spec's, with `--counts`.
    fn count_ratio(&self, v: usize) -> Option<f64> {
        let counts = self.counts.as_ref()?;
        Some(counts::ratio(counts[v], counts[0]))
    }
}

fn measure(kernel: &'static Kernel, opts: &Options) -> Result<Row> {
    let arg = kernel.arg;
    let timed = across_placements(opts.placements, opts.warmup, opts.runs, |placement| {
        // Instantiates the four variants and checks their checksums before timing.
        let bench = Bench::placed(kernel, arg, placement)?;
        let check = Check::Expect(bench.checksum);
        let contenders = bench
            .runners
            .into_iter()
            .map(|(variant, mut runner)| {
                Contender::new(variant.name(), move || {
                    runner.call(&[std::hint::black_box(arg)])
                })
            })
            .collect();
        Ok((contenders, check))
    })
    .with_context(|| format!("kernel {}", kernel.name))?;
    Ok(Row {
        kernel,
        checksum: timed.checksum.context("the checksum was checked")?,
        times: timed.placed,
        counts: None,
    })
}

/// The child's part of `--counts`, under callgrind: every kernel at placement 0, its four
/// variants checked, warmed up and one call each counted.
fn count_child(opts: &Options) -> Result<()> {
    if !counts::running_on_valgrind() {
        bail!("--count-child runs under callgrind, started by --counts");
    }
    for kernel in &opts.kernels {
        let mut bench = Bench::placed(kernel, kernel.arg, 0)?;
        counts::count_runners(
            kernel.name,
            &mut bench.runners,
            &[kernel.arg],
            bench.checksum,
        )?;
    }
    Ok(())
}

/// `--counts`: runs [`count_child`] under callgrind and gives every row its counts.
fn add_counts(rows: &mut [Row]) -> Result<()> {
    let mut args = vec!["--count-child".to_string()];
    for row in rows.iter() {
        args.extend(["--kernel".to_string(), row.kernel.name.to_string()]);
    }
    eprintln!("counting instructions under callgrind ...");
    let counted = counts::Callgrind::new()?.run(&args)?;
    for row in rows {
        let per_variant = EngineKind::IN_PROCESS
            .iter()
            .map(|&e| {
                counted
                    .get(&counts::label(row.kernel.name, e))
                    .with_context(|| format!("no count of {} {}", row.kernel.name, e.name()))
            })
            .collect::<Result<Vec<u64>>>()?;
        row.counts = Some(per_variant);
    }
    Ok(())
}

fn main() -> Result<()> {
    let mut opts = Options::parse();
    if opts.kernels.is_empty() {
        opts.kernels = KERNELS.iter().collect();
    }
    if opts.count_child {
        return count_child(&opts);
    }
    let mut rows = Vec::new();
    for kernel in &opts.kernels {
        eprintln!(
            "{}: run({}) x {} runs x {} placements ...",
            kernel.name, kernel.arg, opts.runs, opts.placements
        );
        rows.push(measure(kernel, &opts)?);
    }
    if opts.counts {
        add_counts(&mut rows)?;
    }
    print_table(&rows, &opts);
    if opts.counts {
        print_counts(&rows);
    }
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
        let g = |f: &dyn Fn(&Row) -> f64| geomean(group.iter().map(|r| f(r)));
        // An empty group (no kernel of it selected) has no geomeans and no row.
        let (Some(indir), Some(hand), Some(wasmtime), Some(hand_gain)) = (
            g(&|r| r.speedup(1)),
            g(&|r| r.speedup(3)),
            g(&|r| r.speedup(2)),
            g(&|r| r.median(2) / r.median(3)),
        ) else {
            continue;
        };
        println!(
            "| **{label}** | | | | | **{indir:.2}×** | **{hand:.2}×** | **{wasmtime:.2}×** | {hand_gain:.2}× | | |",
        );
    }

    println!("\nTargets:");
    if let Some(g) = geomean(specializable.iter().map(|r| r.speedup(1))) {
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

/// The instruction counts, each ratio next to the wall-time ratio of the main table.
fn print_counts(rows: &[Row]) {
    println!(
        "\nInstructions per `run` call (callgrind `Ir`, one call per variant at placement 0, \
         after a checked and a warm-up call); each ratio cell is `time ratio / instruction \
         ratio`, t(other) / t(stagec spec) and Ir(other) / Ir(stagec spec).\n"
    );
    if let Some(counter) = counts::counter_description() {
        println!("Counter: {counter}.\n");
    }
    println!(
        "| kernel | Ir stagec spec | Ir stagec indir | Ir wasmtime | Ir wasmtime hand | spec vs indir | spec vs wasmtime hand | spec vs wasmtime |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let both = |row: &Row, v: usize| match row.count_ratio(v) {
        Some(c) => format!("{:.2}× / {c:.2}×", row.speedup(v)),
        None => format!("{:.2}× / —", row.speedup(v)),
    };
    for row in rows {
        let Some(counts) = &row.counts else { continue };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.kernel.name,
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            both(row, 1),
            both(row, 3),
            both(row, 2),
        );
    }
    let specializable: Vec<&Row> = rows.iter().filter(|r| !r.kernel.control).collect();
    let g = |v: usize| {
        let time = geomean(specializable.iter().map(|r| r.speedup(v)))?;
        let count = geomean(
            specializable
                .iter()
                .map(|r| r.count_ratio(v))
                .collect::<Option<Vec<_>>>()?,
        )?;
        Some(format!("**{time:.2}× / {count:.2}×**"))
    };
    if let (Some(indir), Some(hand), Some(wasmtime)) = (g(1), g(3), g(2)) {
        println!("| **geomean (a–d)** | | | | | {indir} | {hand} | {wasmtime} |");
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stagec_benches::cli::try_parse;

    #[test]
    fn flags_and_defaults() {
        let o = try_parse::<Options>(&[]).unwrap();
        assert_eq!((o.runs, o.placements, o.warmup), (15, 4, 2));
        assert!(o.kernels.is_empty() && !o.bench && !o.counts && !o.count_child);
        let o = try_parse::<Options>(&[
            "--runs=3",
            "--placements",
            "1",
            "--warmup",
            "0",
            "--kernel",
            "sha",
            "--kernel",
            "interp",
            "--bench",
            "--counts",
        ])
        .unwrap();
        assert!(o.counts && !o.count_child);
        assert_eq!((o.runs, o.placements, o.warmup), (3, 1, 0));
        let names: Vec<&str> = o.kernels.iter().map(|k| k.name).collect();
        assert_eq!(names, ["sha", "interp"]);
        for wrong in [
            &["--runs", "0"][..],
            &["--placements", "0"],
            &["--kernel", "nope"],
            &["extra"],
        ] {
            assert!(try_parse::<Options>(wrong).is_err(), "{wrong:?}");
        }
    }
}
