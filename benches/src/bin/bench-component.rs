//! Components (module linking, `stagec-component`): a cross-module call chain with its
//! wiring specialized (known code, constants), with `--specialize off`, and on wasmtime
//! 48's component model (default, and with `Config::compiler_inlining`), medians side by
//! side in one run; then instantiating the same 4-module component (new store +
//! instantiate + drop) on stagec and with wasmtime's `InstancePre`.
//!
//! ```sh
//! cargo run --release -p stagec-benches --bin bench-component -- [--runs N] [--iterations N] [--batch N]
//! ```

use anyhow::{Result, bail};
use clap::Parser;
use stagec_benches::cli::positive;
use stagec_benches::runner::wasmtime::wt;
use stagec_benches::timing::{Check, Contender, interleaved};
use stagec_component::{Component, ComponentOptions, Specialize, Value};

/// Four modules: Cfg's immutable globals feed Lib, Mid and App. `direct` is the issue's
/// benchmark: App calls Lib's small `step` (state in Lib's instance) in a hot loop and
/// reads Lib's and Cfg's immutable globals. `chain` calls Mid's `f` instead, which calls
/// `step`: a two-hop chain. Every cross-module edge is fed by one instance, so with the
/// wiring specialized every import is known code or a constant — but known code is not
/// transitive: the copy of Mid's `f` in App calls `step` through Mid's import slot.
/// Both exports compute the same sum.
pub const CHAIN: &str = r#"(component
  (core module $Cfg
    (global (export "mult") i32 (i32.const 1103515245))
    (global (export "inc") i32 (i32.const 12345))
    (global (export "shift") i32 (i32.const 7)))
  (core instance $cfg (instantiate $Cfg))
  (core module $Lib
    (import "cfg" "mult" (global $mult i32))
    (import "cfg" "inc" (global $inc i32))
    (global $state (mut i32) (i32.const 0))
    (global (export "mask") i32 (i32.const 0xffff))
    (func (export "reset") (global.set $state (i32.const 1)))
    (func (export "step") (param $x i32) (result i32)
      (global.set $state
        (i32.add (i32.mul (global.get $state) (global.get $mult))
                 (i32.add (local.get $x) (global.get $inc))))
      (global.get $state)))
  (core instance $lib (instantiate $Lib (with "cfg" (instance $cfg))))
  (core module $Mid
    (import "lib" "step" (func $step (param i32) (result i32)))
    (import "cfg" "shift" (global $shift i32))
    (func (export "f") (param $x i32) (result i32)
      (i32.shr_u (call $step (local.get $x)) (global.get $shift))))
  (core instance $mid (instantiate $Mid (with "lib" (instance $lib)) (with "cfg" (instance $cfg))))
  (core module $App
    (import "mid" "f" (func $f (param i32) (result i32)))
    (import "lib" "reset" (func $reset))
    (import "lib" "step" (func $step (param i32) (result i32)))
    (import "lib" "mask" (global $mask i32))
    (import "cfg" "shift" (global $shift i32))
    (func (export "chain") (param $n i32) (result i64) (local $i i32) (local $acc i64)
      (call $reset)
      (loop $l
        (local.set $acc
          (i64.add (local.get $acc)
                   (i64.extend_i32_u (i32.and (call $f (local.get $i)) (global.get $mask)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
      (local.get $acc))
    (func (export "direct") (param $n i32) (result i64) (local $i i32) (local $acc i64)
      (call $reset)
      (loop $l
        (local.set $acc
          (i64.add (local.get $acc)
                   (i64.extend_i32_u
                     (i32.and (i32.shr_u (call $step (local.get $i)) (global.get $shift))
                              (global.get $mask)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
      (local.get $acc)))
  (core instance $app (instantiate $App (with "mid" (instance $mid)) (with "lib" (instance $lib))
                                        (with "cfg" (instance $cfg))))
  (func (export "chain") (param "n" u32) (result u64) (canon lift (core func $app "chain")))
  (func (export "direct") (param "n" u32) (result u64) (canon lift (core func $app "direct")))
)"#;

/// Times the call chain and instantiation; prints Markdown tables of medians.
#[derive(Debug, Parser)]
struct Options {
    /// Timed rounds (after one warm-up round); every variant runs once per round, the
    /// order rotating
    #[arg(long, value_name = "N", default_value_t = 21, value_parser = positive)]
    runs: usize,
    /// Loop iterations of one call (cross-module calls)
    #[arg(long, value_name = "N", default_value_t = 2_000_000, value_parser = positive)]
    iterations: usize,
    /// Instantiations timed together per sample
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = positive)]
    batch: usize,
    /// Ignored: `cargo bench` passes it to every target
    #[arg(long, hide = true)]
    bench: bool,
}

fn stagec_component(engine: &stagec::Engine, specialize: Specialize) -> Result<Component> {
    let options = ComponentOptions {
        specialize,
        ..ComponentOptions::default()
    };
    Ok(Component::from_binary_with(
        engine,
        CHAIN.as_bytes(),
        &options,
    )?)
}

fn wasmtime_engine(inlining: bool) -> Result<wasmtime::Engine> {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    if inlining {
        config.compiler_inlining(wasmtime::Inlining::Yes);
    }
    wt(wasmtime::Engine::new(&config))
}

/// A stagec component instance ready to call its exports.
struct StagecRun {
    store: stagec::Store,
    instance: stagec_component::ComponentInstance,
}

impl StagecRun {
    fn new(engine: &stagec::Engine, component: &Component) -> Result<StagecRun> {
        let mut store = stagec::Store::new(engine);
        let instance = stagec_component::Linker::new().instantiate(&mut store, component)?;
        Ok(StagecRun { store, instance })
    }

    fn call(&mut self, export: &str, n: u32) -> Result<i64> {
        match self
            .instance
            .call(&mut self.store, export, &[Value::U32(n)])?
        {
            Some(Value::U64(sum)) => Ok(sum as i64),
            other => bail!("run returned {other:?}"),
        }
    }
}

/// A wasmtime component instance ready to call its exports.
struct WasmtimeRun {
    store: wasmtime::Store<()>,
    chain: wasmtime::component::TypedFunc<(u32,), (u64,)>,
    direct: wasmtime::component::TypedFunc<(u32,), (u64,)>,
}

impl WasmtimeRun {
    fn new(engine: &wasmtime::Engine) -> Result<WasmtimeRun> {
        let component = wt(wasmtime::component::Component::new(engine, CHAIN))?;
        let linker = wasmtime::component::Linker::new(engine);
        let mut store = wasmtime::Store::new(engine, ());
        let instance = wt(linker.instantiate(&mut store, &component))?;
        let chain = wt(instance.get_typed_func::<(u32,), (u64,)>(&mut store, "chain"))?;
        let direct = wt(instance.get_typed_func::<(u32,), (u64,)>(&mut store, "direct"))?;
        Ok(WasmtimeRun {
            store,
            chain,
            direct,
        })
    }

    fn call(&mut self, export: &str, n: u32) -> Result<i64> {
        let func = if export == "chain" {
            &self.chain
        } else {
            &self.direct
        };
        let (sum,) = wt(func.call(&mut self.store, (n,)))?;
        Ok(sum as i64)
    }
}

fn main() -> Result<()> {
    let options = Options::parse();
    let n = u32::try_from(options.iterations)?;
    let engine = stagec::Engine::new(stagec::Config::default())?;
    let specialized = stagec_component(&engine, Specialize::On)?;
    let generic = stagec_component(&engine, Specialize::Off)?;
    let specialized_edges = specialized
        .explain_edges()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    let mut runs = [
        StagecRun::new(&engine, &specialized)?,
        StagecRun::new(&engine, &generic)?,
    ];
    let mut wasmtimes = [
        WasmtimeRun::new(&wasmtime_engine(false)?)?,
        WasmtimeRun::new(&wasmtime_engine(true)?)?,
    ];
    println!("# Components: cross-module calls (App → Lib, App → Mid → Lib; Cfg's globals)\n");
    println!("stagec specialized: {specialized_edges}.\n");
    for export in ["direct", "chain"] {
        let [spec, off] = &mut runs;
        let [wt_default, wt_inlining] = &mut wasmtimes;
        let mut contenders = vec![
            Contender::new("stagec, wiring specialized", || spec.call(export, n)),
            Contender::new("stagec, --specialize off", || off.call(export, n)),
            Contender::new("wasmtime 48 default", || wt_default.call(export, n)),
            Contender::new("wasmtime 48, compiler_inlining", || {
                wt_inlining.call(export, n)
            }),
        ];
        // Every call of every variant returns the same sum (each call resets Lib's state).
        let timed = interleaved(&mut contenders, 1, options.runs, Check::Equal)?;
        let names: Vec<String> = contenders.iter().map(|c| c.name.clone()).collect();
        drop(contenders);
        let medians: Vec<f64> = timed.samples.iter().map(|s| s.median()).collect();
        println!(
            "## `{export}({n})`: medians of {} interleaved rounds, checksum {}\n",
            options.runs,
            timed.checksum.unwrap_or_default()
        );
        println!("| variant | median ms | ns per iteration | vs --specialize off |");
        println!("|---|---:|---:|---:|");
        for (name, median) in names.iter().zip(&medians) {
            println!(
                "| {name} | {median:.3} | {:.2} | {:.2}× |",
                median * 1e6 / f64::from(n),
                medians[1] / median
            );
        }
        let (s, o, w) = (medians[0], medians[1], medians[3]);
        println!(
            "\ntargets: ≥ 1.5× over --specialize off ({:.2}×: {}); faster than wasmtime with \
             inlining ({:.2}×: {})\n",
            o / s,
            verdict(o / s >= 1.5),
            w / s,
            verdict(s < w)
        );
    }
    instantiate(&engine, &specialized, &generic, &options)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// New store + instantiate the 4-module component + drop.
fn instantiate(
    engine: &stagec::Engine,
    specialized: &Component,
    generic: &Component,
    options: &Options,
) -> Result<()> {
    let linker = stagec_component::Linker::new();
    let wt_engine = wasmtime_engine(false)?;
    let wt_component = wt(wasmtime::component::Component::new(&wt_engine, CHAIN))?;
    let pre = wt(wasmtime::component::Linker::new(&wt_engine).instantiate_pre(&wt_component))?;
    let batch = options.batch;
    let mut contenders = vec![
        Contender::batched("stagec, wiring specialized", batch, || {
            let mut store = stagec::Store::new(engine);
            linker.instantiate(&mut store, specialized)?;
            Ok(0)
        }),
        Contender::batched("stagec, --specialize off", batch, || {
            let mut store = stagec::Store::new(engine);
            linker.instantiate(&mut store, generic)?;
            Ok(0)
        }),
        Contender::batched("wasmtime 48, InstancePre", batch, || {
            let mut store = wasmtime::Store::new(&wt_engine, ());
            wt(pre.instantiate(&mut store))?;
            Ok(0)
        }),
    ];
    let timed = interleaved(&mut contenders, 1, options.runs, Check::None)?;
    println!(
        "## Instantiating the 4-module component (new store + instantiate + drop)\n\n\
         median of {} rounds × {batch} instantiations\n",
        options.runs
    );
    println!("| variant | µs per instance |\n|---|---:|");
    let micros: Vec<f64> = timed.samples.iter().map(|t| t.median() * 1e3).collect();
    for (c, us) in contenders.iter().zip(&micros) {
        println!("| {} | {us:.2} |", c.name);
    }
    println!(
        "\ntargets: ≤ 10 µs ({}); no slower than wasmtime's InstancePre ({})",
        verdict(micros[0] <= 10.0),
        verdict(micros[0] <= micros[2])
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stagec_benches::cli::try_parse;

    #[test]
    fn flags_and_defaults() {
        let o = try_parse::<Options>(&[]).unwrap();
        assert_eq!((o.runs, o.iterations, o.batch), (21, 2_000_000, 200));
        let o = try_parse::<Options>(&["--runs", "3", "--iterations", "10", "--bench"]).unwrap();
        assert_eq!((o.runs, o.iterations), (3, 10));
        assert!(try_parse::<Options>(&["--runs", "0"]).is_err());
    }

    #[test]
    fn every_edge_is_specialized_and_all_variants_agree() {
        let engine = stagec::Engine::new(stagec::Config::default()).unwrap();
        let specialized = stagec_component(&engine, Specialize::On).unwrap();
        assert!(
            specialized
                .explain_edges()
                .contains("9 of 9 imports specialized"),
            "{}",
            specialized.explain_edges()
        );
        let generic = stagec_component(&engine, Specialize::Off).unwrap();
        let mut a = StagecRun::new(&engine, &specialized).unwrap();
        let mut b = StagecRun::new(&engine, &generic).unwrap();
        let mut c = WasmtimeRun::new(&wasmtime_engine(false).unwrap()).unwrap();
        let mut d = WasmtimeRun::new(&wasmtime_engine(true).unwrap()).unwrap();
        let want = a.call("direct", 1000).unwrap();
        for export in ["direct", "chain"] {
            assert_eq!(
                a.call(export, 1000).unwrap(),
                want,
                "{export} resets Lib's state"
            );
            assert_eq!(b.call(export, 1000).unwrap(), want, "{export}");
            assert_eq!(c.call(export, 1000).unwrap(), want, "{export}");
            assert_eq!(d.call(export, 1000).unwrap(), want, "{export}");
        }
    }
}
