//! Experiments E1–E6 (benches/EXPERIMENTS.md): each prints Markdown tables on stdout.
//!
//! ```sh
//! cargo run --release -p stagec-benches --bin bench-experiments -- e1|e2|e3|e4|e5|e6|all
//!     [--rounds N] [--warmup N] [--placements N] [--functions N] [--wasm FILE]...
//!     [--workloads DIR] [--quick]
//! ```

use anyhow::Result;
use clap::Parser;
use stagec_benches::experiments::{self, NAMES, Options, e6_throughput};

/// Runs experiments E1-E6 of benches/EXPERIMENTS.md; each prints Markdown tables.
#[derive(Debug, Parser)]
struct Args {
    /// The experiments to run, in order (`all`: every one)
    #[arg(required = true, value_name = "EXPERIMENT", value_parser = experiment_names())]
    experiments: Vec<String>,
    #[command(flatten)]
    options: Options,
}

/// `e1` ... `e6` and `all`.
fn experiment_names() -> clap::builder::PossibleValuesParser {
    let mut names: Vec<&str> = NAMES.to_vec();
    names.push("all");
    clap::builder::PossibleValuesParser::new(names)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(e6_throughput::CHILD_ARG) {
        return e6_throughput::child(&args[1..]);
    }
    let Args {
        experiments: given,
        options,
    } = Args::parse();
    let opts = options.quickened();
    let mut names = Vec::new();
    for name in given {
        if name == "all" {
            names.extend(NAMES.iter().map(|n| n.to_string()));
        } else {
            names.push(name);
        }
    }
    for name in &names {
        eprintln!("running {name} ...");
        experiments::run(name, &opts)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The experiments' own checks on small arguments: every variant of every experiment
    //! computes the same result. (The timing and statistics helpers have their own unit
    //! tests in the library.)

    use super::Args;
    use stagec::{Config, Engine, Linker, Module, Store};
    use stagec_benches::cli::try_parse;
    use stagec_benches::experiments::{e1_constants, e2_calls, e3_memory_base};
    use stagec_benches::experiments::{e4_compile_cost, e5_instantiation, e6_synth};
    use stagec_benches::plan::{ModuleSpec, Plan};
    use stagec_benches::runner::Runner;
    use stagec_benches::runner::stagec::StagecRunner;
    use stagec_benches::runner::wasmtime as wasmtime_runner;

    #[test]
    fn flags_and_defaults() {
        let args = try_parse::<Args>(&["e1"]).unwrap();
        let o = &args.options;
        assert_eq!((o.rounds, o.warmup, o.placements), (15, 2, 4));
        assert_eq!(o.synth_functions, e6_synth::DEFAULT_FUNCTIONS);
        assert!(!o.quick && o.wasm.is_empty() && o.workloads.is_none());

        let args = try_parse::<Args>(&[
            "e6",
            "all",
            "--rounds=9",
            "--wasm",
            "a.wasm",
            "--wasm",
            "b.wat",
            "--workloads",
            "w",
            "--functions",
            "10",
            "--quick",
        ])
        .unwrap();
        assert_eq!(args.experiments, ["e6", "all"]);
        assert_eq!(args.options.wasm.len(), 2);
        let quick = args.options.quickened();
        assert_eq!((quick.rounds, quick.warmup, quick.placements), (3, 1, 1));
        assert_eq!(quick.synth_functions, 10);

        for wrong in [
            &[][..],
            &["e7"],
            &["e1", "--rounds", "0"],
            &["e1", "--placements", "0"],
            &["e1", "--bogus"],
        ] {
            assert!(try_parse::<Args>(wrong).is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn break_even_cases() {
        use e4_compile_cost::break_even;
        assert_eq!(break_even(2.0, 0.5), "4.00");
        assert_eq!(break_even(2.0, 0.0), "never");
        assert_eq!(break_even(2.0, -0.1), "never");
        assert_eq!(break_even(-1.0, 0.5), "0 (compiles faster too)");
    }

    #[test]
    fn break_even_in_run_time() {
        use e4_compile_cost::break_even_ms;
        // 2 ms extra compile, a quarter of the run time saved: pays after 8 ms of runs.
        assert_eq!(break_even_ms(2.0, 4.0, 3.0), "8.00");
        assert_eq!(break_even_ms(2.0, 4.0, 4.0), "never");
        assert_eq!(break_even_ms(-2.0, 4.0, 3.0), "0");
    }

    fn engine() -> Engine {
        Engine::new(Config::default()).unwrap()
    }

    #[test]
    fn e1_builds_agree() {
        let engine = engine();
        let (mut spec, mut indir) = e1_constants::both_builds(&engine, 1).unwrap();
        let sum = spec.call(&[1]).unwrap();
        assert_eq!(sum, indir.call(&[1]).unwrap());
        assert_ne!(sum, 0);
    }

    #[test]
    fn e2_builds_agree() {
        let engine = engine();
        let mut sums = Vec::new();
        for callee in e2_calls::CALLEES {
            let results: Vec<i64> = e2_calls::builds(&engine, callee, 0)
                .unwrap()
                .iter_mut()
                .map(|b| b.call(&[1000]).unwrap())
                .collect();
            assert!(
                results.iter().all(|&r| r == results[0]),
                "{callee}: {results:?}"
            );
            sums.push(results[0]);
        }
        assert_ne!(sums[0], sums[1], "the callees compute different things");
    }

    #[test]
    fn e3_stages_agree() {
        let engine = engine();
        for kernel in &e3_memory_base::KERNELS {
            let mut sums = Vec::new();
            for swat in [kernel.multi_swat(2).unwrap(), kernel.single_swat(2)] {
                let staged = stagec::parse_swat(&swat).unwrap();
                let module =
                    Module::from_staged(&engine, &staged, &stagec::Preimports::new()).unwrap();
                let mut run =
                    StagecRunner::new(Store::new(&engine), &module, &Linker::new(), "run").unwrap();
                sums.push(run.call(&[1]).unwrap());
            }
            assert_eq!(sums[0], sums[1], "{}", kernel.name);
        }
    }

    #[test]
    fn e5_computes_zlib_crc() {
        let engine = engine();
        let staged = stagec::parse_swat(e5_instantiation::SWAT).unwrap();
        let module = e5_instantiation::compile(&engine, &staged).unwrap();
        e5_instantiation::check_crc(&engine, &module).unwrap();
    }

    #[test]
    fn e6_synthetic_module_runs_alike_on_both_engines() {
        let bytes = wat::parse_str(e6_synth::module(60)).unwrap();
        let engine = engine();
        let module = Module::from_binary(&engine, &bytes).unwrap();
        let mut run =
            StagecRunner::new(Store::new(&engine), &module, &Linker::new(), "run").unwrap();
        let ours = run.call(&[240]).unwrap();

        let plan = Plan::new(ModuleSpec::from_binary("synthetic", bytes));
        let wasmtime_engine = wasmtime_runner::engine(false).unwrap();
        let mut theirs = wasmtime_runner::generic(&wasmtime_engine, &plan, "run").unwrap();
        assert_eq!(ours, theirs.call(&[240]).unwrap());
    }
}
