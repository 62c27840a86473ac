//! The `stagec` command line: run a module (optionally specialized on preimports), time it
//! specialized against runtime imports (`bench`), explain what specialization did to a
//! function, pack and inspect staged modules, or run `.wast` scripts.

mod bench;
mod bench_program;
mod bindings;
mod cache_cmd;
mod component_cmd;
mod explain;
mod limits;
mod program;
mod staged;
mod values;

use anyhow::{Context, Result, anyhow, bail};
use bindings::{Binder, Binding, parse_binding};
use cache_cmd::{CacheArgs, CacheCommand};
use clap::{Args, Parser, Subcommand, ValueEnum};
use limits::LimitArgs;
use stagec::{CompileOptions, Config, Engine, Func, Instance, Linker, Module, Store, Val};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use values::{format_val, parse_args};

/// Stack of the thread that runs wasm code, so that deep but legal recursion works.
const THREAD_STACK: usize = 64 << 20;
/// Native stack wasm code may use on that thread before "call stack exhausted".
const MAX_WASM_STACK: usize = 32 << 20;

#[derive(Parser)]
#[command(
    name = "stagec",
    version,
    about = "A staged-compilation WebAssembly engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Whether preimports specialize the code or become runtime imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Specialize {
    /// Bake preimports into the code (the default).
    On,
    /// Supply every preimport as an ordinary runtime import: the indirection baseline.
    Off,
}

/// Import bindings shared by `run` and `explain`.
#[derive(Args, Clone, Debug)]
struct BindingArgs {
    /// Bind an import at compile time: MOD.NAME=VALUE, VALUE an integer (decimal or 0x
    /// hex), a float, or @FILE.wasm#EXPORT (an export of another module). Repeatable.
    #[arg(long = "preimport", value_name = "MOD.NAME=VALUE")]
    preimports: Vec<String>,
    /// Supply an import at run time, with the same VALUE forms. Repeatable.
    #[arg(long = "import", value_name = "MOD.NAME=VALUE")]
    imports: Vec<String>,
    /// `off` turns every --preimport into a runtime import (the indirection baseline).
    #[arg(long, value_enum, default_value = "on")]
    specialize: Specialize,
    /// Inline preimported functions of at most this many CLIF instructions (0: never).
    #[arg(long, value_name = "N")]
    inline_threshold: Option<usize>,
}

impl BindingArgs {
    fn parse(flags: &[String]) -> Result<Vec<Binding>> {
        flags.iter().map(|f| parse_binding(f)).collect()
    }

    fn options(&self) -> CompileOptions {
        let mut options = CompileOptions::default();
        if let Some(n) = self.inline_threshold {
            options.inline_threshold = n;
        }
        options
    }
}

/// The options of `stagec run`.
#[derive(Args, Clone, Debug)]
struct RunArgs {
    #[command(flatten)]
    bindings: BindingArgs,
    /// Append an extension stage (a core module) to the instance before calling: its
    /// imports naming a stage of the instance (`main` for a core module) bind to that
    /// stage's exports. Repeatable; applied in order.
    #[arg(long = "extend", value_name = "FILE")]
    extend: Vec<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    cache: CacheArgs,
    /// Print on stderr the time of each phase (parse/validate, translate, Cranelift
    /// compile, cache load, instantiate, execute) and whether the cache hit.
    #[arg(long)]
    timings: bool,
    /// The exported function to call (for a program: instead of `_start`, once its WASI
    /// context is set up).
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,
    #[command(flatten)]
    wasi: program::WasiArgs,
}

/// `stagec run` of a module that is not a program: options may also follow the file,
/// and the arguments are those of the invoked function.
#[derive(Parser)]
#[command(name = "stagec run")]
struct ModuleRun {
    #[command(flatten)]
    options: RunArgs,
    file: PathBuf,
    #[arg(allow_hyphen_values = true)]
    args: Vec<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Compile and instantiate a module, run its start function, then call
    /// `--invoke NAME ARGS...` or else an exported `_start` or `main` without parameters.
    ///
    /// A program (a module importing WASI `wasi_snapshot_preview1` or the bench hooks
    /// `bench.start`/`bench.end`) runs as a command: `stagec run [OPTIONS] PROG.wasm
    /// [ARGS...]`, everything after PROG.wasm being the program's (argv[0] is PROG.wasm
    /// as written); the exit status is the program's, 134 after a trap (whose message and
    /// wasm backtrace go to stderr).
    ///
    /// A component (`.wat` or `.wasm`) is instantiated, its wiring specialized unless
    /// `--specialize off`, and `--invoke NAME ARGS...` called.
    Run {
        #[command(flatten)]
        options: RunArgs,
        /// The module (`.wat`, `.wasm`, `.swat`, `.swasm` or a precompiled artifact) and
        /// the arguments: the program's (for a program) or the invoked function's
        /// (integers in decimal or 0x hex, floats including `nan`, `inf`, `-inf`, `null`
        /// for references, N for `externref` N).
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "FILE [ARGS]"
        )]
        module_and_args: Vec<String>,
    },
    /// Compile a module (with its preimports and stages) into a precompiled artifact that
    /// `stagec run OUT` loads without compiling.
    Compile {
        /// The module (`.wat`, `.wasm`, `.swat` or `.swasm`).
        file: PathBuf,
        #[command(flatten)]
        bindings: BindingArgs,
        /// The output file (default: FILE with the extension `.stagec`).
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        /// Compile interruption checks in, so that `run --timeout` can stop the artifact.
        #[arg(long)]
        interruptible: bool,
        /// Compile fuel accounting in, so that `run --fuel` can limit the artifact.
        #[arg(long)]
        consume_fuel: bool,
    },
    /// Inspect or clear the code cache.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// Time a function specialized on the --preimport bindings against the same bindings
    /// as runtime imports (after checking that both return the same results).
    ///
    /// A program (see `run`) is timed run by run, each in a fresh instance: the regions
    /// between its `bench.start` and `bench.end` calls (its `_start` without them), its
    /// output captured: `stagec bench [OPTIONS] PROG.wasm [ARGS...]`.
    Bench {
        #[command(flatten)]
        options: bench::BenchOptions,
        /// The module (`.wat` or `.wasm`) and the arguments: the program's (for a
        /// program) or the invoked function's.
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "FILE [ARGS]"
        )]
        module_and_args: Vec<String>,
    },
    /// Show the optimized CLIF and machine code of a function, specialized on the given
    /// preimports next to the generic build, with instruction counts. For a component:
    /// which wiring edges are specialized and how, or with --func a function of one of
    /// its modules as compiled in the component.
    Explain {
        /// The module (`.wat` or `.wasm`), or a component.
        file: PathBuf,
        /// The function: an export name, or a function index (of a component: a
        /// component export, or with --module an export or index of that module).
        #[arg(long, value_name = "NAME")]
        func: Option<String>,
        /// A component's static module (index in its plan) the function belongs to.
        #[arg(long, value_name = "N")]
        module: Option<u32>,
        /// Print only the specialized build's optimized CLIF (for golden tests).
        #[arg(long)]
        clif_only: bool,
        #[command(flatten)]
        bindings: BindingArgs,
    },
    /// Write a staged module (`.swat`, or any accepted format) as staged binary `.swasm`.
    Pack {
        /// The staged module (`.swat`, `.swasm`, `.wat` or `.wasm`).
        file: PathBuf,
        /// The output file (default: FILE with the extension `.swasm`).
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// Show a staged module's stages and, per stage, its preimports, stage references,
    /// runtime imports, preexports and exports; or a component's instantiation plan, with
    /// how each import of each module is compiled.
    Inspect {
        /// The staged module (`.swat`, `.swasm`, `.wat` or `.wasm`), or a component.
        file: PathBuf,
    },
    /// Run `.wast` scripts and report passed / failed / skipped commands.
    Wast {
        /// The scripts.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also print why commands were skipped.
        #[arg(long, short)]
        verbose: bool,
        /// How modules are compiled: `plain`, `preimport` (spectest globals bound at
        /// compile time) or `single` (every module compiled as a single stage).
        #[arg(long, value_enum, default_value = "plain")]
        config: WastMode,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum WastMode {
    Plain,
    Preimport,
    Single,
}

/// The message of the last panic, recorded by the panic hook instead of printed.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A panic is a bug, but it must still end as one `error:` line: record, don't print.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        *PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{message}{location}"));
    }));
    let subject = match &cli.command {
        Command::Run {
            module_and_args, ..
        } => format!("{}: ", module_and_args[0]),
        Command::Compile { file, .. }
        | Command::Explain { file, .. }
        | Command::Pack { file, .. }
        | Command::Inspect { file } => {
            format!("{}: ", file.display())
        }
        Command::Bench {
            module_and_args, ..
        } => format!("{}: ", module_and_args[0]),
        Command::Wast { .. } | Command::Cache { .. } => String::new(),
    };
    // Room for the wasm stack `--max-stack` asks for, plus what the host needs around it.
    let thread_stack = match &cli.command {
        Command::Run { options, .. } => options
            .limits
            .max_stack()
            .and_then(|b| usize::try_from(b).ok())
            .map_or(THREAD_STACK, |b| {
                b.saturating_add(THREAD_STACK - MAX_WASM_STACK)
                    .max(THREAD_STACK)
            }),
        _ => THREAD_STACK,
    };
    let worker = std::thread::Builder::new()
        .name("stagec".into())
        .stack_size(thread_stack)
        .spawn(move || match cli.command {
            Command::Run {
                options,
                module_and_args,
            } => program::run_entry(options, &module_and_args),
            Command::Compile {
                file,
                bindings,
                output,
                interruptible,
                consume_fuel,
            } => {
                let config = Config::default()
                    .with_max_wasm_stack(MAX_WASM_STACK)
                    .with_interruptible(interruptible)
                    .with_consume_fuel(consume_fuel);
                report(
                    &file,
                    compile_artifact(&file, &bindings, config, output.as_deref()),
                )
            }
            Command::Cache { command } => match cache_cmd::cache_command(&command) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {}", one_line(&e));
                    ExitCode::FAILURE
                }
            },
            Command::Bench {
                options,
                module_and_args,
            } => {
                let args = program::bench_entry(options, &module_and_args);
                report(&args.file, bench::bench(&args))
            }
            Command::Explain {
                file,
                func,
                module,
                clif_only,
                bindings,
            } => {
                let result = if component_cmd::is_component_file(&file) {
                    component_cmd::explain(&file, func.as_deref(), module, clif_only, &bindings)
                } else {
                    match (func, module) {
                        (_, Some(_)) => Err(anyhow!("--module applies to components")),
                        (Some(func), None) => explain::explain(&file, &func, clif_only, &bindings),
                        (None, None) => Err(anyhow!("give the function: --func NAME")),
                    }
                };
                report(&file, result)
            }
            Command::Pack { file, output } => report(&file, staged::pack(&file, output.as_deref())),
            Command::Inspect { file } if component_cmd::is_component_file(&file) => {
                report(&file, component_cmd::inspect(&file))
            }
            Command::Inspect { file } => report(&file, staged::inspect(&file)),
            Command::Wast {
                files,
                verbose,
                config,
            } => run_scripts(&files, verbose, config),
        });
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => {
            let message = PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
            let message = message.unwrap_or_default().replace('\n', " ");
            eprintln!("error: {subject}internal error, please report this bug: {message}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {subject}cannot start the worker thread: {e}");
            ExitCode::FAILURE
        }
    }
}

fn report(file: &Path, result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}: {}", file.display(), one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error chain on one line. A cause whose message its parent already shows (library
/// errors include their source's message in their own) is not repeated, and the chain
/// ends at a `stagec::Error`, whose message is complete (its sources are its parts).
fn one_line(e: &anyhow::Error) -> String {
    let mut chain: Vec<String> = Vec::new();
    for cause in e.chain() {
        let message = cause.to_string();
        if !chain.last().is_some_and(|parent| parent.contains(&message)) {
            chain.push(message);
        }
        if cause.is::<stagec::Error>() {
            break;
        }
    }
    chain
        .join(": ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn engine() -> Result<Engine> {
    engine_with(&LimitArgs::default())
}

fn engine_with(limits: &LimitArgs) -> Result<Engine> {
    engine_cached(limits, &CacheArgs::default().without())
}

fn engine_cached(limits: &LimitArgs, cache: &CacheArgs) -> Result<Engine> {
    let config = limits.config(Config::default().with_max_wasm_stack(MAX_WASM_STACK))?;
    Ok(Engine::new(cache.config(config)?)?)
}

/// Reads a module file as binary (`.wasm` always binary, `.wat` always text, anything
/// else by its first bytes).
fn read_module(file: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(file).context("cannot read file")?;
    let is_binary = match file.extension().and_then(|e| e.to_str()) {
        Some("wasm") => true,
        Some("wat") => false,
        _ => bytes.starts_with(b"\0asm"),
    };
    if is_binary {
        Ok(bytes)
    } else {
        wat_to_binary(&bytes)
    }
}

/// Compiles `binary` with the flags' bindings; returns the module and the bindings to
/// supply at run time.
fn compile(
    engine: &Engine,
    binary: &[u8],
    args: &BindingArgs,
) -> Result<(Module, stagec::Preimports)> {
    let imports = Module::import_types(binary)?;
    let preimport_flags = BindingArgs::parse(&args.preimports)?;
    let import_flags = BindingArgs::parse(&args.imports)?;
    let (pre_flags, runtime_flags): (Vec<Binding>, Vec<Binding>) = match args.specialize {
        Specialize::On => (preimport_flags, import_flags),
        Specialize::Off => (Vec::new(), [preimport_flags, import_flags].concat()),
    };
    let mut binder = Binder::new(engine, &pre_flags);
    let preimports = binder.preimports_for(&imports)?;
    binder.check_all_used()?;
    let mut runtime_binder = Binder::new(engine, &runtime_flags);
    let runtime = runtime_binder.preimports_for(&imports)?;
    runtime_binder.check_all_used()?;
    let module = if preimports.is_empty() {
        Module::from_binary(engine, binary)?
    } else {
        Module::with_preimports_options(engine, binary, &preimports, &args.options())?
    };
    Ok((module, runtime))
}

/// Whether `file` is a staged module (`.swat`, `.swasm`, or the `.swasm` header).
fn is_staged(file: &Path) -> bool {
    match file.extension().and_then(|e| e.to_str()) {
        Some("swat" | "swasm") => true,
        Some("wat" | "wasm") => false,
        _ => std::fs::read(file).is_ok_and(|b| stagec_frontend::is_swasm(&b)),
    }
}

/// Compiles a staged module with the flags' bindings (stage references are resolved by
/// the stages themselves).
fn compile_staged(
    engine: &Engine,
    file: &Path,
    args: &BindingArgs,
) -> Result<(Module, stagec::Preimports)> {
    if args.specialize == Specialize::Off {
        bail!(
            "--specialize off applies to core modules: the stages of a staged module are always bound at compile time"
        );
    }
    let staged = staged::load(file)?;
    let imports = staged_imports(&staged)?;
    let preimport_flags = BindingArgs::parse(&args.preimports)?;
    let mut binder = Binder::new(engine, &preimport_flags);
    let preimports = binder.preimports_for(&imports)?;
    binder.check_all_used()?;
    let import_flags = BindingArgs::parse(&args.imports)?;
    let mut runtime_binder = Binder::new(engine, &import_flags);
    let runtime = runtime_binder.preimports_for(&imports)?;
    runtime_binder.check_all_used()?;
    let module = Module::from_staged_options(engine, &staged, &preimports, &args.options())?;
    Ok((module, runtime))
}

/// The imports of a staged module's stages that are neither stage references nor
/// `stagec.fresh`: what flags can bind.
fn staged_imports(
    staged: &stagec::StagedModule,
) -> Result<Vec<(String, String, stagec::EntityType)>> {
    let names: Vec<&str> = staged.stages.iter().map(|s| s.name.as_str()).collect();
    let mut imports = Vec::new();
    for stage in &staged.stages {
        for (m, n, ty) in Module::import_types(&stage.module)? {
            let magic = m == stagec::FRESH_MODULE && n == stagec::FRESH_NAME;
            if !names.contains(&m.as_str()) && !magic {
                imports.push((m, n, ty));
            }
        }
    }
    Ok(imports)
}

/// Compiles `file` (core or staged) with the flags' bindings, or loads it when it is a
/// precompiled artifact.
fn load(
    engine: &Engine,
    file: &Path,
    bindings: &BindingArgs,
) -> Result<(Module, stagec::Preimports)> {
    if is_artifact_file(file) {
        load_artifact(engine, file, bindings)
    } else if is_staged(file) {
        compile_staged(engine, file, bindings)
    } else {
        compile(engine, &read_module(file)?, bindings)
    }
}

/// Whether `file` starts like a precompiled artifact.
fn is_artifact_file(file: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| stagec::is_artifact(&head))
}

/// Loads a precompiled artifact; `--import` flags supply its remaining imports.
fn load_artifact(
    engine: &Engine,
    file: &Path,
    bindings: &BindingArgs,
) -> Result<(Module, stagec::Preimports)> {
    if !bindings.preimports.is_empty() {
        bail!(
            "a precompiled artifact has its preimports compiled in: give its runtime imports with --import, or compile again"
        );
    }
    // Mapped, its code in place; the error names the file once (the subject of every
    // error line already is the file).
    let module = Module::deserialize_file(engine, file).map_err(|e| match e {
        stagec::Error::InFile(e) if e.path == file => e.source,
        e => e,
    })?;
    let imports: Vec<_> = module
        .imports()
        .map(|(m, n, ty)| (m.to_string(), n.to_string(), ty.clone()))
        .collect();
    let flags = BindingArgs::parse(&bindings.imports)?;
    let mut binder = Binder::new(engine, &flags);
    let runtime = binder.preimports_for(&imports)?;
    binder.check_all_used()?;
    Ok((module, runtime))
}

/// `stagec compile FILE -o OUT`.
fn compile_artifact(
    file: &Path,
    bindings: &BindingArgs,
    config: Config,
    output: Option<&Path>,
) -> Result<()> {
    if !bindings.imports.is_empty() {
        bail!("--import binds at run time: give it to `stagec run` with the artifact");
    }
    let engine = Engine::new(config)?;
    let (module, _) = load(&engine, file, bindings)?;
    let bytes = module.serialize()?;
    let output = output.map_or_else(|| file.with_extension("stagec"), Path::to_path_buf);
    std::fs::write(&output, &bytes)
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok(())
}

/// Adds `runtime`, `module`'s runtime imports, to `linker` (whose definitions, the
/// host's such as WASI, the flags may override); an import left unbound is an error
/// naming it and the flags that bind it.
fn link_into(
    store: &mut Store,
    linker: &mut Linker,
    module: &Module,
    runtime: &stagec::Preimports,
) -> Result<()> {
    runtime.link(store, linker)?;
    if let Some((m, n, _)) = module
        .imports()
        .find(|(m, n, _)| linker.get(m, n).is_none())
    {
        if m == stagec_wasi::MODULE && stagec_wasi::signature(n).is_none() {
            bail!("import `{m}`.`{n}`: WASI preview 1 has no function `{n}`");
        }
        bail!(
            "import `{m}`.`{n}` is not bound: supply it with --preimport or --import {m}.{n}=VALUE"
        );
    }
    Ok(())
}

/// A module of `stagec run` loaded, linked and instantiated.
struct Prepared {
    store: Store,
    module: Module,
    instance: Instance,
    instantiate: Duration,
}

impl Prepared {
    /// The `--timings` report, if asked for.
    fn print_timings(&self, file: &Path, options: &RunArgs, execute: Duration) {
        if options.timings {
            cache_cmd::print_timings(file, &self.module, self.instantiate, execute);
        }
    }
}

/// Compiles (or loads) `file` with the flags' bindings, links it with what `host`
/// defines and the flags' runtime imports, instantiates it (running its start function)
/// and applies the `--extend` stages.
fn prepare(
    file: &Path,
    options: &RunArgs,
    host: impl FnOnce(&mut Linker, &mut Store) -> Result<()>,
) -> Result<Prepared> {
    let engine = engine_cached(&options.limits, &options.cache)?;
    // The store's limits are checked before compiling, so a bad value is reported first.
    let mut store = Store::new(&engine);
    options.limits.apply(&mut store)?;
    let (module, runtime) = load(&engine, file, &options.bindings)?;
    let instantiate_start = Instant::now();
    let mut linker = Linker::new();
    host(&mut linker, &mut store)?;
    link_into(&mut store, &mut linker, &module, &runtime)?;
    let instance = linker.instantiate(&mut store, &module)?;
    let instantiate = instantiate_start.elapsed();
    for extension in &options.extend {
        let bytes =
            read_module(extension).with_context(|| format!("extension {}", extension.display()))?;
        instance
            .extend(&mut store, &bytes, &stagec::Preimports::new())
            .with_context(|| format!("extension {}", extension.display()))?;
    }
    Ok(Prepared {
        store,
        module,
        instance,
        instantiate,
    })
}

/// Calls export `name` with `args` parsed for its type and prints its results (one per
/// line). The outer error is about the arguments, the inner one the call's.
fn call_and_print(
    prepared: &mut Prepared,
    file: &Path,
    options: &RunArgs,
    name: &str,
    args: &[String],
) -> Result<stagec::Result<()>> {
    let Prepared {
        store,
        module,
        instance,
        ..
    } = prepared;
    let func = instance
        .get_func(store, name)
        .ok_or_else(|| no_such_function(module, name))?;
    let ty = func.ty(store);
    let params = parse_args(name, &ty, args)?;
    let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
    let execute_start = Instant::now();
    let outcome = func.call(store, &params, &mut results);
    prepared.print_timings(file, options, execute_start.elapsed());
    if outcome.is_ok() {
        for result in &results {
            println!("{}", format_val(result));
        }
    }
    Ok(outcome)
}

/// `stagec run` of a module that is not a program.
fn run(file: &Path, options: &RunArgs, args: &[String]) -> Result<()> {
    if component_cmd::is_component_file(file) {
        if !options.extend.is_empty() {
            bail!("--extend applies to core modules, not components");
        }
        let engine = engine_cached(&options.limits, &options.cache)?;
        return component_cmd::run(
            &engine,
            file,
            &options.bindings,
            options.invoke.as_deref(),
            args,
        );
    }
    let mut prepared = prepare(file, options, |_, _| Ok(()))?;
    let name = match &options.invoke {
        Some(name) => name.clone(),
        None => match default_entry(&prepared.store, &prepared.instance) {
            Some((name, _)) => name,
            None if args.is_empty() => return Ok(()),
            None => bail!("arguments were given but no function to call: use --invoke NAME"),
        },
    };
    call_and_print(&mut prepared, file, options, &name, args)??;
    Ok(())
}

/// Compiles text format to binary; errors read `LINE:COL: message`.
fn wat_to_binary(bytes: &[u8]) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| anyhow!("neither a binary module nor UTF-8 text: {e}"))?;
    let located = |e: wast::Error| {
        let (line, col) = e.span().linecol_in(text);
        anyhow!("{}:{}: {}", line + 1, col + 1, e.message())
    };
    let buf = wast::parser::ParseBuffer::new(text).map_err(located)?;
    let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buf).map_err(located)?;
    wat.encode().map_err(located)
}

/// `_start` or `main`, if exported without parameters.
fn default_entry(store: &Store, instance: &Instance) -> Option<(String, Func)> {
    ["_start", "main"].into_iter().find_map(|name| {
        let func = instance.get_func(store, name)?;
        func.ty(store)
            .params
            .is_empty()
            .then(|| (name.to_string(), func))
    })
}

fn no_such_function(module: &Module, name: &str) -> anyhow::Error {
    let funcs: Vec<&str> = module
        .exports()
        .filter(|(_, kind)| *kind == stagec::ExternKind::Func)
        .map(|(n, _)| n)
        .collect();
    if funcs.is_empty() {
        anyhow!("no exported function `{name}` (the module exports no functions)")
    } else {
        anyhow!(
            "no exported function `{name}` (exported functions: {})",
            funcs.join(", ")
        )
    }
}

fn run_scripts(files: &[PathBuf], verbose: bool, mode: WastMode) -> ExitCode {
    let config = match mode {
        WastMode::Plain => stagec::wast::WastConfig::PLAIN,
        WastMode::Preimport => stagec::wast::WastConfig::PREIMPORT,
        WastMode::Single => stagec::wast::WastConfig::SINGLE,
    };
    let engine = match engine() {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for file in files {
        let name = file.display().to_string();
        let report = match std::fs::read_to_string(file) {
            Ok(text) => stagec::wast::run_wast_source_config(&engine, config, &name, &text),
            Err(e) => {
                eprintln!("error: {name}: cannot read: {e}");
                failed += 1;
                continue;
            }
        };
        println!("{report}");
        if verbose {
            for (reason, count) in &report.skip_reasons {
                println!("  skipped {count}: {reason}");
            }
        }
        passed += report.passed;
        failed += report.failed();
        skipped += report.skipped;
    }
    println!("total: {passed} passed, {failed} failed, {skipped} skipped");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
