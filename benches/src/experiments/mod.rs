//! Experiments E1–E6 (benches/EXPERIMENTS.md): what each mechanism of staged compilation
//! costs or buys, measured one at a time, plus a comparison of generic stagec with
//! wasmtime. Run with `cargo run --release -p stagec-benches --bin bench-experiments --
//! e1|…|e6|all`; every experiment prints Markdown tables on stdout.
//!
//! | experiment | module | question |
//! |---|---|---|
//! | E1 | [`e1_constants`] | imported immutable globals as immediates vs loads through the vmctx |
//! | E2 | [`e2_calls`] | a preimported function inlined, called directly, or called through the import slot |
//! | E3 | [`e3_memory_base`] | a memory base baked into the code (`single` stage) vs read from the vmctx (`multi` stage) |
//! | E4 | [`e4_compile_cost`] | extra compile time of specialization and the calls needed to earn it back |
//! | E5 | [`e5_instantiation`] | instantiating a compiled staged module vs recompiling it per instance |
//! | E6 | [`e6_throughput`] | compile throughput and code speed of generic stagec vs wasmtime 48 |
//!
//! With `--workloads DIR`, E4 and E6 also measure the real-code workloads of
//! `DIR/manifest.toml` ([`crate::workloads::manifest`], resolved by
//! [`crate::workloads::resolve`]).
//!
//! Timing: interleaved rounds ([`crate::timing`]) and medians ([`crate::stats`]); kernels
//! whose loops are timed are measured at several code placements ([`crate::place`]).
//! Instances: the runners of [`crate::runner`].

pub mod e1_constants;
pub mod e2_calls;
pub mod e3_memory_base;
pub mod e4_compile_cost;
pub mod e5_instantiation;
pub mod e6_synth;
pub mod e6_throughput;

use crate::cli::positive;
use anyhow::{Result, anyhow};
use std::path::PathBuf;

/// Settings shared by the experiments; also the options of `bench-experiments`.
#[derive(Clone, Debug, clap::Args)]
pub struct Options {
    /// Timed interleaved rounds per placement, each contender once per round (E4 compiles
    /// at least 21 times, E5 at least 51, E6 between 3 and 7)
    #[arg(long, value_name = "N", default_value_t = 15, value_parser = positive)]
    pub rounds: usize,
    /// Untimed rounds before them
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub warmup: usize,
    /// Code placements of the timed kernels, E1-E3
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = positive)]
    pub placements: usize,
    /// Tiny arguments and 3 rounds (1 warm-up, 1 placement): checks that everything runs,
    /// numbers meaningless
    #[arg(long)]
    pub quick: bool,
    /// E6: the number of functions of the synthetic module
    #[arg(long = "functions", value_name = "N", default_value_t = e6_synth::DEFAULT_FUNCTIONS,
          value_parser = positive)]
    pub synth_functions: usize,
    /// E6: also measure compiling FILE (`.wasm` or `.wat`); repeatable
    #[arg(long, value_name = "FILE")]
    pub wasm: Vec<PathBuf>,
    /// E4, E6: also measure the real-code workloads of DIR/manifest.toml (E6: the largest
    /// one's compile throughput and code speed)
    #[arg(long, value_name = "DIR")]
    pub workloads: Option<PathBuf>,
}

impl Options {
    /// With `--quick`: 3 rounds, 1 warm-up round and 1 placement, whatever was given.
    pub fn quickened(mut self) -> Options {
        if self.quick {
            self.rounds = 3;
            self.warmup = 1;
            self.placements = 1;
        }
        self
    }

    /// `full` normally, `quick` with `--quick`.
    pub fn arg(&self, full: i32, quick: i32) -> i32 {
        if self.quick { quick } else { full }
    }

    /// At least `min` rounds, or [`Options::rounds`] if larger; for slow contenders
    /// (compilations of large modules) at most `max`.
    pub fn rounds_between(&self, min: usize, max: usize) -> usize {
        self.rounds.clamp(min, max.max(min))
    }
}

/// The names of the experiments, in order.
pub const NAMES: [&str; 6] = ["e1", "e2", "e3", "e4", "e5", "e6"];

/// Runs experiment `name` (`e1`…`e6`), printing its tables.
pub fn run(name: &str, opts: &Options) -> Result<()> {
    match name {
        "e1" => e1_constants::run(opts),
        "e2" => e2_calls::run(opts),
        "e3" => e3_memory_base::run(opts),
        "e4" => e4_compile_cost::run(opts),
        "e5" => e5_instantiation::run(opts),
        "e6" => e6_throughput::run(opts),
        _ => Err(anyhow!(
            "no experiment `{name}` (one of {})",
            NAMES.join(", ")
        )),
    }
}

/// Prints a Markdown table.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    println!("| {} |", header.join(" | "));
    let align: Vec<&str> = header
        .iter()
        .enumerate()
        .map(|(i, _)| if i == 0 { "---" } else { "---:" })
        .collect();
    println!("|{}|", align.join("|"));
    for row in rows {
        println!("| {} |", row.join(" | "));
    }
    println!();
}

/// `x` as a percentage with sign, one decimal.
pub fn pct(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

/// Milliseconds with three decimals.
pub fn ms3(x: f64) -> String {
    format!("{x:.3}")
}

/// How many lines of `text` contain `needle`.
pub fn count_lines(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

/// `source` (a core module in text form) with its one `from` line replaced by `to`.
pub fn replace_once(source: &str, from: &str, to: &str) -> Result<String> {
    match source.matches(from).count() {
        1 => Ok(source.replacen(from, to, 1)),
        n => Err(anyhow!(
            "expected `{from}` once in the kernel, found it {n} times"
        )),
    }
}
