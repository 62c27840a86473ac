//! The `stagec` command line: run a module, or run `.wast` scripts.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use stagec::{Config, Engine, ExternRef, Func, Instance, Module, Store, Val, ValType};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

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

#[derive(Subcommand)]
enum Command {
    /// Compile and instantiate a module (no imports), run its start function, then call
    /// `--invoke NAME ARGS...` or else an exported `_start` or `main` without parameters.
    Run {
        /// The module (`.wat` or `.wasm`).
        file: PathBuf,
        /// The exported function to call.
        #[arg(long, value_name = "NAME")]
        invoke: Option<String>,
        /// Arguments of the invoked function: integers in decimal or 0x hex, floats
        /// (including `nan`, `inf`, `-inf`), `null` for references, N for `externref` N.
        #[arg(allow_hyphen_values = true, value_name = "ARGS")]
        args: Vec<String>,
    },
    /// Run `.wast` scripts and report passed / failed / skipped commands.
    Wast {
        /// The scripts.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also print why commands were skipped.
        #[arg(long, short)]
        verbose: bool,
    },
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
        Command::Run { file, .. } => format!("{}: ", file.display()),
        Command::Wast { .. } => String::new(),
    };
    let worker = std::thread::Builder::new()
        .name("stagec".into())
        .stack_size(THREAD_STACK)
        .spawn(move || match cli.command {
            Command::Run { file, invoke, args } => match run(&file, invoke.as_deref(), &args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {}: {}", file.display(), one_line(&e));
                    ExitCode::FAILURE
                }
            },
            Command::Wast { files, verbose } => run_scripts(&files, verbose),
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
            eprintln!("error: cannot start the worker thread: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The error chain on one line.
fn one_line(e: &anyhow::Error) -> String {
    let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    chain
        .join(": ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(file: &Path, invoke: Option<&str>, args: &[String]) -> Result<()> {
    let config = Config {
        max_wasm_stack: MAX_WASM_STACK,
    };
    let engine = Engine::new(config)?;
    let bytes = std::fs::read(file).context("cannot read file")?;
    // `.wasm` is always binary, `.wat` always text; anything else by its first bytes.
    let is_binary = match file.extension().and_then(|e| e.to_str()) {
        Some("wasm") => true,
        Some("wat") => false,
        _ => bytes.starts_with(b"\0asm"),
    };
    let binary = if is_binary {
        bytes
    } else {
        wat_to_binary(&bytes)?
    };
    let module = Module::from_binary(&engine, &binary)?;
    if let Some((m, n, _)) = module.imports().next() {
        bail!("module imports `{m}`.`{n}`; `stagec run` provides no imports");
    }
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &[])?;

    let (name, func) = match invoke {
        Some(name) => {
            let func = instance
                .get_func(&store, name)
                .ok_or_else(|| no_such_function(&module, name))?;
            (name.to_string(), func)
        }
        None => match default_entry(&store, &instance) {
            Some(entry) => entry,
            None if args.is_empty() => return Ok(()),
            None => bail!("arguments were given but no function to call: use --invoke NAME"),
        },
    };
    let ty = func.ty(&store);
    if args.len() != ty.params.len() {
        bail!(
            "`{name}` takes {} argument{} {}, {} given",
            ty.params.len(),
            if ty.params.len() == 1 { "" } else { "s" },
            ty,
            args.len()
        );
    }
    let params = args
        .iter()
        .zip(ty.params.iter())
        .enumerate()
        .map(|(i, (arg, ty))| {
            parse_arg(arg, *ty).with_context(|| format!("argument {} of `{name}`", i + 1))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
    func.call(&mut store, &params, &mut results)?;
    for result in &results {
        println!("{}", format_val(result));
    }
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

fn parse_arg(arg: &str, ty: ValType) -> Result<Val> {
    let invalid = || anyhow!("invalid {ty} `{arg}`");
    Ok(match ty {
        ValType::I32 => {
            let v = parse_int(arg).ok_or_else(invalid)?;
            let v = if (i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&v) {
                v as u32 as i32
            } else {
                return Err(invalid());
            };
            Val::I32(v)
        }
        ValType::I64 => {
            let v = parse_int(arg).ok_or_else(invalid)?;
            let v = if (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&v) {
                v as u64 as i64
            } else {
                return Err(invalid());
            };
            Val::I64(v)
        }
        ValType::F32 => Val::F32(arg.parse::<f32>().map_err(|_| invalid())?.to_bits()),
        ValType::F64 => Val::F64(arg.parse::<f64>().map_err(|_| invalid())?.to_bits()),
        ValType::FuncRef if arg == "null" => Val::FuncRef(None),
        ValType::FuncRef => bail!("only `null` can be passed as a funcref, not `{arg}`"),
        ValType::ExternRef if arg == "null" => Val::ExternRef(None),
        ValType::ExternRef => {
            let v = parse_int(arg)
                .and_then(|v| u64::try_from(v).ok())
                .filter(|v| *v != u64::MAX)
                .ok_or_else(invalid)?;
            Val::ExternRef(Some(ExternRef(v)))
        }
    })
}

/// Decimal or `0x` hex, with an optional sign and `_` separators.
fn parse_int(arg: &str) -> Option<i128> {
    let cleaned = arg.replace('_', "");
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn format_val(val: &Val) -> String {
    match val {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".into(),
        Val::FuncRef(Some(_)) => "funcref".into(),
        Val::ExternRef(Some(r)) => format!("externref:{}", r.0),
    }
}

fn run_scripts(files: &[PathBuf], verbose: bool) -> ExitCode {
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for file in files {
        let report = stagec::wast::run_wast_file(file);
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
