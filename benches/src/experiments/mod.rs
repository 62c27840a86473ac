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
//! `DIR/manifest.toml` ([`crate::workloads::manifest`], [`real`]).
//!
//! Timing: interleaved rounds and medians ([`timing`]); kernels whose loops are timed are
//! measured at several code placements ([`crate::place`]).

pub mod e1_constants;
pub mod e2_calls;
pub mod e3_memory_base;
pub mod e4_compile_cost;
pub mod e5_instantiation;
pub mod e6_synth;
pub mod e6_throughput;
pub mod real;
pub mod timing;

use anyhow::{Context, Result, anyhow};
use stagec::{Func, Instance, Linker, Module, Store, Val};
use std::path::PathBuf;

/// Settings shared by the experiments.
#[derive(Clone, Debug)]
pub struct Options {
    /// Timed rounds per placement (each contender runs once per round).
    pub rounds: usize,
    /// Untimed rounds before them.
    pub warmup: usize,
    /// Code placements per kernel (E1–E3).
    pub placements: usize,
    /// Small arguments and few rounds: checks that everything runs, numbers meaningless.
    pub quick: bool,
    /// E6: the number of functions of the synthetic module.
    pub synth_functions: usize,
    /// E6: measure the compile throughput of this module (`.wasm`/`.wat`) as well.
    pub wasm: Vec<PathBuf>,
    /// E4 and E6: the directory of a workloads `manifest.toml` (real-code workloads).
    pub workloads: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rounds: 15,
            warmup: 2,
            placements: 4,
            quick: false,
            synth_functions: e6_synth::DEFAULT_FUNCTIONS,
            wasm: Vec::new(),
            workloads: None,
        }
    }
}

impl Options {
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

/// An instance of a stagec module whose export `run(i32) -> i64` (or `-> i32`) is called.
pub struct StagecRun {
    store: Store,
    run: Func,
}

impl StagecRun {
    /// Instantiates `module` in `store` through `linker`.
    pub fn new(mut store: Store, module: &Module, linker: &Linker) -> Result<StagecRun> {
        let instance = linker.instantiate(&mut store, module)?;
        Self::from_instance(store, instance)
    }

    /// The `run` export of `instance`.
    pub fn from_instance(store: Store, instance: Instance) -> Result<StagecRun> {
        let run = instance
            .get_func(&store, "run")
            .context("the module exports no function `run`")?;
        Ok(StagecRun { store, run })
    }

    /// `run(arg)`, its result widened to i64.
    pub fn call(&mut self, arg: i32) -> Result<i64> {
        let ty = self.run.ty(&self.store);
        let result = ty.results.first().context("`run` returns nothing")?;
        let mut out = [Val::default_for(*result)];
        self.run.call(&mut self.store, &[Val::I32(arg)], &mut out)?;
        match out[0] {
            Val::I64(v) => Ok(v),
            Val::I32(v) => Ok(i64::from(v)),
            other => Err(anyhow!("run returned {other:?}")),
        }
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
