//! Staged modules: what a `single` stage's fixed addresses buy over the `multi` stage's
//! vmctx, and what calling into a `single` stage costs next to an ordinary imported
//! function. Prints one Markdown table of medians (interleaved runs, one process).
//!
//! ```sh
//! cargo run --release -p stagec-benches --bin bench-staged -- [--runs N]
//! ```

use anyhow::{Result, bail};
use clap::Parser;
use stagec::{CompileOptions, Config, Engine, Linker, Module, Preimports, Store};
use stagec_benches::cli::positive;
use stagec_benches::runner::Runner;
use stagec_benches::runner::stagec::StagecRunner;
use stagec_benches::timing::{Check, Contender, interleaved};

/// A loop over memory that also updates a global: the state lives either in the multi
/// stage itself (reached through the vmctx) or in a single stage (fixed addresses).
const STATE_MULTI: &str = r#"(staged (stage $main multi (module
  (memory 1) (global $acc (mut i64) (i64.const 0))
  (func (export "run") (param $n i32) (result i64) (local $i i32) (local $k i32)
    (global.set $acc (i64.const 0))
    (loop $outer
      (local.set $i (i32.const 0))
      (loop $l
        (i32.store (local.get $i) (i32.add (i32.load (local.get $i)) (local.get $i)))
        (global.set $acc (i64.add (global.get $acc) (i64.extend_i32_u (i32.load (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 65536))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $k) (local.get $n))))
    (global.get $acc)))))"#;

const STATE_SINGLE: &str = r#"(staged
 (stage $rt single (module (memory (export "mem") 1) (global (export "acc") (mut i64) (i64.const 0))))
 (stage $main multi (module
  (import "rt" "mem" (memory 1)) (import "rt" "acc" (global $acc (mut i64)))
  (func (export "run") (param $n i32) (result i64) (local $i i32) (local $k i32)
    (global.set $acc (i64.const 0))
    (loop $outer
      (local.set $i (i32.const 0))
      (loop $l
        (i32.store (local.get $i) (i32.add (i32.load (local.get $i)) (local.get $i)))
        (global.set $acc (i64.add (global.get $acc) (i64.extend_i32_u (i32.load (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 65536))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $k) (local.get $n))))
    (global.get $acc))))) "#;

/// The callee: a small function with state, so that calls are not free.
const CALLEE: &str = r#"(module
  (global $s (mut i32) (i32.const 1))
  (func (export "step") (param i32) (result i32)
    (global.set $s (i32.add (i32.mul (global.get $s) (i32.const 1103515245)) (local.get 0)))
    (global.get $s)))"#;

/// A caller of `lib.step`, in a loop.
const CALLER: &str = r#"(module
  (import "lib" "step" (func $step (param i32) (result i32)))
  (func (export "run") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (loop $l
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $step (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))"#;

/// Times a loop whose state lives in a `multi` or in a `single` stage, and calls of an
/// ordinary import against calls into a `single` stage; prints a Markdown table.
#[derive(Debug, Parser)]
struct Options {
    /// Timed rounds (after a checked first call and one warm-up round); every variant
    /// runs once per round, the order rotating
    #[arg(long, value_name = "N", default_value_t = 15, value_parser = positive)]
    runs: usize,
    /// Ignored: `cargo bench` passes it to every target
    #[arg(long, hide = true)]
    bench: bool,
}

/// A variant: its table row, its instance and the argument of `run`.
struct Variant {
    name: &'static str,
    runner: StagecRunner,
    arg: i32,
}

fn staged(engine: &Engine, text: &str, options: &CompileOptions) -> Result<Module> {
    let staged = stagec::parse_swat(text)?;
    Ok(Module::from_staged_options(
        engine,
        &staged,
        &Preimports::new(),
        options,
    )?)
}

fn variant(
    name: &'static str,
    module: &Module,
    linker: &Linker,
    store: Store,
    arg: i32,
) -> Result<Variant> {
    let runner = StagecRunner::new(store, module, linker, "run")?;
    Ok(Variant { name, runner, arg })
}
fn main() -> Result<()> {
    let runs = Options::parse().runs;
    let engine = Engine::new(Config::default())?;
    let plain = CompileOptions::default();
    let no_inline = CompileOptions {
        inline_threshold: 0,
        ..CompileOptions::default()
    };
    let mut variants = Vec::new();
    let empty = Linker::new();
    variants.push(variant(
        "state in multi stage (vmctx)",
        &staged(&engine, STATE_MULTI, &plain)?,
        &empty,
        Store::new(&engine),
        40,
    )?);
    variants.push(variant(
        "state in single stage (fixed addresses)",
        &staged(&engine, STATE_SINGLE, &plain)?,
        &empty,
        Store::new(&engine),
        40,
    )?);
    // Calls: an ordinary import (another instance's export through the import slot)...
    {
        let mut store = Store::new(&engine);
        let lib = Module::new(&engine, CALLEE)?;
        let lib_instance = Linker::new().instantiate(&mut store, &lib)?;
        let mut linker = Linker::new();
        linker.instance(&store, "lib", &lib_instance);
        let caller = Module::new(&engine, CALLER)?;
        variants.push(variant(
            "call: ordinary imported function",
            &caller,
            &linker,
            store,
            2_000_000,
        )?);
    }
    // ... a single stage's function, called directly (not inlined) ...
    let staged_calls =
        format!("(staged (stage $lib single {CALLEE}) (stage $main multi {CALLER}))");
    variants.push(variant(
        "call: single-stage function, direct",
        &staged(&engine, &staged_calls, &no_inline)?,
        &empty,
        Store::new(&engine),
        2_000_000,
    )?);
    // ... and inlined.
    variants.push(variant(
        "call: single-stage function, inlined",
        &staged(&engine, &staged_calls, &plain)?,
        &empty,
        Store::new(&engine),
        2_000_000,
    )?);

    // The first results, before anything is timed: the two state variants compute the
    // same, and so do the three call variants. (Both kinds keep state from call to call,
    // so only first results compare.)
    let mut firsts = Vec::new();
    for v in &mut variants {
        firsts.push(v.runner.call(&[v.arg])?);
    }
    if firsts[0] != firsts[1] {
        bail!("state variants disagree: {} vs {}", firsts[0], firsts[1]);
    }
    if firsts[2..].iter().any(|&sum| sum != firsts[2]) {
        bail!("call variants disagree: {:?}", &firsts[2..]);
    }
    let mut contenders: Vec<Contender> = variants
        .iter_mut()
        .map(|v| {
            let (runner, arg) = (&mut v.runner, v.arg);
            Contender::new(v.name, move || runner.call(&[arg]))
        })
        .collect();
    let timed = interleaved(&mut contenders, 1, runs, Check::None)?;
    drop(contenders);
    let medians: Vec<f64> = timed.samples.iter().map(|s| s.median()).collect();
    println!("Medians of {runs} interleaved runs (ms per `run` call).\n");
    println!("| variant | median ms | relative |");
    println!("|---|---:|---:|");
    for (i, v) in variants.iter().enumerate() {
        let base = if i < 2 { medians[0] } else { medians[2] };
        println!(
            "| {} | {:.3} | {:.2}× |",
            v.name,
            medians[i],
            base / medians[i]
        );
    }
    println!("\nrelative = time of the first row of its group / this row's time (> 1 = faster).");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stagec_benches::cli::try_parse;

    #[test]
    fn flags_and_defaults() {
        assert_eq!(try_parse::<Options>(&[]).unwrap().runs, 15);
        let o = try_parse::<Options>(&["--runs", "3", "--bench"]).unwrap();
        assert_eq!(o.runs, 3);
        assert!(try_parse::<Options>(&["--runs", "0"]).is_err());
        assert!(try_parse::<Options>(&["--rounds", "3"]).is_err());
    }
}
