//! The dylink benchmark (docs/dylink.md): a hot library function that touches its own
//! data through the GOT and calls a main-module function (`bench_run` of
//! `programs/c/libbench.c`), (a) linked statically into the main module, (b) loaded as a
//! shared library on the generic path, (c) loaded specialized; and loading the library
//! precompiled vs compiling it.
//!
//! ```sh
//! cargo run --release -p stagec-dylink --example bench [-- ITERATIONS RUNS]
//! ```

use anyhow::{Context, Result, ensure};
use stagec::{Config, Engine, Func, Instance, Module, Store, Val};
use stagec_dylink::{Compilation, DynamicLinker, LibraryPath, LinkOptions, Loader, MemorySource};
use stagec_wasi::WasiCtxBuilder;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn programs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("programs/c")
}

/// A main module instantiated with WASI, its constructors run.
fn main_instance(engine: &Engine, file: &str) -> Result<(Store, Instance)> {
    let mut store = Store::new(engine);
    let wasi = WasiCtxBuilder::new(file).build()?;
    let mut linker = stagec::Linker::new();
    wasi.add_to_linker(&mut linker, &mut store)?;
    let module = Module::from_file(engine, programs().join(file))?;
    let main = linker.instantiate(&mut store, &module)?;
    let ctors = main
        .get_func(&store, "__wasm_call_ctors")
        .context("ctors")?;
    ctors.call(&mut store, &[], &mut [])?;
    Ok((store, main))
}

fn linker(
    store: &Store,
    main: &Instance,
    loader: Loader,
    options: LinkOptions,
) -> Result<DynamicLinker> {
    let mut path = LibraryPath::new();
    path.dir(programs());
    Ok(DynamicLinker::new(store, main, loader, path, options)?)
}

/// Median time of `runs` calls of `f(iterations)`, and the first call's result.
fn time(store: &mut Store, f: Func, iterations: i32, runs: usize) -> Result<(Duration, i32)> {
    let mut out = [Val::I32(0)];
    f.call(store, &[Val::I32(iterations)], &mut out)?;
    let first = out[0].i32().context("an i32")?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        f.call(store, &[Val::I32(iterations)], &mut out)?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok((times[runs / 2], first))
}

fn median_of(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let iterations: i32 = args.get(1).map_or(Ok(10_000_000), |a| a.parse())?;
    let runs: usize = args.get(2).map_or(Ok(11), |a| a.parse())?;
    let engine = Engine::new(Config::default())?;

    let (mut store, main) = main_instance(&engine, "main_static.wasm")?;
    let f = main.get_func(&store, "bench_run").context("bench_run")?;
    let (static_time, static_result) = time(&mut store, f, iterations, runs)?;

    let variants = [
        (
            "(b) shared library, generic (`specialize: false`)",
            false,
            false,
        ),
        (
            "(c) shared library, specialized (default: constants)",
            true,
            false,
        ),
        (
            "(c') specialized, main module's objects bound too (`bind_objects`)",
            true,
            true,
        ),
    ];
    let mut rows = vec![("(a) linked statically into the main module", static_time)];
    for (label, specialize, bind_objects) in variants {
        let (mut store, main) = main_instance(&engine, "main.wasm")?;
        let loader = Loader::new(&engine, Compilation::Allowed);
        let options = LinkOptions {
            specialize,
            bind_objects,
        };
        let mut dl = linker(&store, &main, loader, options)?;
        let lib = dl.load(&mut store, "libbench.so")?;
        let f = dl
            .library(lib)
            .instance()
            .get_func(&store, "bench_run")
            .context("bench_run")?;
        let (t, result) = time(&mut store, f, iterations, runs)?;
        ensure!(
            result == static_result,
            "{label}: {result} != {static_result}"
        );
        rows.push((label, t));
    }

    // Loading the library: compiling it (generic) vs its precompiled artifact.
    let bytes = std::fs::read(programs().join("libbench.so"))?;
    let mut source = MemorySource::new();
    source.insert_module("libbench.so", &Module::new(&engine, &bytes)?)?;
    let (mut compile_times, mut precompiled_times) = (Vec::new(), Vec::new());
    // Kept alive, so that the engine's memory cache gives each iteration the main module;
    // each iteration's library module dies with its store, so compiling it is a miss.
    let _main = Module::from_file(&engine, programs().join("main.wasm"))?;
    for _ in 0..runs {
        for precompiled in [false, true] {
            let (mut store, main) = main_instance(&engine, "main.wasm")?;
            let loader = if precompiled {
                Loader::new(&engine, Compilation::Denied).with_source(source.clone())
            } else {
                Loader::new(&engine, Compilation::Allowed)
            };
            let generic = LinkOptions {
                specialize: false,
                bind_objects: false,
            };
            let mut dl = linker(&store, &main, loader, generic)?;
            let start = Instant::now();
            dl.load(&mut store, "libbench.so")?;
            let elapsed = start.elapsed();
            if precompiled {
                precompiled_times.push(elapsed);
            } else {
                compile_times.push(elapsed);
            }
        }
    }
    let (compile, precompiled) = (median_of(compile_times), median_of(precompiled_times));

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("bench_run({iterations}), median of {runs} runs:\n");
    println!("| variant | ms | vs static |");
    println!("|---|---|---|");
    for (name, t) in rows {
        println!(
            "| {name} | {:.3} | {:.3}× |",
            ms(t),
            ms(t) / ms(static_time)
        );
    }
    println!("\nloading libbench.so (median of {runs}):\n");
    println!("| load | ms |");
    println!("|---|---|");
    println!("| compiling it (generic) | {:.3} |", ms(compile));
    println!(
        "| precompiled artifact (compile denied) | {:.3} ({:.0}× faster) |",
        ms(precompiled),
        ms(compile) / ms(precompiled)
    );
    Ok(())
}
