//! E2: an inlined preimported function vs a direct call vs a call through the vmctx.
//!
//! The kernel (experiments/e2_calls.wat) calls the imported `fn.mix` once per loop
//! iteration; it is bound to a callee of experiments/e2_provider.wat (`tiny`, 3
//! operators, or `medium`, about 30) three ways: preimported with the default inline
//! threshold (inlined), preimported with threshold 0 (a direct call into the same
//! artifact), and as an ordinary runtime import (the provider instantiated on its own, the
//! call loading code and vmctx pointers from the import slot and calling indirectly).

use super::{Options, count_lines, ms3, pct, print_table};
use crate::plan::{ModuleSpec, Plan};
use crate::runner::Runner;
use crate::runner::stagec::{self as stagec_runner, StagecRunner};
use crate::timing::{Check, Contender, across_placements};
use anyhow::Result;
use stagec::{CompileOptions, Config, Engine, Module};

/// The caller.
pub const KERNEL: &str = include_str!("../../experiments/e2_calls.wat");
/// The callees.
pub const PROVIDER: &str = include_str!("../../experiments/e2_provider.wat");
/// The callees measured: exports of [`PROVIDER`].
pub const CALLEES: [&str; 2] = ["tiny", "medium"];

/// The kernel at code placement `placement`, `fn.mix` bound to `callee` of the provider.
pub fn plan(callee: &str, placement: usize) -> Result<Plan> {
    let source = crate::place(KERNEL, placement);
    let mut main = ModuleSpec::from_text("experiments/e2_calls.wat", &source)?;
    main.bind_export("fn", "mix", 0, callee);
    let provider = ModuleSpec::from_text("experiments/e2_provider.wat", PROVIDER)?;
    Ok(Plan {
        providers: vec![provider],
        main,
        hand: None,
    })
}

/// The three builds of the kernel with `fn.mix` = `callee`, at code placement
/// `placement`: inlined, direct call, runtime import.
pub fn builds(engine: &Engine, callee: &str, placement: usize) -> Result<[StagecRunner; 3]> {
    let plan = plan(callee, placement)?;
    let no_inline = CompileOptions {
        inline_threshold: 0,
        ..CompileOptions::default()
    };
    Ok([
        stagec_runner::specialized(engine, &plan, &CompileOptions::default(), "run")?,
        stagec_runner::specialized(engine, &plan, &no_inline, "run")?,
        stagec_runner::indirection(engine, &plan, "run")?,
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
        let timed = across_placements(opts.placements, opts.warmup, opts.rounds, |placement| {
            let [mut a, mut b, mut c] = builds(&engine, callee, placement)?;
            let contenders = vec![
                Contender::new(VARIANTS[0], move || a.call(&[calls])),
                Contender::new(VARIANTS[1], move || b.call(&[calls])),
                Contender::new(VARIANTS[2], move || c.call(&[calls])),
            ];
            Ok((contenders, Check::Equal))
        })?;
        let placed = &timed.placed;
        let indirect = placed[2].median();
        for (name, p) in timed.names.iter().zip(placed) {
            let per_placement: Vec<String> = p
                .per_placement()
                .iter()
                .zip(placed[2].per_placement())
                .map(|(t, base)| format!("{:.2}", base.median() / t.median()))
                .collect();
            rows.push(vec![
                callee.to_string(),
                name.clone(),
                ms3(p.median()),
                format!("{:.2}", p.median() * 1e6 / f64::from(calls)),
                format!("{:.2}×", indirect / p.median()),
                format!("{:.2}×", placed[2].paired_ratio(p)),
                per_placement.join(" / "),
                pct(p.noise()).replace('+', ""),
            ]);
        }
        eprintln!(
            "e2: {callee}: checksum {}",
            timed.checksum.unwrap_or_default()
        );

        // What the code is: with and without inlining, and generic.
        let pre = stagec_runner::bindings(&engine, &plan(callee, 0)?)?;
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
