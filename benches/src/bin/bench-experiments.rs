//! Experiments E1–E6 (benches/EXPERIMENTS.md): each prints Markdown tables on stdout.
//!
//! ```sh
//! cargo run --release -p stagec-benches --bin bench-experiments -- e1|e2|e3|e4|e5|e6|all
//!     [--rounds N] [--warmup N] [--placements N] [--functions N] [--wasm FILE]...
//!     [--workloads DIR] [--quick]
//! ```

use anyhow::{Context, Result, bail};
use stagec_benches::experiments::{self, NAMES, Options, e6_throughput};

const USAGE: &str = "usage: bench-experiments e1|e2|e3|e4|e5|e6|all... [--rounds N] [--warmup N]
    [--placements N] [--functions N] [--wasm FILE]... [--workloads DIR] [--quick]

  --rounds N      timed interleaved rounds per placement (default 15; E4 compiles at least 21,
                  E5 at least 51, E6 compiles between 3 and 7)
  --warmup N      untimed rounds first (default 2)
  --placements N  code placements of the timed kernels, E1-E3 (default 4)
  --functions N   functions of E6's synthetic module (default 3000)
  --wasm FILE     E6: also measure compiling FILE (.wasm or .wat)
  --workloads DIR E4, E6: also measure the real-code workloads of DIR/manifest.toml
                  (E6: the largest one's compile throughput and code speed)
  --quick         tiny arguments and 3 rounds: checks that everything runs";

fn options() -> Result<(Vec<String>, Options)> {
    let mut opts = Options::default();
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--rounds" => opts.rounds = value()?.parse().context("--rounds")?,
            "--warmup" => opts.warmup = value()?.parse().context("--warmup")?,
            "--placements" => opts.placements = value()?.parse().context("--placements")?,
            "--functions" => opts.synth_functions = value()?.parse().context("--functions")?,
            "--wasm" => opts.wasm.push(value()?.into()),
            "--workloads" => opts.workloads = Some(value()?.into()),
            "--quick" => opts.quick = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "all" => names.extend(NAMES.iter().map(|n| n.to_string())),
            _ if NAMES.contains(&arg.as_str()) => names.push(arg),
            _ => bail!("unknown argument `{arg}`\n{USAGE}"),
        }
    }
    if opts.quick {
        opts.rounds = 3;
        opts.warmup = 1;
        opts.placements = 1;
    }
    if opts.rounds == 0 || opts.placements == 0 || opts.synth_functions == 0 {
        bail!("--rounds, --placements and --functions must be at least 1");
    }
    if names.is_empty() {
        bail!("name an experiment\n{USAGE}");
    }
    Ok((names, opts))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(e6_throughput::CHILD_ARG) {
        return e6_throughput::child(&args[1..]);
    }
    let (names, opts) = options()?;
    for name in &names {
        eprintln!("running {name} ...");
        experiments::run(name, &opts)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The experiments' own checks on small arguments: every variant of every experiment
    //! computes the same result, and the timing helpers do what they say.

    use stagec::{Config, Engine, Linker, Module, Store};
    use stagec_benches::experiments::timing::{Check, Contender, interleaved, median, quantile};
    use stagec_benches::experiments::{StagecRun, e1_constants, e2_calls, e3_memory_base};
    use stagec_benches::experiments::{e4_compile_cost, e5_instantiation, e6_synth};

    #[test]
    fn quantiles_interpolate() {
        let xs = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(median(&xs), 2.5);
        assert_eq!(quantile(&xs, 0.0), 1.0);
        assert_eq!(quantile(&xs, 1.0), 4.0);
        assert_eq!(quantile(&xs, 0.25), 1.75);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn interleaving_rotates_and_checks() {
        let order = std::cell::RefCell::new(Vec::new());
        let mut contenders = vec![
            Contender::new("a", || {
                order.borrow_mut().push('a');
                Ok(7)
            }),
            Contender::new("b", || {
                order.borrow_mut().push('b');
                Ok(7)
            }),
        ];
        let (times, sum) = interleaved(&mut contenders, 1, 3, Check::Equal).unwrap();
        drop(contenders);
        assert_eq!(sum, Some(7));
        assert_eq!(times.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3]);
        assert_eq!(order.into_inner(), ['a', 'b', 'a', 'b', 'b', 'a', 'a', 'b']);

        let mut differing = vec![Contender::new("x", || Ok(1)), Contender::new("y", || Ok(2))];
        assert!(interleaved(&mut differing, 0, 1, Check::Equal).is_err());
        assert!(interleaved(&mut differing, 0, 1, Check::None).is_ok());
    }

    #[test]
    fn paired_ratio_pairs_rounds() {
        use stagec_benches::experiments::timing::{Placed, paired_ratio};
        // Load doubles both in round 2: the per-round ratio stays 0.5, the medians do not
        // see it that way.
        let a = Placed {
            per_placement: vec![vec![1.0, 2.0, 1.0], vec![3.0]],
        };
        let b = Placed {
            per_placement: vec![vec![2.0, 4.0, 2.0], vec![6.0]],
        };
        assert_eq!(paired_ratio(&a, &b), 0.5);
        assert_eq!(paired_ratio(&b, &a), 2.0);
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
        let sum = spec.call(1).unwrap();
        assert_eq!(sum, indir.call(1).unwrap());
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
                .map(|b| b.call(1000).unwrap())
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
                let mut run = StagecRun::new(Store::new(&engine), &module, &Linker::new()).unwrap();
                sums.push(run.call(1).unwrap());
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
        let mut run = StagecRun::new(Store::new(&engine), &module, &Linker::new()).unwrap();
        let ours = run.call(240).unwrap();

        let wasmtime_engine = wasmtime::Engine::default();
        let theirs_module = wasmtime::Module::new(&wasmtime_engine, &bytes).unwrap();
        let mut store = wasmtime::Store::new(&wasmtime_engine, ());
        let instance = wasmtime::Instance::new(&mut store, &theirs_module, &[]).unwrap();
        let theirs = instance
            .get_typed_func::<i32, i64>(&mut store, "run")
            .unwrap()
            .call(&mut store, 240)
            .unwrap();
        assert_eq!(ours, theirs);
    }
}
