//! Executes the spec suite's `assert_return`, `assert_trap` and `assert_exhaustion`
//! directives against codegen's output, using the test-only loader in `exec/` (until the
//! runtime's own spec runner exists). Imports come from `spectest` or from `register`ed
//! instances; after anything the harness cannot simulate (a failing instantiation, an
//! unresolved import), the rest of the file is skipped. Linux x86-64 only.
//!
//! Set `STAGEC_SPEC_FILTER=name` to run only files whose name contains `name`, and
//! `STAGEC_SPEC_TRACE=1` to print each directive's location before running it.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod exec;

use exec::{Instance, InstantiateError};
use stagec_frontend::ExternKind;
use std::collections::HashMap;
use std::path::PathBuf;
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

#[derive(Default, Debug)]
struct Counts {
    modules: usize,
    modules_skipped: usize,
    returns_passed: usize,
    traps_passed: usize,
    skipped: usize,
}

#[test]
fn spec_suite_executes() {
    let root = std::env::var_os("STAGEC_SPEC_TESTSUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/testsuite"));
    let dir = root.join("core");
    if !dir.is_dir() {
        let message = "\n\n!!!!! spec testsuite not found: set STAGEC_SPEC_TESTSUITE; \
                       SKIPPING spec execution test !!!!!\n";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{message}");
        }
        eprintln!("{message}");
        return;
    }
    let filter = std::env::var("STAGEC_SPEC_FILTER").ok();
    let trace = std::env::var_os("STAGEC_SPEC_TRACE").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
        .filter(|p| {
            filter
                .as_deref()
                .is_none_or(|f| p.file_name().unwrap().to_string_lossy().contains(f))
        })
        .collect();
    files.sort();

    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(buf) = ParseBuffer::new(&text) else {
            continue;
        };
        let Ok(wast) = parser::parse::<Wast>(&buf) else {
            continue;
        };
        let mut runner = Runner {
            counts: &mut counts,
            failures: &mut failures,
            current: None,
            named: HashMap::new(),
            registered: HashMap::new(),
            instances: Vec::new(),
            tainted: false,
        };
        let before = (
            runner.counts.returns_passed + runner.counts.traps_passed,
            runner.counts.skipped,
        );
        for directive in wast.directives {
            let (line, _) = directive.span().linecol_in(&text);
            let location = format!("{name}:{}", line + 1);
            if trace {
                eprintln!("{location}");
            }
            runner.directive(directive, &location);
        }
        if std::env::var_os("STAGEC_SPEC_STATS").is_some() {
            eprintln!(
                "{name}: {} passed, {} skipped",
                runner.counts.returns_passed + runner.counts.traps_passed - before.0,
                runner.counts.skipped - before.1
            );
        }
    }
    eprintln!("spec execution: {counts:?}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[allow(
    clippy::vec_box,
    reason = "instances are referenced by address from compiled code"
)]
struct Runner<'c> {
    counts: &'c mut Counts,
    failures: &'c mut Vec<String>,
    /// Index into `instances` of the current module; `None` when it was skipped.
    current: Option<usize>,
    named: HashMap<String, Option<usize>>,
    /// `register`ed names, by instance.
    registered: HashMap<String, Option<usize>>,
    instances: Vec<Box<Instance>>,
    /// Set once a module that imports from another module was skipped: it may have
    /// changed shared state (tables, memories, globals), so the rest of the file is
    /// skipped.
    tainted: bool,
}

impl Runner<'_> {
    fn directive(&mut self, directive: WastDirective<'_>, location: &str) {
        if self.tainted {
            self.counts.skipped += 1;
            return;
        }
        match directive {
            WastDirective::Module(module) => self.module(module, location),
            WastDirective::ModuleDefinition(_) | WastDirective::ModuleInstance { .. } => {
                self.current = None;
            }
            WastDirective::Register { name, module, .. } => {
                let index = match module {
                    Some(id) => self.named.get(id.name()).copied().flatten(),
                    None => self.current,
                };
                self.registered.insert(name.to_string(), index);
            }
            WastDirective::Invoke(invoke) => {
                let _ = self.invoke(&invoke, location);
            }
            WastDirective::AssertReturn {
                exec: WastExecute::Invoke(invoke),
                results,
                ..
            } => {
                let Some(actual) = self.invoke(&invoke, location) else {
                    return;
                };
                self.check_results(&actual, &results, location);
            }
            WastDirective::AssertReturn {
                exec: WastExecute::Get { module, global, .. },
                results,
                ..
            } => {
                let Some(instance) = self.instance(module.map(|m| m.name())) else {
                    self.counts.skipped += 1;
                    return;
                };
                let Some(index) = instance.export(global, ExternKind::Global) else {
                    self.failures
                        .push(format!("{location}: no global {global}"));
                    return;
                };
                let value = instance.global(index);
                self.check_results(&[value], &results, location);
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Invoke(invoke),
                message,
                ..
            } => self.expect_trap(&invoke, message, location),
            WastDirective::AssertExhaustion { call, message, .. } => {
                self.expect_trap(&call, message, location)
            }
            WastDirective::AssertTrap { .. } => {
                // Instantiation traps are not simulated; a failed instantiation may still
                // have written to shared tables and memories.
                self.counts.skipped += 1;
                self.tainted = true;
            }
            // Linking fails before anything is written.
            WastDirective::AssertUnlinkable { .. } => self.counts.skipped += 1,
            _ => {}
        }
    }

    fn module(&mut self, mut module: QuoteWat<'_>, location: &str) {
        self.current = None;
        let name = match &module {
            QuoteWat::Wat(Wat::Module(m)) => m.id.map(|id| id.name().to_string()),
            _ => None,
        };
        let Ok(bytes) = module.encode() else {
            return;
        };
        let imports_other_modules = imports_other_modules(&bytes);
        let parsed = stagec_frontend::parse(bytes);
        if let (Err(e), true) = (&parsed, std::env::var_os("STAGEC_SPEC_TRACE").is_some()) {
            eprintln!("{location}: module skipped: {e}");
        }
        let Ok(parsed) = parsed else {
            self.counts.modules_skipped += 1;
            // Its instantiation (elsewhere) could change a registered module's state.
            self.tainted |= imports_other_modules;
            return;
        };
        let (registered, instances) = (&self.registered, &self.instances);
        let mut resolve = |module: &str, name: &str| {
            let index = registered.get(module).copied().flatten()?;
            instances[index].get_export(name)
        };
        match Instance::new(&parsed, &mut resolve) {
            Ok(mut instance) => {
                if let Some(start) = instance.info.start {
                    instance.invoke(start, &[]);
                }
                self.counts.modules += 1;
                self.instances.push(instance);
                self.current = Some(self.instances.len() - 1);
            }
            Err(InstantiateError::UnsupportedImport(name)) => {
                if std::env::var_os("STAGEC_SPEC_TRACE").is_some() {
                    eprintln!("{location}: module skipped: import {name}");
                }
                self.counts.modules_skipped += 1;
                self.tainted = true;
            }
            Err(InstantiateError::Compile(e)) => {
                if std::env::var_os("STAGEC_SPEC_TRACE").is_some() {
                    eprintln!("{location}: module skipped: {e}");
                }
                self.counts.modules_skipped += 1;
            }
            Err(e) => self
                .failures
                .push(format!("{location}: instantiation: {e:?}")),
        }
        if let Some(name) = name {
            self.named.insert(name, self.current);
        }
    }

    fn instance(&mut self, name: Option<&str>) -> Option<&mut Instance> {
        let index = match name {
            Some(name) => self.named.get(name).copied().flatten(),
            None => self.current,
        }?;
        Some(&mut self.instances[index])
    }

    /// The function and raw arguments of an invocation, or `None` (counted as skipped).
    fn prepare(
        &mut self,
        invoke: &WastInvoke<'_>,
        location: &str,
    ) -> Option<(usize, u32, Vec<u128>)> {
        let index = match invoke.module {
            Some(name) => self.named.get(name.name()).copied().flatten(),
            None => self.current,
        };
        let Some(index) = index else {
            self.counts.skipped += 1;
            return None;
        };
        let Some(func) = self.instances[index].export(invoke.name, ExternKind::Func) else {
            self.failures
                .push(format!("{location}: no function {}", invoke.name));
            return None;
        };
        let mut args = Vec::new();
        for arg in &invoke.args {
            match raw_arg(arg) {
                Some(a) => args.push(a),
                None => {
                    self.counts.skipped += 1;
                    return None;
                }
            }
        }
        Some((index, func, args))
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>, location: &str) -> Option<Vec<u128>> {
        let (index, func, args) = self.prepare(invoke, location)?;
        Some(self.instances[index].invoke(func, &args))
    }

    fn expect_trap(&mut self, invoke: &WastInvoke<'_>, message: &str, location: &str) {
        let Some((index, func, args)) = self.prepare(invoke, location) else {
            return;
        };
        let result = self.instances[index].run_trapping(|instance| {
            instance.invoke(func, &args);
        });
        match result {
            Ok(Some(kind))
                if kind.message().contains(message) || message.contains(kind.message()) =>
            {
                self.counts.traps_passed += 1;
            }
            Ok(Some(kind)) => self.failures.push(format!(
                "{location}: expected trap \"{message}\", got \"{kind}\""
            )),
            Ok(None) => self.failures.push(format!(
                "{location}: expected trap \"{message}\", returned normally"
            )),
            Err(e) => self
                .failures
                .push(format!("{location}: expected trap \"{message}\": {e}")),
        }
    }

    fn check_results(&mut self, actual: &[u128], expected: &[WastRet<'_>], location: &str) {
        if actual.len() != expected.len() {
            self.failures.push(format!(
                "{location}: {} results, expected {}",
                actual.len(),
                expected.len()
            ));
            return;
        }
        for (i, (&a, e)) in actual.iter().zip(expected).enumerate() {
            let WastRet::Core(e) = e else {
                self.counts.skipped += 1;
                return;
            };
            match matches(a, e) {
                Some(true) => {}
                Some(false) => {
                    self.failures.push(format!(
                        "{location}: result {i}: got {a:#x}, expected {e:?}"
                    ));
                    return;
                }
                None => {
                    self.counts.skipped += 1;
                    return;
                }
            }
        }
        self.counts.returns_passed += 1;
    }
}

/// Whether a module imports from a module other than `spectest`.
fn imports_other_modules(bytes: &[u8]) -> bool {
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let Ok(wasmparser::Payload::ImportSection(reader)) = payload else {
            continue;
        };
        for import in reader.into_imports() {
            if import.is_ok_and(|i| i.module != "spectest") {
                return true;
            }
        }
    }
    false
}

/// Externref `n` is represented by the host word `n + 1` (0 is null).
fn raw_arg(arg: &WastArg<'_>) -> Option<u128> {
    let WastArg::Core(arg) = arg else {
        return None;
    };
    Some(match arg {
        WastArgCore::I32(v) => *v as u32 as u128,
        WastArgCore::I64(v) => *v as u64 as u128,
        WastArgCore::F32(f) => f.bits as u128,
        WastArgCore::F64(f) => f.bits as u128,
        WastArgCore::RefNull(_) => 0,
        WastArgCore::RefExtern(n) => *n as u128 + 1,
        _ => return None,
    })
}

/// Whether `actual` matches; `None` for patterns this harness does not check.
fn matches(actual: u128, expected: &WastRetCore<'_>) -> Option<bool> {
    Some(match expected {
        WastRetCore::I32(v) => actual == *v as u32 as u128,
        WastRetCore::I64(v) => actual == *v as u64 as u128,
        WastRetCore::F32(p) => {
            let bits = actual as u32;
            match p {
                NanPattern::Value(f) => bits == f.bits,
                NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
                NanPattern::ArithmeticNan => {
                    f32::from_bits(bits).is_nan() && bits & 0x0040_0000 != 0
                }
            }
        }
        WastRetCore::F64(p) => {
            let bits = actual as u64;
            match p {
                NanPattern::Value(f) => bits == f.bits,
                NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
                NanPattern::ArithmeticNan => {
                    f64::from_bits(bits).is_nan() && bits & 0x0008_0000_0000_0000 != 0
                }
            }
        }
        WastRetCore::RefNull(None)
        | WastRetCore::RefNull(Some(HeapType::Abstract {
            ty: AbstractHeapType::Func | AbstractHeapType::Extern,
            ..
        })) => actual == 0,
        WastRetCore::RefExtern(Some(n)) => actual == *n as u128 + 1,
        WastRetCore::RefExtern(None) | WastRetCore::RefFunc(_) => actual != 0,
        WastRetCore::Either(cases) => {
            let mut any = false;
            for case in cases {
                any |= matches(actual, case)?;
            }
            any
        }
        _ => return None,
    })
}
