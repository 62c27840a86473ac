//! E5: instantiating a compiled staged module vs recompiling it for every instance.
//!
//! The staged module (experiments/e5_crc.swat) has a `pre` stage that computes a buffer
//! layout at compile time and a `multi` stage with an 8 KiB data segment (CRC-32 tables).
//! Per instance: `Store::new` + `Instance::new` of the module compiled once; or
//! `Module::from_staged` + `Store::new` + `Instance::new` where `from_staged` compiles
//! (an engine with no cache), hits the engine's in-memory cache (the pre stage runs again,
//! the code is reused), or hits the disk cache (a new engine, as a new process would
//! have). The stores are kept until the rounds are over, so the times exclude tearing an
//! instance down; that is timed separately.

use super::{Options, ms3, pct, print_table};
use crate::runner::Runner;
use crate::runner::stagec::StagecRunner;
use crate::timing::{Check, Contender, interleaved, ms};
use anyhow::{Result, bail};
use stagec::{Config, Engine, Instance, Linker, Module, Preimports, StagedModule, Store, Val};
use std::cell::RefCell;
use std::time::Instant;

/// The staged module.
pub const SWAT: &str = include_str!("../../experiments/e5_crc.swat");
/// `cfg.kib`: the buffer size in KiB.
pub const KIB: i32 = 32;
/// CRC-32 of the 32 KiB pattern (byte i = i mod 251), as zlib computes it, and of the
/// pattern twice (`run(2)` chains the CRC).
pub const CRC_ONCE: i64 = 4_009_709_182;
/// See [`CRC_ONCE`].
pub const CRC_TWICE: i64 = 4_051_911_301;

fn preimports() -> Preimports {
    let mut pre = Preimports::new();
    pre.value("cfg", "kib", Val::I32(KIB));
    pre
}

/// Compiles the staged module.
pub fn compile(engine: &Engine, staged: &StagedModule) -> Result<Module> {
    Ok(Module::from_staged(engine, staged, &preimports())?)
}

/// Checks that an instance of `module` computes the CRC-32 zlib computes.
pub fn check_crc(engine: &Engine, module: &Module) -> Result<()> {
    let mut run = StagecRunner::new(Store::new(engine), module, &Linker::new(), "run")?;
    let (once, twice) = (run.call(&[1])?, run.call(&[2])?);
    if (once, twice) != (CRC_ONCE, CRC_TWICE) {
        bail!("CRC-32 is {once} / {twice}, expected {CRC_ONCE} / {CRC_TWICE}");
    }
    Ok(())
}

/// Runs E5 and prints its table.
pub fn run(opts: &Options) -> Result<()> {
    let engine = Engine::new(Config::default())?;
    let staged = stagec::parse_swat(SWAT)?;
    let compiled = compile(&engine, &staged)?;
    check_crc(&engine, &compiled)?;

    let kept_compiled = RefCell::new(Vec::new());
    let kept_fresh = RefCell::new(Vec::new());
    let kept_memory = RefCell::new(Vec::new());
    let kept_disk = RefCell::new(Vec::new());
    let rounds = opts.rounds_between(51, 201);
    // Engines made before timing: a new one per compilation, without a cache (so that
    // nothing is reused) or on a warm disk cache (as a new process would see it).
    let cache_dir = std::env::temp_dir().join(format!("stagec-e5-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache_dir);
    let disk_config = Config::default().with_cache(Some(stagec::CacheConfig::new(&cache_dir)));
    compile(&Engine::new(disk_config.clone())?, &staged)?;
    let calls = rounds + opts.warmup + 1;
    let fresh_engines = RefCell::new(
        (0..calls)
            .map(|_| Engine::new(Config::default()))
            .collect::<stagec::Result<Vec<_>>>()?,
    );
    let disk_engines = RefCell::new(
        (0..calls)
            .map(|_| Engine::new(disk_config.clone()))
            .collect::<stagec::Result<Vec<_>>>()?,
    );
    compile(&engine, &staged)?;
    let instantiate = |module: &Module| -> Result<(Store, Instance)> {
        let mut store = Store::new(module.engine());
        let instance = Instance::new(&mut store, module, &[])?;
        Ok((store, instance))
    };
    let next = |engines: &RefCell<Vec<Engine>>| -> Result<Engine> {
        match engines.borrow_mut().pop() {
            Some(e) => Ok(e),
            None => bail!("ran out of prepared engines"),
        }
    };
    let times = {
        let mut contenders = vec![
            Contender::new("instantiate the compiled module", || {
                kept_compiled.borrow_mut().push(instantiate(&compiled)?);
                Ok(0)
            }),
            Contender::new("recompile (from_staged) + instantiate", || {
                let module = compile(&next(&fresh_engines)?, &staged)?;
                kept_fresh.borrow_mut().push(instantiate(&module)?);
                Ok(0)
            }),
            Contender::new("memory-cache hit (from_staged) + instantiate", || {
                let module = compile(&engine, &staged)?;
                if module.timings().cache != stagec::CacheOutcome::MemoryHit {
                    bail!("expected a memory-cache hit");
                }
                kept_memory.borrow_mut().push(instantiate(&module)?);
                Ok(0)
            }),
            Contender::new("disk-cache hit (from_staged) + instantiate", || {
                let module = compile(&next(&disk_engines)?, &staged)?;
                if module.timings().cache != stagec::CacheOutcome::DiskHit {
                    bail!("expected a disk-cache hit");
                }
                kept_disk.borrow_mut().push(instantiate(&module)?);
                Ok(0)
            }),
        ];
        interleaved(&mut contenders, opts.warmup, rounds, Check::None)?.samples
    };
    // Every instance works: call `run(1)` on the last of each kind.
    let _ = std::fs::remove_dir_all(&cache_dir);
    for kept in [&kept_compiled, &kept_fresh, &kept_memory, &kept_disk] {
        let (store, instance) = kept.borrow_mut().pop().expect("at least one round");
        if StagecRunner::from_instance(store, instance, "run")?.call(&[1])? != CRC_ONCE {
            bail!("a new instance computes a wrong CRC");
        }
    }
    let teardown = |kept: &RefCell<Vec<(Store, Instance)>>| {
        let stores = kept.take();
        let n = stores.len() as f64;
        let start = Instant::now();
        drop(stores);
        ms(start.elapsed()) / n
    };
    let (teardown_compiled, teardown_fresh) = (teardown(&kept_compiled), teardown(&kept_fresh));
    let (teardown_memory, teardown_disk) = (teardown(&kept_memory), teardown(&kept_disk));

    // What one call of the module costs, for scale.
    let mut runner = StagecRunner::new(Store::new(&engine), &compiled, &Linker::new(), "run")?;
    let mut call = vec![Contender::new("run(1)", move || runner.call(&[1]))];
    let call_ms =
        interleaved(&mut call, opts.warmup, opts.rounds, Check::Equal)?.samples[0].median();

    let (inst, fresh) = (times[0].median(), times[1].median());
    let (memory_hit, disk_hit) = (times[2].median(), times[3].median());
    println!("## E5: instantiating a compiled multi stage vs recompiling per instance\n");
    println!(
        "e5_crc.swat (pre stage + multi stage with 8 KiB of data, {} bytes of wasm in the multi stage); medians of {rounds} interleaved rounds, ms per instance; teardown = dropping the store, averaged over all instances of the kind.\n",
        staged
            .stages
            .last()
            .map(|s| s.module.len())
            .unwrap_or_default()
    );
    print_table(
        &["per instance", "median ms", "noise (IQR)", "teardown ms"],
        &[
            vec![
                "Store::new + Instance::new (compiled once)".into(),
                ms3(inst),
                pct(times[0].noise()).replace('+', ""),
                ms3(teardown_compiled),
            ],
            vec![
                "Module::from_staged (compiles) + Store::new + Instance::new".into(),
                ms3(fresh),
                pct(times[1].noise()).replace('+', ""),
                ms3(teardown_fresh),
            ],
            vec![
                "Module::from_staged (memory-cache hit) + Store::new + Instance::new".into(),
                ms3(memory_hit),
                pct(times[2].noise()).replace('+', ""),
                ms3(teardown_memory),
            ],
            vec![
                "Module::from_staged (disk-cache hit, new engine) + Store::new + Instance::new"
                    .into(),
                ms3(disk_hit),
                pct(times[3].noise()).replace('+', ""),
                ms3(teardown_disk),
            ],
        ],
    );
    println!(
        "Recompiling costs {:.1}× instantiating ({} ms more per instance); one `run(1)` (CRC-32 of 32 KiB) takes {} ms, so the recompilation equals {:.0} such calls.\n",
        fresh / inst,
        ms3(fresh - inst),
        ms3(call_ms),
        (fresh - inst) / call_ms
    );
    Ok(())
}
