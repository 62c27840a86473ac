//! E2: an inlined preimported function vs a direct call vs a call through the vmctx.
//!
//! The kernel (experiments/e2_calls.wat) calls the imported `fn.mix` once per loop
//! iteration; it is bound to a callee of experiments/e2_provider.wat (`tiny`, 3
//! operators, or `medium`, about 30) three ways: preimported with the default inline
//! threshold (inlined), preimported with threshold 0 (a direct call into the same
//! artifact), and as an ordinary runtime import (the provider instantiated on its own, the
//! call loading code and vmctx pointers from the import slot and calling indirectly).

use super::timing::{Contender, across_placements, median, paired_ratio};
use super::{Options, StagecRun, count_lines, ms3, pct, print_table};
use anyhow::Result;
use stagec::{CompileOptions, Config, Engine, Linker, Module, Preimports, Provider, Store};

/// The caller.
pub const KERNEL: &str = include_str!("../../experiments/e2_calls.wat");
/// The callees.
pub const PROVIDER: &str = include_str!("../../experiments/e2_provider.wat");
/// The callees measured: exports of [`PROVIDER`].
pub const CALLEES: [&str; 2] = ["tiny", "medium"];

/// `fn.mix` bound to `callee` of the provider.
pub fn preimports(engine: &Engine, callee: &str) -> Result<Preimports> {
    let provider = Provider::new(engine, PROVIDER, Preimports::new())?;
    let mut pre = Preimports::new();
    pre.export("fn", "mix", &provider, callee);
    Ok(pre)
}

/// The three builds of the kernel with `fn.mix` = `callee`, at code placement
/// `placement`: inlined, direct call, runtime import.
pub fn builds(engine: &Engine, callee: &str, placement: usize) -> Result<[StagecRun; 3]> {
    let source = crate::place(KERNEL, placement);
    let pre = preimports(engine, callee)?;
    let inlined = Module::with_preimports(engine, &source, &pre)?;
    let no_inline = CompileOptions {
        inline_threshold: 0,
        ..CompileOptions::default()
    };
    let direct = Module::with_preimports_options(engine, &source, &pre, &no_inline)?;
    let generic = Module::new(engine, &source)?;
    let mut store = Store::new(engine);
    let mut linker = Linker::new();
    pre.link(&mut store, &mut linker)?;
    Ok([
        StagecRun::new(Store::new(engine), &inlined, &Linker::new())?,
        StagecRun::new(Store::new(engine), &direct, &Linker::new())?,
        StagecRun::new(store, &generic, &linker)?,
    ])
}

const VARIANTS: [&str; 3] = [
    "preimported, inlined (threshold 100)",
    "preimported, direct call (threshold 0)",
    "runtime import (call through vmctx slot)",
];

/// Runs E2 and prints its tables.
pub fn run(opts: &Options) -> Result<()> {
    let engine = Engine::new(Config::default())?;
    let calls = opts.arg(5_000_000, 20_000);
    println!("## E2: inlined preimported functions vs direct and indirect calls\n");
    println!(
        "`run({calls})`: {calls} calls of `fn.mix` in a loop; medians of {} rounds x {} placements, ms per `run` call and ns per `mix` call. Speedup = ratio of the medians; paired speedup = median over rounds of the ratio within a round.\n",
        opts.rounds, opts.placements
    );
    let mut rows = Vec::new();
    let mut code_rows = Vec::new();
    for callee in CALLEES {
        let (names, placed, checksum) =
            across_placements(opts.placements, opts.warmup, opts.rounds, |placement| {
                let [mut a, mut b, mut c] = builds(&engine, callee, placement)?;
                Ok(vec![
                    Contender::new(VARIANTS[0], move || a.call(calls)),
                    Contender::new(VARIANTS[1], move || b.call(calls)),
                    Contender::new(VARIANTS[2], move || c.call(calls)),
                ])
            })?;
        let indirect = placed[2].median();
        for (name, p) in names.iter().zip(&placed) {
            let per_placement: Vec<String> = p
                .per_placement
                .iter()
                .zip(&placed[2].per_placement)
                .map(|(t, base)| format!("{:.2}", median(base) / median(t)))
                .collect();
            rows.push(vec![
                callee.to_string(),
                name.clone(),
                ms3(p.median()),
                format!("{:.2}", p.median() * 1e6 / f64::from(calls)),
                format!("{:.2}×", indirect / p.median()),
                format!("{:.2}×", paired_ratio(&placed[2], p)),
                per_placement.join(" / "),
                pct(p.noise()).replace('+', ""),
            ]);
        }
        eprintln!("e2: {callee}: checksum {}", checksum.unwrap_or_default());

        // What the code is: with and without inlining, and generic.
        let pre = preimports(&engine, callee)?;
        let inlined = Module::explain(&engine, KERNEL, &pre, "run", &CompileOptions::default())?;
        let direct = Module::explain(
            &engine,
            KERNEL,
            &pre,
            "run",
            &CompileOptions {
                inline_threshold: 0,
                ..CompileOptions::default()
            },
        )?;
        for (name, e) in [
            (VARIANTS[0], &inlined.specialized),
            (VARIANTS[1], &direct.specialized),
            (VARIANTS[2], &inlined.generic),
        ] {
            code_rows.push(vec![
                callee.to_string(),
                name.to_string(),
                e.clif_insts.to_string(),
                e.machine_insts.to_string(),
                count_lines(&e.clif, " call fn").to_string(),
                count_lines(&e.clif, "call_indirect").to_string(),
            ]);
        }
    }
    print_table(
        &[
            "callee",
            "variant",
            "median ms",
            "ns per call",
            "speedup vs runtime import",
            "paired speedup",
            "speedup per placement",
            "noise (IQR)",
        ],
        &rows,
    );
    println!("`Module::explain` of the caller `run`:\n");
    print_table(
        &[
            "callee",
            "variant",
            "CLIF insts",
            "machine insts",
            "direct calls",
            "indirect calls",
        ],
        &code_rows,
    );
    Ok(())
}
