//! E1: constant preimports vs loads from the vmctx.
//!
//! The kernel (experiments/e1_constants.wat) is an image histogram whose loops use nine
//! imported immutable globals (sizes, stride, bytes per pixel, masks, shifts, bases).
//! Compiled with them preimported, they are immediates; compiled generically with the
//! same values as runtime imports (`Preimports::link`), each is a load of the import's
//! cell pointer from the vmctx and a load of the value. Both builds run in one process,
//! interleaved, at several code placements; `Module::explain` shows the code.

use super::{Options, count_lines, ms3, pct, print_table};
use crate::plan::{ModuleSpec, Plan, Value};
use crate::runner::Runner;
use crate::runner::stagec::{self as stagec_runner, StagecRunner};
use crate::timing::{Check, Contender, across_placements};
use anyhow::Result;
use stagec::{CompileOptions, Config, Engine, Module};

/// The kernel.
pub const KERNEL: &str = include_str!("../../experiments/e1_constants.wat");

/// The bindings: (module, name, value).
pub const VALUES: &[(&str, &str, i32)] = &[
    ("img", "width", 256),
    ("img", "height", 192),
    ("img", "stride", 1088),
    ("img", "bpp", 4),
    ("img", "origin", 64),
    ("img", "chan_mask", 0xff),
    ("hist", "bin_shift", 4),
    ("hist", "bins_mask", 15),
    ("hist", "base", 0x40000),
];

/// The kernel at code placement `placement`, its globals bound to [`VALUES`].
pub fn plan(placement: usize) -> Result<Plan> {
    let source = crate::place(KERNEL, placement);
    let mut main = ModuleSpec::from_text("experiments/e1_constants.wat", &source)?;
    for &(module, name, value) in VALUES {
        main.bind_value(module, name, Value::I32(value));
    }
    Ok(Plan::new(main))
}

/// The kernel compiled with its globals preimported, and compiled generically with them
/// linked as runtime imports, at code placement `placement`.
pub fn both_builds(engine: &Engine, placement: usize) -> Result<(StagecRunner, StagecRunner)> {
    let plan = plan(placement)?;
    let options = CompileOptions::default();
    let spec = stagec_runner::specialized(engine, &plan, &options, "run")?;
    let indir = stagec_runner::indirection(engine, &plan, "run")?;
    Ok((spec, indir))
}

/// Runs E1 and prints its tables.
pub fn run(opts: &Options) -> Result<()> {
    let engine = Engine::new(Config::default())?;
    let passes = opts.arg(40, 2);
    println!("## E1: constant preimports vs loads from the vmctx\n");
    let timed = across_placements(opts.placements, opts.warmup, opts.rounds, |placement| {
        let (mut spec, mut indir) = both_builds(&engine, placement)?;
        let contenders = vec![
            Contender::new("preimported (immediates)", move || spec.call(&[passes])),
            Contender::new("runtime imports (vmctx loads)", move || {
                indir.call(&[passes])
            }),
        ];
        Ok((contenders, Check::Equal))
    })?;
    let placed = &timed.placed;
    println!(
        "`run({passes})` (histogram of a 256x192 image, {passes} passes), checksum {}; medians of {} rounds x {} placements, ms per call. Speedup = ratio of the medians; paired speedup = median over rounds of the ratio within a round.\n",
        timed.checksum.unwrap_or_default(),
        opts.rounds,
        opts.placements
    );
    let base = placed[1].median();
    let rows: Vec<Vec<String>> = timed
        .names
        .iter()
        .zip(placed)
        .map(|(name, p)| {
            vec![
                name.clone(),
                ms3(p.median()),
                format!("{:.2}×", base / p.median()),
                format!("{:.2}×", placed[1].paired_ratio(p)),
                pct(p.noise()).replace('+', ""),
                pct(p.placement_effect()).replace('+', ""),
            ]
        })
        .collect();
    print_table(
        &[
            "variant",
            "median ms",
            "speedup vs runtime imports",
            "paired speedup",
            "noise (IQR)",
            "placement effect",
        ],
        &rows,
    );
    // Per placement: the same comparison within each code layout.
    let per_placement: Vec<String> = placed[0]
        .per_placement()
        .iter()
        .zip(placed[1].per_placement())
        .map(|(s, g)| format!("{:.2}×", g.median() / s.median()))
        .collect();
    println!("Speedup per placement: {}\n", per_placement.join(", "));

    let pre = stagec_runner::bindings(&engine, &plan(0)?)?;
    let explained = Module::explain(&engine, KERNEL, &pre, "run", &CompileOptions::default())?;
    let (s, g) = (&explained.specialized, &explained.generic);
    println!("`Module::explain` of `run` (whole function, all loops):\n");
    print_table(
        &[
            "build",
            "CLIF instructions",
            "machine instructions",
            "CLIF loads",
            "of them readonly (vmctx / global cell)",
        ],
        &[
            vec![
                "preimported".into(),
                s.clif_insts.to_string(),
                s.machine_insts.to_string(),
                count_lines(&s.clif, " = load.").to_string(),
                count_lines(&s.clif, "readonly").to_string(),
            ],
            vec![
                "generic (runtime imports)".into(),
                g.clif_insts.to_string(),
                g.machine_insts.to_string(),
                count_lines(&g.clif, " = load.").to_string(),
                count_lines(&g.clif, "readonly").to_string(),
            ],
        ],
    );
    Ok(())
}
