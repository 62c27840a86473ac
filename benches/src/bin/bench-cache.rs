//! The code cache and instantiation, side by side with wasmtime 48:
//!
//! 1. instantiate a compiled module with one page of memory and a 64 KiB data segment
//!    (a new store, instantiate, drop): stagec vs wasmtime with `InstancePre` and the
//!    pooling allocator with copy-on-write memory images (and wasmtime's default
//!    on-demand allocator for reference);
//! 2. cache hit (disk → module ready to instantiate) vs compiling, on a module with more
//!    than 1 MB of machine code: stagec's disk cache vs `Module::new`, and wasmtime's
//!    `Module::deserialize_file` vs `Module::new`;
//! 3. resident memory growth (PSS) per instance over 1,000 live instances of one module.
//!
//! ```sh
//! cargo run --release -p stagec-benches --bin bench-cache [-- --quick] [--only resident|instantiate|cache|hits]
//! ```
//!
//! Timed parts run their contenders in interleaved rounds (`stagec_benches::timing`).

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use stagec_benches::runner::Runner;
use stagec_benches::runner::stagec::StagecRunner;
use stagec_benches::runner::wasmtime::{WasmtimeRunner, wt};
use stagec_benches::timing::{Check, Contender, interleaved};
use std::cell::RefCell;
use std::time::Instant;

/// The code cache and instantiation, side by side with wasmtime 48.
#[derive(Debug, Parser)]
struct Options {
    /// Fewer rounds, smaller batches and a smaller module: a first look
    #[arg(long)]
    quick: bool,
    /// Only this part (default: all but `hits`)
    #[arg(long, value_enum, value_name = "PART")]
    only: Option<Part>,
}

/// The parts of the benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Part {
    /// Resident memory (PSS) per instance over 1,000 live instances
    Resident,
    /// Instantiating a compiled module with a 64 KiB data segment
    Instantiate,
    /// A disk-cache hit against compiling a large module
    Cache,
    /// Disk-cache hits only, for profiling the load path
    Hits,
}

/// One page of memory, a 64 KiB data segment filling it, and a function reading it.
fn data_module() -> String {
    let data: String = (0..65536)
        .map(|i| format!("\\{:02x}", (i * 7 + 3) % 256))
        .collect();
    format!(
        r#"(module
             (memory (export "mem") 1)
             (data (i32.const 0) "{data}")
             (func (export "get") (param i32) (result i32) (i32.load8_u (local.get 0))))"#
    )
}

/// A module with enough functions to give more than 1 MB of machine code.
fn big_module(functions: usize) -> String {
    let mut wat = String::from("(module (memory 1)\n");
    for f in 0..functions {
        wat.push_str(&format!(
            "(func $f{f} (export \"f{f}\") (param i32 i32) (result i32) (local i32 i32)\n"
        ));
        for k in 0..12 {
            wat.push_str(&format!(
                "(local.set 2 (i32.add (i32.mul (local.get 0) (i32.const {})) (i32.load offset={} (local.get 1))))
                 (local.set 3 (i32.xor (local.get 3) (i32.rotl (local.get 2) (i32.const {}))))
                 (if (i32.gt_u (local.get 3) (i32.const {})) (then (i32.store offset={} (local.get 1) (local.get 2))))\n",
                f * 31 + k + 1,
                (k * 4) % 512,
                k % 31 + 1,
                (f * 7919 + k) % 100_000,
                (k * 8) % 512,
            ));
        }
        wat.push_str("(i32.add (local.get 2) (local.get 3)))\n");
    }
    wat.push(')');
    wat
}

/// Proportional set size of this process, in bytes: resident pages, each shared page
/// divided among the mappings that share it (RSS would count a copy-on-write image page
/// once per instance that maps it, although it exists once).
fn rss() -> u64 {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn us(s: f64) -> String {
    format!("{:.2} µs", s * 1e6)
}

fn ms(d: f64) -> String {
    format!("{:.2} ms", d * 1e3)
}

struct Sizes {
    rounds: usize,
    batch: usize,
    big_functions: usize,
    compile_rounds: usize,
}

fn main() -> Result<()> {
    let options = Options::parse();
    let sizes = if options.quick {
        Sizes {
            rounds: 5,
            batch: 200,
            big_functions: 600,
            compile_rounds: 3,
        }
    } else {
        Sizes {
            rounds: 21,
            batch: 1000,
            big_functions: 1600,
            compile_rounds: 7,
        }
    };
    let wants = |part: Part| options.only.is_none_or(|o| o == part);
    println!("# stagec code cache and instantiation vs wasmtime 48\n");
    // Resident memory first, before other parts leave freed heap behind for it to reuse.
    if wants(Part::Resident) {
        resident(&sizes)?;
    }
    if wants(Part::Instantiate) {
        instantiate(&sizes)?;
    }
    if wants(Part::Cache) {
        cache_hit(&sizes)?;
    }
    if options.only == Some(Part::Hits) {
        hits_only(&sizes)?;
    }
    Ok(())
}

/// What `get(70)` of the data module returns: byte 70 of its data segment.
const DATA_70: i64 = (70 * 7 + 3) % 256;

fn instantiate(sizes: &Sizes) -> Result<()> {
    let wat = data_module();
    // stagec.
    let engine = stagec::Engine::new(stagec::Config::default())?;
    let module = stagec::Module::new(&engine, &wat)?;
    let linker = stagec::Linker::new();
    let mut runner = StagecRunner::new(stagec::Store::new(&engine), &module, &linker, "get")?;
    if runner.call(&[70])? != DATA_70 {
        bail!("stagec data");
    }
    // wasmtime: pooling + copy-on-write images + InstancePre.
    let mut config = wasmtime::Config::new();
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(
        wasmtime::PoolingAllocationConfig::default(),
    ));
    config.memory_init_cow(true);
    let pooled = wt(wasmtime::Engine::new(&config))?;
    let wt_module = wt(wasmtime::Module::new(&pooled, &wat))?;
    let pre = wt(wasmtime::Linker::<()>::new(&pooled).instantiate_pre(&wt_module))?;
    let default_engine = wasmtime::Engine::default();
    let wt_default = wt(wasmtime::Module::new(&default_engine, &wat))?;
    let pre_default =
        wt(wasmtime::Linker::<()>::new(&default_engine).instantiate_pre(&wt_default))?;
    {
        let mut store = wasmtime::Store::new(&pooled, ());
        let instance = wt(pre.instantiate(&mut store))?;
        if WasmtimeRunner::from_instance(store, instance, "get")?.call(&[70])? != DATA_70 {
            bail!("wasmtime data");
        }
    }
    // Interleaved rounds of a batch of instantiations per engine, after one warm-up batch.
    let mut contenders = vec![
        Contender::batched("stagec", sizes.batch, || {
            let mut store = stagec::Store::new(&engine);
            linker.instantiate(&mut store, &module)?;
            Ok(0)
        }),
        Contender::batched("wasmtime, pooling + CoW + InstancePre", sizes.batch, || {
            let mut store = wasmtime::Store::new(&pooled, ());
            wt(pre.instantiate(&mut store))?;
            Ok(0)
        }),
        Contender::batched(
            "wasmtime, default allocator + InstancePre",
            sizes.batch,
            || {
                let mut store = wasmtime::Store::new(&default_engine, ());
                wt(pre_default.instantiate(&mut store))?;
                Ok(0)
            },
        ),
    ];
    let timed = interleaved(&mut contenders, 1, sizes.rounds, Check::None)?;
    // Seconds per instance.
    let rows: Vec<(String, f64)> = contenders
        .iter()
        .zip(&timed.samples)
        .map(|(c, t)| (c.name.clone(), t.median() / 1e3))
        .collect();
    let (s, p) = (rows[0].1, rows[1].1);
    println!(
        "## Instantiate: 1 page, 64 KiB data segment (new store + instantiate + drop)\n\nmedian of {} rounds × {} instantiations\n",
        sizes.rounds, sizes.batch
    );
    println!("| engine | per instance | vs stagec |\n|---|---:|---:|");
    for (name, t) in &rows {
        println!("| {name} | {} | {:.2}× |", us(*t), t / s);
    }
    println!(
        "\ntarget: stagec ≤ 5 µs ({}) and no slower than wasmtime pooling ({})\n",
        if s <= 5e-6 { "met" } else { "MISSED" },
        if s <= p { "met" } else { "MISSED" }
    );
    Ok(())
}

fn cache_hit(sizes: &Sizes) -> Result<()> {
    let wat = big_module(sizes.big_functions);
    let binary = wat::parse_str(&wat)?;
    let dir = std::env::temp_dir().join(format!("stagec-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cache = stagec::CacheConfig::new(dir.join("cache"));
    let cached_config = stagec::Config::default().with_cache(Some(cache));
    // Fill the cache, and measure the code size.
    let warm = stagec::Engine::new(cached_config.clone())?;
    let module = stagec::Module::from_binary(&warm, &binary)?;
    let code_bytes = module.serialize()?.len();
    drop(module);
    let wt_engine = wasmtime::Engine::default();
    let wt_path = dir.join("big.cwasm");
    std::fs::write(
        &wt_path,
        wt(wt(wasmtime::Module::new(&wt_engine, &binary))?.serialize())?,
    )?;

    // Engines made before timing: a new one per compilation, without a cache (so that
    // nothing is reused) or on the warm disk cache (as a new process would see it).
    let engines = |config: &stagec::Config| {
        (0..sizes.compile_rounds)
            .map(|_| stagec::Engine::new(config.clone()))
            .collect::<stagec::Result<Vec<_>>>()
    };
    let fresh_engines = RefCell::new(engines(&stagec::Config::default())?);
    let cached_engines = RefCell::new(engines(&cached_config)?);
    let next = |engines: &RefCell<Vec<stagec::Engine>>| {
        let engine = engines.borrow_mut().pop();
        engine.context("ran out of prepared engines")
    };
    // The modules are kept until the rounds are over: dropping one (unmapping its code)
    // is not part of loading it.
    let kept = RefCell::new(Vec::new());
    let kept_wasmtime = RefCell::new(Vec::new());
    let mut contenders = vec![
        Contender::new("stagec compile", || {
            let m = stagec::Module::from_binary(&next(&fresh_engines)?, &binary)?;
            kept.borrow_mut().push(m);
            Ok(0)
        }),
        Contender::new("stagec cache hit", || {
            let m = stagec::Module::from_binary(&next(&cached_engines)?, &binary)?;
            if m.timings().cache != stagec::CacheOutcome::DiskHit {
                bail!("expected a disk hit");
            }
            kept.borrow_mut().push(m);
            Ok(0)
        }),
        Contender::new("wasmtime compile", || {
            let m = wt(wasmtime::Module::new(&wt_engine, &binary))?;
            kept_wasmtime.borrow_mut().push(m);
            Ok(0)
        }),
        Contender::new("wasmtime deserialize", || {
            // SAFETY: the file was written just above by this engine's `serialize`.
            let m = wt(unsafe { wasmtime::Module::deserialize_file(&wt_engine, &wt_path) })?;
            kept_wasmtime.borrow_mut().push(m);
            Ok(0)
        }),
    ];
    let timed = interleaved(&mut contenders, 0, sizes.compile_rounds, Check::None)?;
    drop(contenders);
    drop((kept, kept_wasmtime));
    // Seconds.
    let [c, h, wc, wh] = [0, 1, 2, 3].map(|i| timed.samples[i].median() / 1e3);
    println!(
        "## Cache hit vs compile: {} functions, {:.2} MB wasm, stagec artifact {:.2} MB\n\nmedian of {} rounds; a hit is disk → module ready to instantiate\n",
        sizes.big_functions,
        binary.len() as f64 / 1e6,
        code_bytes as f64 / 1e6,
        sizes.compile_rounds
    );
    println!("| engine | compile | cache hit / deserialize | speedup |\n|---|---:|---:|---:|");
    println!("| stagec | {} | {} | {:.0}× |", ms(c), ms(h), c / h);
    println!("| wasmtime | {} | {} | {:.0}× |", ms(wc), ms(wh), wc / wh);
    println!(
        "\ntarget: stagec hit ≥ 100× faster than compiling ({})\n",
        if c / h >= 100.0 { "met" } else { "MISSED" }
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Disk-cache hits only, for profiling the load path (`--only hits`).
fn hits_only(sizes: &Sizes) -> Result<()> {
    let binary = wat::parse_str(big_module(sizes.big_functions))?;
    let dir = std::env::temp_dir().join(format!("stagec-bench-hits-{}", std::process::id()));
    let config = stagec::Config::default().with_cache(Some(stagec::CacheConfig::new(&dir)));
    stagec::Module::from_binary(&stagec::Engine::new(config.clone())?, &binary)?;
    let engines = (0..100)
        .map(|_| stagec::Engine::new(config.clone()))
        .collect::<stagec::Result<Vec<_>>>()?;
    let start = Instant::now();
    for engine in &engines {
        stagec::Module::from_binary(engine, &binary)?;
    }
    println!("{} per disk hit", ms(start.elapsed().as_secs_f64() / 100.0));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn resident(_sizes: &Sizes) -> Result<()> {
    const N: usize = 1000;
    let wat = data_module();
    let engine = stagec::Engine::new(stagec::Config::default())?;
    let module = stagec::Module::new(&engine, &wat)?;
    let linker = stagec::Linker::new();
    // Per instance: instantiated only, then after reading its data, then after writing
    // one byte (one page copied).
    let mut stagec_rows = [0.0; 3];
    let before = rss();
    let mut keep = Vec::with_capacity(N);
    for _ in 0..N {
        let mut store = stagec::Store::new(&engine);
        let instance = linker.instantiate(&mut store, &module)?;
        keep.push((store, instance));
    }
    stagec_rows[0] = rss().saturating_sub(before) as f64 / N as f64;
    for (store, instance) in &mut keep {
        let f = instance.get_func(store, "get").context("get")?;
        let mut out = [stagec::Val::I32(0)];
        f.call(store, &[stagec::Val::I32(100)], &mut out)?;
    }
    stagec_rows[1] = rss().saturating_sub(before) as f64 / N as f64;
    for (store, instance) in &mut keep {
        let m = instance.get_memory(store, "mem").context("mem")?;
        m.data_mut(store)[200] = 1;
    }
    stagec_rows[2] = rss().saturating_sub(before) as f64 / N as f64;
    drop(keep);

    let mut config = wasmtime::Config::new();
    let mut pool = wasmtime::PoolingAllocationConfig::default();
    pool.total_memories(N as u32 + 10)
        .total_core_instances(N as u32 + 10);
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
    config.memory_init_cow(true);
    let wt_engine = wt(wasmtime::Engine::new(&config))?;
    let wt_module = wt(wasmtime::Module::new(&wt_engine, &wat))?;
    let pre = wt(wasmtime::Linker::<()>::new(&wt_engine).instantiate_pre(&wt_module))?;
    let mut wt_rows = [0.0; 3];
    let before = rss();
    let mut keep = Vec::with_capacity(N);
    for _ in 0..N {
        let mut store = wasmtime::Store::new(&wt_engine, ());
        let instance = wt(pre.instantiate(&mut store))?;
        keep.push((store, instance));
    }
    wt_rows[0] = rss().saturating_sub(before) as f64 / N as f64;
    for (store, instance) in &mut keep {
        let get = wt(instance.get_typed_func::<i32, i32>(&mut *store, "get"))?;
        wt(get.call(&mut *store, 100))?;
    }
    wt_rows[1] = rss().saturating_sub(before) as f64 / N as f64;
    for (store, instance) in &mut keep {
        let m = instance.get_memory(&mut *store, "mem").context("mem")?;
        m.data_mut(&mut *store)[200] = 1;
    }
    wt_rows[2] = rss().saturating_sub(before) as f64 / N as f64;
    drop(keep);
    println!(
        "## Resident memory per instance: {N} live instances of one module (1 page, 64 KiB data)\n"
    );
    println!(
        "Growth of the proportional set size (PSS: shared pages divided among their mappers) divided by {N}; code is mapped once per module in both engines.\n"
    );
    println!("| engine | instantiated | + data read | + one byte written |\n|---|---:|---:|---:|");
    let kib = |b: f64| format!("{:.1} KiB", b / 1024.0);
    println!(
        "| stagec | {} | {} | {} |",
        kib(stagec_rows[0]),
        kib(stagec_rows[1]),
        kib(stagec_rows[2])
    );
    println!(
        "| wasmtime, pooling + CoW | {} | {} | {} |\n",
        kib(wt_rows[0]),
        kib(wt_rows[1]),
        kib(wt_rows[2])
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
        assert!(!o.quick && o.only.is_none());
        for (name, part) in [
            ("resident", Part::Resident),
            ("instantiate", Part::Instantiate),
            ("cache", Part::Cache),
            ("hits", Part::Hits),
        ] {
            let o = try_parse::<Options>(&["--quick", "--only", name]).unwrap();
            assert!(o.quick);
            assert_eq!(o.only, Some(part));
        }
        assert!(try_parse::<Options>(&["--only", "all"]).is_err());
    }
}
