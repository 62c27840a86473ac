//! Running a case on wasmtime 48 with wasmtime-wasi's preview 1 implementation.

use super::{Case, Outcome, Status, prepare, snapshot};
use wasmtime::{Engine, Global, GlobalType, Linker, Module, Mutability, Store, Val, ValType};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

/// Runs `case` (compiled as `module`) in a fresh store.
pub fn run(engine: &Engine, module: &Module, case: &Case) -> Outcome {
    let (dir, preopen) = prepare(case);
    let stdout = MemoryOutputPipe::new(1 << 26);
    let stderr = MemoryOutputPipe::new(1 << 26);
    let mut builder = WasiCtxBuilder::new();
    let mut args = vec![case.argv0()];
    args.extend(case.args.iter().cloned());
    builder
        .args(&args)
        .stdin(MemoryInputPipe::new(case.stdin.clone()))
        .stdout(stdout.clone())
        .stderr(stderr.clone());
    for (name, value) in &case.env {
        builder.env(name, value);
    }
    if let Some((host, guest)) = &preopen {
        builder
            .preopened_dir(host, guest, FsPerms::ReadWrite)
            .expect("preopen");
    }
    let mut store = Store::new(engine, builder.build_p1());
    let mut linker: Linker<WasiP1Ctx> = Linker::new(engine);
    p1::add_to_linker_sync(&mut linker, |t| t).expect("define WASI");
    linker
        .func_wrap("bench", "start", || {})
        .expect("bench.start");
    linker.func_wrap("bench", "end", || {}).expect("bench.end");
    for (name, value) in &case.globals {
        let ty = GlobalType::new(ValType::I32, Mutability::Const);
        let global = Global::new(&mut store, ty, Val::I32(*value)).expect("global");
        linker
            .define(&store, "env", name, global)
            .expect("define global");
    }
    let instance = linker.instantiate(&mut store, module).expect("instantiate");
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .expect("_start");
    let status = match start.call(&mut store, ()) {
        Ok(()) => Status::Exit(0),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Status::Exit(exit.0),
            None => Status::Trap,
        },
    };
    drop(store);
    Outcome {
        stdout: stdout.contents().to_vec(),
        stderr: stderr.contents().to_vec(),
        status,
        tree: snapshot(dir.path()),
    }
}
