//! E3: a memory base baked into the code vs read through the vmctx.
//!
//! The same memory-heavy kernel as two staged modules: its memory defined in the `multi`
//! stage (each instance has its own; the code reads the base from the vmctx) or in a
//! `single` stage (one memory per compilation at a fixed address; the code has the base
//! as an immediate). Bounds are in neither: a 32-bit memory is a 4 GiB reservation with
//! guard pages, so no access is checked in code either way, and only the base differs.
//!
//! Kernels: experiments/e3_stream.wat (one loop over three arrays: the base is loop
//! invariant) and experiments/e3_heapsort.wat (every access in a small function of its
//! own, called per element: the base is fetched again in every call).

use super::{Options, count_lines, ms3, pct, print_table, replace_once};
use crate::runner::Runner;
use crate::runner::stagec::StagecRunner;
use crate::timing::{Check, Contender, across_placements};
use anyhow::Result;
use stagec::{CompileOptions, Config, Engine, Linker, Module, Preimports, Provider, Store};

/// The memory import every kernel has; the `multi` variant replaces it by a definition.
const MEMORY_IMPORT: &str = r#"(import "rt" "mem" (memory 8))"#;
/// The `single` stage that defines the memory.
const SINGLE_STAGE: &str = r#"(module (memory (export "mem") 8))"#;

/// A kernel of E3.
pub struct Kernel {
    /// Table row.
    pub name: &'static str,
    /// The core module, importing its memory as `rt.mem`.
    pub source: &'static str,
    /// The argument of `run` (full run, quick run).
    pub arg: (i32, i32),
    /// Functions whose code is compared with `Module::explain` (export names or indices).
    pub explain: &'static [(&'static str, &'static str)],
}

/// The kernels.
pub const KERNELS: [Kernel; 2] = [
    Kernel {
        name: "stream",
        source: include_str!("../../experiments/e3_stream.wat"),
        arg: (200, 2),
        explain: &[("run", "run")],
    },
    Kernel {
        name: "heapsort",
        source: include_str!("../../experiments/e3_heapsort.wat"),
        arg: (3, 1),
        explain: &[("$get", "0"), ("$set", "1")],
    },
];

impl Kernel {
    /// The staged module (`.swat` text) with the memory in the `multi` stage.
    pub fn multi_swat(&self, placement: usize) -> Result<String> {
        let own = replace_once(self.source, MEMORY_IMPORT, "(memory 8)")?;
        Ok(format!(
            "(staged (stage $main multi {}))",
            crate::place(&own, placement)
        ))
    }

    /// The staged module with the memory in a `single` stage `rt`.
    pub fn single_swat(&self, placement: usize) -> String {
        format!(
            "(staged (stage $rt single {SINGLE_STAGE}) (stage $main multi {}))",
            crate::place(self.source, placement)
        )
    }
}

fn compile(engine: &Engine, swat: &str) -> Result<Module> {
    let staged = stagec::parse_swat(swat)?;
    Ok(Module::from_staged(engine, &staged, &Preimports::new())?)
}

/// Runs E3 and prints its tables.
pub fn run(opts: &Options) -> Result<()> {
    let engine = Engine::new(Config::default())?;
    println!(
        "## E3: memory base baked into code (single stage) vs read from the vmctx (multi stage)\n"
    );
    println!(
        "Medians of {} rounds x {} placements, ms per `run` call; difference = t(single) / t(multi) - 1 (negative: baked base faster), from the medians; paired = median over rounds of the ratio within a round.\n",
        opts.rounds, opts.placements
    );
    let mut rows = Vec::new();
    let mut code_rows = Vec::new();
    for kernel in &KERNELS {
        let arg = opts.arg(kernel.arg.0, kernel.arg.1);
        let timed = across_placements(opts.placements, opts.warmup, opts.rounds, |placement| {
            let multi = compile(&engine, &kernel.multi_swat(placement)?)?;
            let single = compile(&engine, &kernel.single_swat(placement))?;
            let mut m = StagecRunner::new(Store::new(&engine), &multi, &Linker::new(), "run")?;
            let mut s = StagecRunner::new(Store::new(&engine), &single, &Linker::new(), "run")?;
            let contenders = vec![
                Contender::new("multi", move || m.call(&[arg])),
                Contender::new("single", move || s.call(&[arg])),
            ];
            Ok((contenders, Check::Equal))
        })?;
        let (multi, single) = (&timed.placed[0], &timed.placed[1]);
        let per_placement: Vec<String> = multi
            .per_placement()
            .iter()
            .zip(single.per_placement())
            .map(|(m, s)| pct(s.median() / m.median() - 1.0))
            .collect();
        rows.push(vec![
            format!("{} `run({arg})`", kernel.name),
            ms3(multi.median()),
            ms3(single.median()),
            pct(single.median() / multi.median() - 1.0),
            pct(single.paired_ratio(multi) - 1.0),
            per_placement.join(" / "),
            format!(
                "{} / {}",
                pct(multi.noise()).replace('+', ""),
                pct(single.noise()).replace('+', "")
            ),
        ]);
        eprintln!(
            "e3: {}: checksum {}",
            kernel.name,
            timed.checksum.unwrap_or_default()
        );

        // The code: the single stage is compiled as a provider of the multi stage, so a
        // core module importing `rt.mem`, specialized on a provider that exports it, is
        // compiled the same way; the multi variant is the core module with its own memory.
        let provider = Provider::new(&engine, SINGLE_STAGE, Preimports::new())?;
        let mut pre = Preimports::new();
        pre.export("rt", "mem", &provider, "mem");
        let own = replace_once(kernel.source, MEMORY_IMPORT, "(memory 8)")?;
        for &(label, func) in kernel.explain {
            let options = CompileOptions::default();
            let baked = Module::explain(&engine, kernel.source, &pre, func, &options)?.specialized;
            let vmctx = Module::explain(&engine, &own, &Preimports::new(), func, &options)?.generic;
            for (variant, e) in [("multi (vmctx)", &vmctx), ("single (baked)", &baked)] {
                code_rows.push(vec![
                    format!("{} `{label}`", kernel.name),
                    variant.into(),
                    e.clif_insts.to_string(),
                    e.machine_insts.to_string(),
                    count_lines(&e.clif, "readonly").to_string(),
                    count_lines(&e.disasm, "movabs").to_string(),
                ]);
            }
        }
    }
    print_table(
        &[
            "kernel",
            "multi (vmctx) ms",
            "single (baked) ms",
            "difference",
            "paired difference",
            "difference per placement",
            "noise multi / single",
        ],
        &rows,
    );
    println!(
        "`Module::explain` (readonly loads = loads of vmctx fields such as the memory base; movabs = 64-bit immediates such as a baked base):\n"
    );
    print_table(
        &[
            "function",
            "variant",
            "CLIF insts",
            "machine insts",
            "readonly loads",
            "movabs",
        ],
        &code_rows,
    );
    Ok(())
}
