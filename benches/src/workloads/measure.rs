//! Measuring one workload: build every engine, check every result against the manifest's
//! checksum, then time the in-process engines interleaved round by round and node in its
//! own process per variant.

use super::manifest::Workload;
use super::resolve;
use crate::runner::node::{self, Scratch};
use crate::runner::{self, BuildOptions, EngineKind, Runner};
use crate::stats::Samples;
use crate::timing::{Check, Contender, interleaved_with_progress, ms};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::io::{IsTerminal as _, Write as _};
use std::time::Instant;

/// How to measure.
#[derive(Clone, Debug, Serialize)]
pub struct Options {
    /// Timed rounds: every engine is timed once per round.
    pub runs: usize,
    /// Untimed calls per engine after the checked first call.
    pub warmup: usize,
    /// Untimed calls in node after its first call.
    pub node_warmup: usize,
    /// Whether to run node.
    pub node: bool,
}

/// One engine's measurements of one workload.
#[derive(Clone, Debug, Serialize)]
pub struct EngineResult {
    /// The engine.
    pub engine: EngineKind,
    /// Its result, equal to the manifest's checksum.
    pub result: i64,
    /// Compiling and instantiating, in milliseconds (one measurement, not a median).
    pub compile_ms: f64,
    /// One timed call each, in milliseconds.
    pub samples_ms: Samples,
    /// Instructions of one call (callgrind `Ir`, with `--counts`; in-process engines only).
    pub instructions: Option<u64>,
}

impl EngineResult {
    /// The median sample.
    pub fn median(&self) -> f64 {
        self.samples_ms.median()
    }

    /// The fastest sample.
    pub fn min(&self) -> f64 {
        self.samples_ms.min()
    }

    /// Interquartile range over the median.
    pub fn spread(&self) -> f64 {
        self.samples_ms.noise()
    }
}

/// A workload's measurements, every engine that could run it.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadResult {
    /// Manifest name.
    pub name: String,
    /// `rust` or `c`.
    pub kind: String,
    /// Manifest description.
    pub description: String,
    /// The function timed.
    pub invoke: String,
    /// The preimports as written in the manifest.
    pub preimports: Vec<String>,
    /// The manifest's checksum, which every engine returned.
    pub checksum: i64,
    /// Per engine, in [`EngineKind::ALL`] order; missing engines are absent.
    pub engines: Vec<EngineResult>,
}

impl WorkloadResult {
    /// The measurements of `engine`, if it ran.
    pub fn engine(&self, engine: EngineKind) -> Option<&EngineResult> {
        self.engines.iter().find(|e| e.engine == engine)
    }

    /// The median time of `engine` in ms, if it ran.
    pub fn median(&self, engine: EngineKind) -> Option<f64> {
        self.engine(engine).map(EngineResult::median)
    }

    /// Speedup of stagec spec over `engine`: median(engine) / median(stagec spec).
    pub fn speedup(&self, engine: EngineKind) -> Option<f64> {
        Some(self.median(engine)? / self.median(EngineKind::StagecSpec)?)
    }

    /// Instructions of `engine` over stagec spec's, if both were counted.
    pub fn count_ratio(&self, engine: EngineKind) -> Option<f64> {
        let count = |e| self.engine(e)?.instructions;
        Some(crate::counts::ratio(
            count(engine)?,
            count(EngineKind::StagecSpec)?,
        ))
    }
}

/// An in-process engine's instance of a workload and how long building it took.
struct Built {
    engine: EngineKind,
    runner: Box<dyn Runner>,
    /// Compilation plus instantiation (engine creation included), in milliseconds.
    compile_ms: f64,
}

/// Measures `workload`; `progress` prefixes the lines written to stderr. Fails if any
/// engine's result differs from the manifest's checksum.
pub fn measure(
    workload: &Workload,
    options: &Options,
    scratch: &Scratch,
    progress: &str,
) -> Result<WorkloadResult> {
    let (plan, warnings) = resolve::plan(workload)?;
    for warning in warnings {
        eprintln!("{progress} warning: {warning}");
    }
    let invoke = workload.invoke.as_str();
    eprintln!("{progress} compiling");
    let mut in_process: Vec<Built> = Vec::new();
    for engine in EngineKind::IN_PROCESS {
        if engine.is_hand() && plan.hand.is_none() {
            continue;
        }
        let start = Instant::now();
        let runner = runner::build(engine, &plan, invoke, BuildOptions::default())
            .with_context(|| engine.label())?;
        let compile_ms = ms(start.elapsed());
        in_process.push(Built {
            engine,
            runner,
            compile_ms,
        });
    }

    // Every result against the manifest first: a wrong engine must not be timed.
    let mut results = Vec::new();
    for built in &mut in_process {
        let result = built
            .runner
            .call(&[])
            .with_context(|| format!("{}: {invoke}()", built.engine.label()))?;
        results.push((built.engine, result));
    }
    let mut node_runs = Vec::new();
    if options.node {
        for engine in [EngineKind::Node, EngineKind::NodeHand] {
            if engine.is_hand() && plan.hand.is_none() {
                continue;
            }
            eprintln!("{progress} {}", engine.label());
            let tag = format!(
                "{}-{}",
                workload.name,
                if engine.is_hand() { "hand" } else { "generic" }
            );
            let run = node::run(
                scratch,
                &tag,
                &plan,
                engine.is_hand(),
                invoke,
                options.node_warmup,
                options.runs,
            )
            .with_context(|| engine.label())?;
            results.push((engine, run.result()?));
            node_runs.push((engine, run));
        }
    }
    let wrong: Vec<String> = results
        .iter()
        .filter(|(_, r)| *r != workload.checksum)
        .map(|(e, r)| format!("{} returned {r}", e.label()))
        .collect();
    if !wrong.is_empty() {
        bail!(
            "{invoke}() should return the checksum {}: {}",
            workload.checksum,
            wrong.join(", ")
        );
    }

    let k = in_process.len();
    // A terminal sees the round counter move; a log gets one line.
    let terminal = std::io::stderr().is_terminal();
    if !terminal {
        eprintln!("{progress} timing {} rounds of {k} engines", options.runs);
    }
    let mut contenders: Vec<Contender> = in_process
        .iter_mut()
        .map(|built| {
            let name = built.engine.label();
            Contender::new(name, move || built.runner.call(&[]))
        })
        .collect();
    let timed = interleaved_with_progress(
        &mut contenders,
        options.warmup,
        options.runs,
        Check::Expect(workload.checksum),
        |round| {
            if terminal {
                eprint!("\r{progress} round {}/{}", round + 1, options.runs);
                let _ = std::io::stderr().flush();
            }
        },
    )?;
    drop(contenders);
    if terminal {
        eprintln!();
    }

    let mut engines: Vec<EngineResult> = in_process
        .iter()
        .zip(timed.samples)
        .map(|(built, samples_ms)| EngineResult {
            engine: built.engine,
            result: workload.checksum,
            compile_ms: built.compile_ms,
            samples_ms,
            instructions: None,
        })
        .collect();
    for (engine, run) in node_runs {
        engines.push(EngineResult {
            engine,
            result: workload.checksum,
            compile_ms: run.compile_ms,
            samples_ms: Samples::new(run.samples_ms).context("node timed no calls")?,
            instructions: None,
        });
    }
    Ok(WorkloadResult {
        name: workload.name.clone(),
        kind: workload.kind.clone(),
        description: workload.description.clone(),
        invoke: workload.invoke.clone(),
        preimports: workload.bindings.iter().map(|b| b.text.clone()).collect(),
        checksum: workload.checksum,
        engines,
    })
}

/// The child's part of `--counts`, under callgrind: builds `workload`'s in-process engines
/// and counts one call of each (see [`crate::counts::count_runners`]).
pub fn count(workload: &Workload) -> Result<()> {
    let (plan, _) = resolve::plan(workload)?;
    let mut runners = Vec::new();
    for engine in EngineKind::IN_PROCESS {
        if engine.is_hand() && plan.hand.is_none() {
            continue;
        }
        let runner = runner::build(engine, &plan, &workload.invoke, BuildOptions::default())
            .with_context(|| engine.label())?;
        runners.push((engine, runner));
    }
    crate::counts::count_runners(&workload.name, &mut runners, &[], workload.checksum)
}

/// Gives every in-process engine of `results` its count from `counted` (the child's
/// regions); fails if one is missing.
pub fn add_counts(results: &mut [WorkloadResult], counted: &crate::counts::Counts) -> Result<()> {
    for w in results {
        for e in w.engines.iter_mut().filter(|e| !e.engine.is_node()) {
            let label = crate::counts::label(&w.name, e.engine);
            e.instructions = Some(
                counted
                    .get(&label)
                    .with_context(|| format!("no count of {} {}", w.name, e.engine.label()))?,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;
    use crate::report::machine::Machine;
    use std::path::{Path, PathBuf};

    const PROVIDER: &str = r#"(module
  (import "env" "k" (global $k i32))
  (global (export "count") i32 (i32.const 1000))
  (func (export "mix") (param $x i64) (result i64)
    (i64.xor (i64.mul (local.get $x) (i64.const 0x9E3779B97F4A7C15))
             (i64.shr_u (local.get $x) (i64.extend_i32_u (global.get $k))))))"#;

    const GENERIC: &str = r#"(module
  (import "env" "n" (global $n i32))
  (import "env" "seed" (global $seed i64))
  (import "env" "mix" (func $mix (param i64) (result i64)))
  (func (export "run") (result i64) (local $i i32) (local $acc i64)
    (local.set $acc (global.get $seed))
    (loop $l
      (local.set $acc (call $mix (i64.xor (local.get $acc) (i64.extend_i32_u (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (global.get $n))))
    (local.get $acc)))"#;

    const HAND: &str = r#"(module
  (func $mix (param $x i64) (result i64)
    (i64.xor (i64.mul (local.get $x) (i64.const 0x9E3779B97F4A7C15))
             (i64.shr_u (local.get $x) (i64.const 29))))
  (func (export "run") (result i64) (local $i i32) (local $acc i64)
    (local.set $acc (i64.const 7))
    (loop $l
      (local.set $acc (call $mix (i64.xor (local.get $acc) (i64.extend_i32_u (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))
    (local.get $acc)))"#;

    /// A scratch directory holding the three modules, removed on drop.
    struct Dir(PathBuf);

    impl Dir {
        fn new(test: &str) -> Dir {
            let dir =
                std::env::temp_dir().join(format!("stagec-benches-{test}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            for (name, text) in [("p.wat", PROVIDER), ("g.wat", GENERIC), ("h.wat", HAND)] {
                std::fs::write(dir.join(name), text).unwrap();
            }
            Dir(dir)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// `run()` of the modules above, computed on the host.
    fn expected() -> i64 {
        let mix = |x: u64| x.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (x >> 29);
        (0..1000u64).fold(7u64, |acc, i| mix(acc ^ i)) as i64
    }

    fn workload(dir: &Path, checksum: i64) -> Workload {
        // `env.n` is bound to a global exported by the provider, `env.mix` to its function,
        // and the provider's own import `env.k` by the same list.
        let text = format!(
            "[[workload]]\nname = \"mix\"\nkind = \"c\"\ndescription = \"test\"\n\
             wasm = \"g.wat\"\nhand = \"h.wat\"\ninvoke = \"run\"\n\
             preimports = [\"env.n=@p.wat#count\", \"env.seed=7\", \"env.mix=@p.wat#mix\", \"env.k=29\"]\n\
             checksum = {checksum}\n"
        );
        super::super::manifest::parse(&text, dir).unwrap().remove(0)
    }

    fn options() -> Options {
        Options {
            runs: 3,
            warmup: 1,
            node_warmup: 1,
            node: node::version().is_some(),
        }
    }

    #[test]
    fn every_engine_returns_the_checksum_and_is_timed() {
        let dir = Dir::new("measure");
        let scratch = Scratch::new().unwrap();
        let options = options();
        let result = measure(&workload(&dir.0, expected()), &options, &scratch, "test:").unwrap();
        let count = if options.node { 6 } else { 4 };
        assert_eq!(result.engines.len(), count, "{result:?}");
        for e in &result.engines {
            assert_eq!(e.result, expected());
            assert_eq!(e.samples_ms.len(), 3, "{:?}", e.engine);
            assert!(e.samples_ms.values().iter().all(|&t| t > 0.0) && e.median() >= e.min());
        }
        assert!(
            result
                .speedup(EngineKind::StagecIndir)
                .is_some_and(|s| s > 0.0)
        );

        let out = Dir::new("report");
        let report = Report {
            command: "cargo run".into(),
            manifest: "m.toml".into(),
            manifest_commit: "unknown".into(),
            quick: true,
            options,
            machine: Machine::collect(Path::new(env!("CARGO_MANIFEST_DIR")), None),
            counter: Some("test counter".into()),
            workloads: vec![result],
        };
        // Counts as `--counts` adds them: stagec spec 100, the others 150.
        let mut counted = crate::counts::Counts::default();
        for e in EngineKind::IN_PROCESS {
            let n = if e == EngineKind::StagecSpec {
                100
            } else {
                150
            };
            counted.0.push((crate::counts::label("mix", e), n));
        }
        let mut report = report;
        add_counts(&mut report.workloads, &counted).unwrap();
        assert_eq!(
            report.workloads[0].count_ratio(EngineKind::StagecIndir),
            Some(1.5)
        );
        let files = report.write(&out.0).unwrap();
        assert_eq!(files.len(), 4);
        let md = std::fs::read_to_string(out.0.join("RESULTS.md")).unwrap();
        assert!(md.contains("| mix | c |"), "{md}");
        assert!(md.contains("| **geomean** |"), "{md}");
        assert!(md.contains("| instructions | test counter |"), "{md}");
        assert!(md.contains("| mix | 100 | 150 | 150 | 150 |"), "{md}");
        assert!(md.contains(" / 1.50× |"), "{md}");
        for plot in [crate::report::TIME_PLOT, crate::report::SPEEDUP_PLOT] {
            let svg = std::fs::read_to_string(out.0.join(plot)).unwrap();
            // The workload's name is an axis label: SVG text, on a line of its own.
            let label = svg.lines().any(|l| l.trim() == "mix");
            assert!(
                svg.starts_with("<svg") && svg.contains("<text") && label,
                "{plot}"
            );
        }
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.0.join("results.json")).unwrap())
                .unwrap();
        let samples = &json["workloads"][0]["engines"][0]["samples_ms"];
        assert_eq!(samples.as_array().map(Vec::len), Some(3));
        assert_eq!(json["workloads"][0]["engines"][0]["engine"], "stagec-spec");
    }

    #[test]
    fn a_wrong_checksum_fails_before_timing() {
        let dir = Dir::new("wrong");
        let scratch = Scratch::new().unwrap();
        let err = measure(
            &workload(&dir.0, expected() ^ 1),
            &options(),
            &scratch,
            "test:",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("should return the checksum"), "{err}");
        assert!(err.contains("stagec spec returned"), "{err}");
    }
}
