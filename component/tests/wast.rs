//! Runs the component-model `.wast` files of `tests/wast/` (copied from wasmtime and
//! wasm-tools; see `tests/wast/NOTICE`), one test per file.
//!
//! Directives: a `(component ...)` is loaded and instantiated (with the host functions of
//! `common/mod.rs`); one refused as outside the subset counts as *unsupported*, and the
//! assertions on it are skipped. `assert_return` / `assert_trap` / `invoke` call the
//! current component's exports; `assert_invalid` / `assert_malformed` must fail to load
//! (a refusal as unsupported is counted, not passed); `assert_unlinkable` must fail to
//! load or instantiate; `assert_trap` of a component must fail to instantiate with a
//! trap. Core `(module ...)` directives are not this crate's subject and are counted as
//! skipped. Every file's counts are compared with `tests/wast/expected.txt`
//! (`STAGEC_BLESS=1` rewrites it), so a construct that stops being supported turns red.

mod common;

use common::error_chain;
use libtest_mimic::{Arguments, Failed, Trial};
use stagec_component::{Component, ComponentInstance, Error, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use wast::component::WastVal;
use wast::core::{WastArgCore, WastRetCore};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastRet, Wat};

/// Per-file counts, as written in `expected.txt`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    /// Components loaded and instantiated.
    run: usize,
    /// Components refused as outside the subset.
    unsupported: usize,
    /// Assertions that passed.
    passed: usize,
    /// Assertions skipped (on an unsupported component, or refused as unsupported).
    skipped: usize,
    /// Core module directives (not run here).
    core: usize,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "run {} unsupported {} passed {} skipped {} core {}",
            self.run, self.unsupported, self.passed, self.skipped, self.core
        )
    }
}

fn wast_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wast")
}

fn value(v: &WastVal<'_>) -> Option<Value> {
    Some(match v {
        WastVal::Bool(x) => Value::Bool(*x),
        WastVal::U8(x) => Value::U8(*x),
        WastVal::S8(x) => Value::S8(*x),
        WastVal::U16(x) => Value::U16(*x),
        WastVal::S16(x) => Value::S16(*x),
        WastVal::U32(x) => Value::U32(*x),
        WastVal::S32(x) => Value::S32(*x),
        WastVal::U64(x) => Value::U64(*x),
        WastVal::S64(x) => Value::S64(*x),
        WastVal::F32(x) => Value::F32(f32::from_bits(x.bits)),
        WastVal::F64(x) => Value::F64(f64::from_bits(x.bits)),
        WastVal::Char(x) => Value::Char(*x),
        _ => return None,
    })
}

/// A core-style argument (`(i32.const 1)`) as the component value of the same width.
fn core_arg(v: &WastArgCore<'_>) -> Option<Value> {
    Some(match v {
        WastArgCore::I32(x) => Value::S32(*x),
        WastArgCore::I64(x) => Value::S64(*x),
        WastArgCore::F32(x) => Value::F32(f32::from_bits(x.bits)),
        WastArgCore::F64(x) => Value::F64(f64::from_bits(x.bits)),
        _ => return None,
    })
}

struct Runner {
    engine: stagec::Engine,
    state: Arc<Mutex<common::HostState>>,
    store: stagec::Store,
    current: Option<ComponentInstance>,
    counts: Counts,
}

enum Loaded {
    Instance(ComponentInstance),
    Unsupported,
}

impl Runner {
    fn load(&mut self, bytes: &[u8]) -> Result<Loaded, Error> {
        let component = match Component::from_binary(&self.engine, bytes) {
            Ok(c) => c,
            Err(e) if unsupported(&e) => return Ok(Loaded::Unsupported),
            Err(e) => return Err(e),
        };
        let instance =
            common::stagec_linker(&self.state).instantiate(&mut self.store, &component)?;
        Ok(Loaded::Instance(instance))
    }

    fn call(&mut self, name: &str, args: &[WastArg<'_>]) -> Result<Option<Option<Value>>, String> {
        let Some(instance) = &self.current else {
            return Ok(None);
        };
        let args: Option<Vec<Value>> = args
            .iter()
            .map(|a| match a {
                WastArg::Component(v) => value(v),
                WastArg::Core(c) => core_arg(c),
                _ => None,
            })
            .collect();
        let args = args.ok_or("an argument outside the scalar subset")?;
        instance
            .call(&mut self.store, name, &args)
            .map(Some)
            .map_err(|e| error_chain(&e))
    }

    fn directive(&mut self, d: WastDirective<'_>) -> Result<(), String> {
        match d {
            WastDirective::Module(mut wat) | WastDirective::ModuleDefinition(mut wat) => {
                if is_core(&wat) {
                    self.counts.core += 1;
                    self.current = None;
                    return Ok(());
                }
                let bytes = wat.encode().map_err(|e| e.to_string())?;
                match self.load(&bytes).map_err(|e| error_chain(&e))? {
                    Loaded::Instance(i) => {
                        self.counts.run += 1;
                        self.current = Some(i);
                    }
                    Loaded::Unsupported => {
                        self.counts.unsupported += 1;
                        self.current = None;
                    }
                }
            }
            WastDirective::ModuleInstance { .. } | WastDirective::Register { .. } => {
                self.counts.skipped += 1;
            }
            WastDirective::AssertInvalid {
                module: mut wat, ..
            }
            | WastDirective::AssertMalformed {
                module: mut wat, ..
            } => {
                if is_core(&wat) {
                    self.counts.core += 1;
                    return Ok(());
                }
                let loaded = wat.encode().map_err(|e| e.to_string()).and_then(|b| {
                    Component::from_binary(&self.engine, &b).map_err(|e| {
                        if unsupported(&e) {
                            String::new()
                        } else {
                            error_chain(&e)
                        }
                    })
                });
                match loaded {
                    Ok(_) => return Err("an invalid component loaded".into()),
                    Err(e) if e.is_empty() => self.counts.skipped += 1,
                    Err(_) => self.counts.passed += 1,
                }
            }
            WastDirective::AssertUnlinkable { mut module, .. } => {
                if matches!(module, Wat::Module(_)) {
                    self.counts.core += 1;
                    return Ok(());
                }
                let bytes = module.encode().map_err(|e| e.to_string())?;
                match self.load(&bytes) {
                    Ok(Loaded::Instance(_)) => return Err("an unlinkable component linked".into()),
                    Ok(Loaded::Unsupported) => self.counts.skipped += 1,
                    Err(_) => self.counts.passed += 1,
                }
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Wat(mut module),
                ..
            } => {
                let bytes = module.encode().map_err(|e| e.to_string())?;
                match self.load(&bytes) {
                    Ok(Loaded::Instance(_)) => {
                        return Err("a trapping component instantiated".into());
                    }
                    Ok(Loaded::Unsupported) => self.counts.skipped += 1,
                    Err(e) if e.is_trap() => self.counts.passed += 1,
                    Err(e) => return Err(format!("expected a trap, got {}", error_chain(&e))),
                }
            }
            WastDirective::Invoke(invoke) => match self.call(invoke.name, &invoke.args)? {
                Some(_) => self.counts.passed += 1,
                None => self.counts.skipped += 1,
            },
            WastDirective::AssertReturn {
                exec: WastExecute::Invoke(invoke),
                results,
                ..
            } => {
                let want: Option<Vec<Value>> = results
                    .iter()
                    .map(|r| match r {
                        WastRet::Component(v) => value(v),
                        WastRet::Core(WastRetCore::I32(x)) => Some(Value::S32(*x)),
                        WastRet::Core(WastRetCore::I64(x)) => Some(Value::S64(*x)),
                        _ => None,
                    })
                    .collect();
                match self.call(invoke.name, &invoke.args)? {
                    None => self.counts.skipped += 1,
                    Some(got) => {
                        let want = want.ok_or("a result outside the scalar subset")?;
                        let ok = match (want.as_slice(), got) {
                            ([], None) => true,
                            ([w], Some(g)) => same_loosely(w, &g),
                            _ => false,
                        };
                        if !ok {
                            return Err(format!("{}: expected {want:?}, got {got:?}", invoke.name));
                        }
                        self.counts.passed += 1;
                    }
                }
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Invoke(invoke),
                ..
            } => match self.call(invoke.name, &invoke.args) {
                Ok(None) => self.counts.skipped += 1,
                Ok(Some(v)) => return Err(format!("{}: expected a trap, got {v:?}", invoke.name)),
                Err(_) => self.counts.passed += 1,
            },
            _ => self.counts.skipped += 1,
        }
        Ok(())
    }
}

/// Result equality where a core-style expectation (`i32.const`) matches any component
/// integer of the same bits.
fn same_loosely(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::S32(w), g) if g.ty().core_type() == stagec::ValType::I32 => {
            g.lower().i32() == Some(*w)
        }
        (Value::S64(w), g) if g.ty().core_type() == stagec::ValType::I64 => {
            g.lower().i64() == Some(*w)
        }
        _ => common::same_value(want, got),
    }
}

/// Outside the subset, or a core module the engine does not compile (a proposal stagec
/// lacks, such as GC): the engine's core coverage is the spec suite's business.
fn unsupported(e: &Error) -> bool {
    e.is_unsupported() || matches!(e, Error::Compile { .. })
}

fn is_core(wat: &QuoteWat<'_>) -> bool {
    matches!(
        wat,
        QuoteWat::Wat(Wat::Module(_)) | QuoteWat::QuoteModule(..)
    )
}

fn run_file(path: &Path) -> Result<Counts, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let buf = wast::parser::ParseBuffer::new(&text).map_err(|e| e.to_string())?;
    let wast: Wast<'_> = wast::parser::parse(&buf).map_err(|e| e.to_string())?;
    let engine = stagec::Engine::new(stagec::Config::default()).map_err(|e| e.to_string())?;
    let mut runner = Runner {
        store: stagec::Store::new(&engine),
        engine,
        state: Default::default(),
        current: None,
        counts: Counts::default(),
    };
    for directive in wast.directives {
        let (line, _) = directive.span().linecol_in(&text);
        runner
            .directive(directive)
            .map_err(|e| format!("{}:{}: {e}", path.display(), line + 1))?;
    }
    Ok(runner.counts)
}

fn expected() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(wast_dir().join("expected.txt")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(": "))
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

fn main() {
    let args = Arguments::from_args();
    let mut files: Vec<PathBuf> = std::fs::read_dir(wast_dir())
        .expect("tests/wast")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
        .collect();
    files.sort();
    let expected = Arc::new(expected());
    let bless = std::env::var_os("STAGEC_BLESS").is_some();
    let results: Arc<Mutex<BTreeMap<String, String>>> = Default::default();
    let trials: Vec<Trial> = files
        .iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let path = path.clone();
            let expected = expected.clone();
            let results = results.clone();
            Trial::test(name.clone(), move || {
                let counts = run_file(&path).map_err(Failed::from)?;
                println!("{name}: {counts}");
                results
                    .lock()
                    .unwrap()
                    .insert(name.clone(), counts.to_string());
                match expected.get(&name) {
                    _ if bless => Ok(()),
                    Some(want) if *want == counts.to_string() => Ok(()),
                    Some(want) => Err(format!("counts {counts}, expected {want}").into()),
                    None => Err(format!("no line for {name} in expected.txt ({counts})").into()),
                }
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if bless {
        let mut text = String::from(
            "# Per-file counts of tests/wast.rs (STAGEC_BLESS=1 rewrites this file).\n",
        );
        for (file, counts) in results.lock().unwrap().iter() {
            text.push_str(&format!("{file}: {counts}\n"));
        }
        std::fs::write(wast_dir().join("expected.txt"), text).expect("write expected.txt");
    }
    conclusion.exit();
}
