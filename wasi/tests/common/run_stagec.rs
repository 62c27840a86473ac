//! Running a case on stagec, through the library API of `stagec-wasi`.

use super::{Case, Outcome, Status, prepare, snapshot};
use stagec::{Engine, Global, GlobalType, Linker, Module, Store, Val, ValType};
use stagec_wasi::{WasiCtx, WasiCtxBuilder, WasiError};

/// The context of `case` with its preopen at `preopen`, streams captured.
pub fn context(case: &Case, preopen: Option<&(std::path::PathBuf, &str)>) -> WasiCtx {
    let mut builder = WasiCtxBuilder::new(case.argv0())
        .args(case.args.iter().cloned())
        .stdin_bytes(case.stdin.clone())
        .capture_stdout()
        .capture_stderr();
    for (name, value) in &case.env {
        builder = builder.env(name, value);
    }
    if let Some((host, guest)) = preopen {
        builder = builder.preopened_dir(host, *guest);
    }
    builder.build().expect("WASI context")
}

/// Runs `case` (compiled as `module`) in a fresh store; returns the outcome and the
/// context (for its call counts). The `env` globals that `module` still imports are
/// given at instantiation (a module compiled with them as preimports imports none).
pub fn run(engine: &Engine, module: &Module, case: &Case) -> (Outcome, WasiCtx) {
    let (dir, preopen) = prepare(case);
    let wasi = context(case, preopen.as_ref());
    let mut store = Store::new(engine);
    let mut linker = Linker::new();
    wasi.add_to_linker(&mut linker, &mut store)
        .expect("define WASI");
    stagec_wasi::define_bench_noop(&mut linker, &mut store).expect("define bench");
    let imported: Vec<String> = module.imports().map(|(_, n, _)| n.to_string()).collect();
    for (name, value) in case
        .globals
        .iter()
        .filter(|(n, _)| imported.iter().any(|i| i == n))
    {
        let ty = GlobalType {
            ty: ValType::I32,
            mutable: false,
        };
        let global = Global::new(&mut store, ty, Val::I32(*value)).expect("global");
        linker.define("env", name, global);
    }
    let instance = linker.instantiate(&mut store, module).expect("instantiate");
    let status = match stagec_wasi::run_command(&mut store, &instance) {
        Ok(code) => Status::Exit(code),
        Err(WasiError::Engine(e)) if e.as_trap().is_some() => Status::Trap,
        Err(e) => panic!("{}: {e}", case.label),
    };
    drop(store);
    let outcome = Outcome {
        stdout: wasi.captured_stdout().expect("captured"),
        stderr: wasi.captured_stderr().expect("captured"),
        status,
        tree: snapshot(dir.path()),
    };
    (outcome, wasi)
}
