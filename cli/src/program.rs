//! Programs: modules that import WASI preview 1 (`wasi_snapshot_preview1`) or the
//! sightglass benchmark hooks (`bench.start` / `bench.end`), run as commands the way
//! wasmtime runs them.
//!
//! `stagec run [OPTIONS] PROG.wasm [ARGS...]`: everything after the program is its own
//! (argv[0] is PROG.wasm as written); `_start` is called (after `_initialize`, when
//! exported) and the process exits with the program's status. A trap prints its message
//! and the wasm backtrace on stderr and exits with 134 (128 + SIGABRT, as wasmtime and a
//! native program that aborts). `--invoke NAME` calls NAME instead of `_start`, with ARGS
//! as its arguments, once the WASI context is set up.

use crate::cache_cmd::CacheArgs;
use crate::limits::LimitArgs;
use crate::{
    ModuleRun, RunArgs, bench, call_and_print, engine_cached, is_artifact_file, is_staged,
    one_line, prepare, read_module, report, staged, staged_imports,
};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser};
use stagec::{Instance, Linker, Module, Store};
use stagec_wasi::{BENCH_MODULE, BenchTimer, WasiCtx, WasiCtxBuilder};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The exit status of a program that trapped: 128 + SIGABRT, as wasmtime's.
pub const TRAP_EXIT_STATUS: u8 = 134;

/// What a program sees of the host: directories, environment.
#[derive(Args, Clone, Debug, Default)]
pub struct WasiArgs {
    /// Give the program the host directory HOST under the name GUEST (without `::GUEST`,
    /// under HOST as written: `--dir .` is the current directory as `.`). Nothing outside
    /// it is reachable through it. Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Set the program's environment variable NAME to VALUE (`--env NAME` passes stagec's
    /// own value, if set). Repeatable.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    env: Vec<String>,
    /// Pass stagec's whole environment to the program (`--env` entries take precedence).
    #[arg(long)]
    inherit_env: bool,
}

/// Where the program's standard streams go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdio {
    /// stagec's own.
    Inherit,
    /// Captured in memory (standard input empty).
    Capture,
}

impl WasiArgs {
    /// Whether any of these flags was given.
    pub fn any(&self) -> bool {
        !self.dirs.is_empty() || !self.env.is_empty() || self.inherit_env
    }

    /// The WASI context of a run with arguments `argv` (argv[0] the program's name).
    pub fn context(&self, argv: &[String], stdio: Stdio) -> Result<WasiCtx> {
        let (program, args) = argv.split_first().expect("argv[0] is the program");
        let mut builder = WasiCtxBuilder::new(program.as_str()).args(args.iter().cloned());
        builder = match stdio {
            Stdio::Inherit => builder.inherit_stdio(),
            Stdio::Capture => builder.capture_stdout().capture_stderr(),
        };
        for entry in &self.env {
            builder = match entry.split_once('=') {
                Some((name, value)) => builder.env(name, value),
                None => match std::env::var(entry) {
                    Ok(value) => builder.env(entry.as_str(), value),
                    Err(_) => builder,
                },
            };
        }
        if self.inherit_env {
            builder = builder.inherit_env();
        }
        for dir in &self.dirs {
            let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
            if host.is_empty() || guest.is_empty() {
                bail!("invalid --dir `{dir}`: expected HOST or HOST::GUEST");
            }
            builder = builder.preopened_dir(PathBuf::from(host), guest);
        }
        Ok(builder.build()?)
    }
}

/// Whether a module with imports from these modules is a program.
pub fn imports_program_interface<'a>(mut modules: impl Iterator<Item = &'a str>) -> bool {
    modules.any(|m| m == stagec_wasi::MODULE || m == BENCH_MODULE)
}

/// Defines in `linker` the WASI functions of `wasi` and the bench hooks: `timer`'s, or
/// functions that do nothing.
pub fn define(
    linker: &mut Linker,
    store: &mut Store,
    wasi: &WasiCtx,
    timer: Option<&BenchTimer>,
) -> Result<()> {
    wasi.add_to_linker(linker, store)?;
    match timer {
        Some(timer) => timer.define(linker, store)?,
        None => stagec_wasi::define_bench_noop(linker, store)?,
    }
    Ok(())
}

/// Calls the reactor initializer `_initialize`, if exported.
pub fn initialize(store: &mut Store, instance: &Instance) -> stagec::Result<()> {
    match instance.get_func(store, "_initialize") {
        Some(init) => init.call(store, &[], &mut []),
        None => Ok(()),
    }
}

/// How a program ended: its exit status, or an error (a trap among them).
fn status(outcome: stagec::Result<()>) -> Result<i32> {
    match outcome {
        Ok(()) => Ok(0),
        Err(e) => match e.exit_code() {
            Some(code) => Ok(code),
            None => Err(e.into()),
        },
    }
}

/// `stagec run` of a program; `argv` is PROG as written and its arguments.
pub fn run(file: &Path, options: &RunArgs, argv: &[String]) -> ExitCode {
    match run_program(file, options, argv) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {}: {}", file.display(), one_line(&e));
            let trap = e
                .chain()
                .find_map(|c| c.downcast_ref::<stagec::Error>())
                .and_then(stagec::Error::as_trap);
            match trap {
                Some(trap) => {
                    eprint!("{}", backtrace_text(trap.backtrace()));
                    ExitCode::from(TRAP_EXIT_STATUS)
                }
                None => ExitCode::FAILURE,
            }
        }
    }
}

fn run_program(file: &Path, options: &RunArgs, argv: &[String]) -> Result<i32> {
    // The directories are opened first: a missing one is reported before compiling.
    let wasi = options.wasi.context(argv, Stdio::Inherit)?;
    let mut prepared = prepare(file, options, |linker, store| {
        define(linker, store, &wasi, None)
    })?;
    let store = &mut prepared.store;
    let instance = prepared.instance;
    status(initialize(store, &instance))
        .and_then(|code| match code {
            0 => Ok(0),
            code => Err(anyhow!("`_initialize` exited with status {code}")),
        })
        .context("initializing")?;
    let args = &argv[1..];
    match &options.invoke {
        Some(name) => status(call_and_print(&mut prepared, file, options, name, args)?),
        None => {
            let start = prepared
                .instance
                .get_func(&prepared.store, "_start")
                .ok_or(stagec_wasi::WasiError::MissingStart)
                .context("use --invoke NAME to call another function")?;
            let execute = std::time::Instant::now();
            let outcome = start.call(&mut prepared.store, &[], &mut []);
            prepared.print_timings(file, options, execute.elapsed());
            status(outcome)
        }
    }
}

/// The lines of a wasm backtrace, in wasmtime's layout.
pub fn backtrace_text(backtrace: &stagec::Backtrace) -> String {
    if backtrace.frames.is_empty() {
        return String::new();
    }
    let mut text = String::from("wasm backtrace:\n");
    for (i, frame) in backtrace.frames.iter().enumerate() {
        let offset = frame
            .wasm_offset
            .map_or_else(|| "<unknown>".to_string(), |o| format!("{o:#x}"));
        text.push_str(&format!("  {i:>4}: {offset:>8} - {}\n", frame_name(frame)));
    }
    if backtrace.omitted > 0 {
        text.push_str(&format!("  ... and {} more frames\n", backtrace.omitted));
    }
    text
}

/// A frame's function: its name-section name (Rust names demangled), or its index.
fn frame_name(frame: &stagec::WasmFrame) -> String {
    match (&frame.func_name, frame.unit) {
        (Some(name), _) => format!("{:#}", rustc_demangle::demangle(name)),
        (None, 0) => format!("<wasm function {}>", frame.func_index),
        (None, unit) => format!("<function {} of provider unit {unit}>", frame.func_index),
    }
}

/// `stagec run`: a program as a command, any other module as before (see [`crate::ModuleRun`]).
pub fn run_entry(options: RunArgs, module_and_args: &[String]) -> ExitCode {
    let file = PathBuf::from(&module_and_args[0]);
    if is_program(&file, &options.limits, &options.cache) {
        return run(&file, &options, module_and_args);
    }
    let ModuleRun {
        options,
        file,
        args,
    } = reparse("run");
    if options.wasi.any() {
        return report(
            &file,
            Err(anyhow!(
                "--dir, --env and --inherit-env are for programs: the module imports neither \
                 `{}` nor `{}`",
                stagec_wasi::MODULE,
                stagec_wasi::BENCH_MODULE
            )),
        );
    }
    report(&file, crate::run(&file, &options, &args))
}

/// `stagec bench`: for a program, everything after the file is the program's; for any
/// other module, options may also follow the file (see [`bench::ModuleBench`]).
pub fn bench_entry(options: bench::BenchOptions, module_and_args: &[String]) -> bench::BenchArgs {
    let file = PathBuf::from(&module_and_args[0]);
    if is_program(
        &file,
        &LimitArgs::default(),
        &CacheArgs::default().without(),
    ) {
        return bench::BenchArgs {
            file,
            options,
            args: module_and_args[1..].to_vec(),
            program: true,
        };
    }
    let bench::ModuleBench {
        options,
        file,
        args,
    } = reparse("bench");
    bench::BenchArgs {
        file,
        options,
        args,
        program: false,
    }
}

/// Parses the command line again as `stagec SUBCOMMAND` with the arguments given to it,
/// by `T`'s rules.
fn reparse<T: Parser>(subcommand: &str) -> T {
    let given: Vec<OsString> = std::env::args_os()
        .skip(1)
        .skip_while(|a| a != subcommand)
        .skip(1)
        .collect();
    T::parse_from(std::iter::once(OsString::from(format!("stagec {subcommand}"))).chain(given))
}

/// Whether `file` is a program: a module (core, staged or precompiled) importing WASI or
/// the bench hooks. A file that cannot be read or compiled is not (its error is reported
/// by the usual path).
fn is_program(file: &Path, limits: &LimitArgs, cache: &CacheArgs) -> bool {
    let modules: Vec<String> = if is_artifact_file(file) {
        let Ok(engine) = engine_cached(limits, cache) else {
            return false;
        };
        let Ok(module) = std::fs::read(file)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| Ok(Module::deserialize(&engine, &bytes)?))
        else {
            return false;
        };
        module.imports().map(|(m, _, _)| m.to_string()).collect()
    } else if is_staged(file) {
        let Ok(imports) = staged::load(file).and_then(|s| staged_imports(&s)) else {
            return false;
        };
        imports.into_iter().map(|(m, _, _)| m).collect()
    } else {
        let Ok(imports) = read_module(file).and_then(|b| Ok(Module::import_types(&b)?)) else {
            return false;
        };
        imports.into_iter().map(|(m, _, _)| m).collect()
    };
    imports_program_interface(modules.iter().map(String::as_str))
}
