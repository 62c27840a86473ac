//! The directive interpreter behind [`super::run_wast_source_with`].

use super::{WastConfig, WastFailure, WastReport, spectest, values};
use crate::{Engine, Error, Instance, Linker, Module, Store, Val};
use stagec_frontend::wasmparser::{Parser, Payload, Validator, WasmFeatures};
use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::{Id, Span};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

const COMPONENT: &str = "component model";

/// The result of one command.
enum Outcome {
    Pass,
    /// Skipped, with the reason (a short category, counted in the report).
    Skip(String),
    Fail(String),
    /// Failed because the module at this line failed.
    FailCausedBy(usize, String),
}

/// What a module directive left behind, as seen by later commands that use it.
#[derive(Clone)]
enum ModState<T> {
    Ready(T),
    /// Needs a feature stagec does not support: commands using it are skipped. Holds the
    /// module names it imports from.
    Unsupported(Vec<String>),
    /// Failed to compile or instantiate at this line.
    Failed(usize),
}

/// An instance of the script, with a serial number to track it.
#[derive(Clone, Copy)]
struct Inst {
    serial: usize,
    instance: Instance,
}

impl<T> ModState<T> {
    /// The outcome of a command that cannot run because of this state.
    fn blocked(&self, what: &str) -> Outcome {
        match self {
            ModState::Ready(_) | ModState::Unsupported(_) => {
                Outcome::Skip("uses a skipped module".into())
            }
            ModState::Failed(line) => {
                Outcome::FailCausedBy(*line, format!("{what} (line {line}) failed earlier"))
            }
        }
    }
}

/// The result of compiling one module.
enum Compiled {
    Ok(Module),
    Unsupported {
        reason: String,
        /// The module names it imports from.
        imports: Vec<String>,
    },
    Failed(String),
}

/// Why running a command did not produce values.
enum ExecError {
    /// Decided without the engine (skip, or a failure of the script's own making).
    Outcome(Outcome),
    /// The engine returned an error.
    Engine(Error),
}

impl From<Outcome> for ExecError {
    fn from(o: Outcome) -> Self {
        ExecError::Outcome(o)
    }
}

struct Runner<'t> {
    engine: Engine,
    config: WastConfig,
    store: Store,
    linker: Linker,
    text: &'t str,
    /// The most recent module instance.
    current: Option<ModState<Inst>>,
    /// Instances by `$name`.
    instances: HashMap<String, ModState<Inst>>,
    /// `module definition`s by `$name`.
    definitions: HashMap<String, ModState<Module>>,
    last_definition: Option<ModState<Module>>,
    /// Names registered for an unsupported or failed module: imports from them are blocked.
    blocked_registrations: HashMap<String, ModState<Inst>>,
    /// Names registered for an instance: name → serial.
    registered: HashMap<String, usize>,
    /// Instances whose state an unsupported module may have changed (through imports, by
    /// segment initialisation or its start function): commands using them are skipped.
    tainted: HashSet<usize>,
    next_serial: usize,
    report: WastReport,
}

pub(super) fn run(engine: &Engine, config: WastConfig, name: &str, text: &str) -> WastReport {
    let mut report = WastReport {
        name: name.to_string(),
        ..WastReport::default()
    };
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => return parse_failure(report, text, &e),
    };
    let directives = match parser::parse::<Wast<'_>>(&buf) {
        Ok(wast) => wast.directives,
        Err(e) => return parse_failure(report, text, &e),
    };

    let mut store = Store::new(engine);
    let mut linker = Linker::new();
    let setup = catch_unwind(AssertUnwindSafe(|| {
        spectest::define(&mut store, &mut linker)
    }));
    let setup_error = match setup {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(panic) => Some(format!("engine panicked: {}", panic_message(&*panic))),
    };
    if let Some(e) = setup_error {
        report.failures.push(WastFailure {
            line: 1,
            column: 1,
            directive: "script",
            message: format!("cannot define the spectest module: {e}"),
            caused_by: None,
        });
        return report;
    }

    let mut runner = Runner {
        engine: engine.clone(),
        config,
        store,
        linker,
        text,
        current: None,
        instances: HashMap::new(),
        definitions: HashMap::new(),
        last_definition: None,
        blocked_registrations: HashMap::new(),
        registered: HashMap::new(),
        tainted: HashSet::new(),
        next_serial: 0,
        report,
    };
    for directive in directives {
        runner.directive(directive);
    }
    runner.report
}

fn parse_failure(mut report: WastReport, text: &str, e: &wast::Error) -> WastReport {
    let (line, column) = linecol(text, e.span());
    report.failures.push(WastFailure {
        line,
        column,
        directive: "script",
        message: format!("cannot parse script: {}", e.message()),
        caused_by: None,
    });
    report
}

impl Runner<'_> {
    fn directive(&mut self, directive: WastDirective<'_>) {
        let span = directive.span();
        let name = directive_name(&directive);
        if let WastDirective::Thread(_) = &directive {
            let count = count_commands(&directive);
            self.report.skipped += count;
            *self
                .report
                .skip_reasons
                .entry(format!("{name} directive"))
                .or_default() += count;
            return;
        }
        let outcome = match catch_unwind(AssertUnwindSafe(|| self.execute(directive))) {
            Ok(outcome) => outcome,
            Err(panic) => Outcome::Fail(format!("engine panicked: {}", panic_message(&*panic))),
        };
        let (line, column) = linecol(self.text, span);
        let (message, caused_by) = match outcome {
            Outcome::Pass => return self.report.passed += 1,
            Outcome::Skip(reason) => {
                self.report.skipped += 1;
                *self.report.skip_reasons.entry(reason).or_default() += 1;
                return;
            }
            Outcome::Fail(message) => (message, None),
            Outcome::FailCausedBy(module_line, message) => (message, Some(module_line)),
        };
        self.report.failures.push(WastFailure {
            line,
            column,
            directive: name,
            message: one_line(&message),
            caused_by,
        });
    }

    fn line(&self, span: Span) -> usize {
        linecol(self.text, span).0
    }

    fn execute(&mut self, directive: WastDirective<'_>) -> Outcome {
        use WastDirective as D;
        let name = directive_name(&directive);
        match directive {
            D::Module(mut module) => {
                let line = self.line(module.span());
                let id = module.name().map(|id| id.name().to_string());
                // Marked failed first, so that a panic below leaves it failed.
                self.set_instance(id.as_deref(), ModState::Failed(line));
                let (state, outcome) = match self.compile_quote(&mut module) {
                    Compiled::Ok(module) => self.instantiate(&module, line),
                    Compiled::Unsupported { reason, imports } => {
                        self.taint(&imports);
                        (ModState::Unsupported(imports), Outcome::Skip(reason))
                    }
                    Compiled::Failed(e) => (ModState::Failed(line), Outcome::Fail(e)),
                };
                self.set_instance(id.as_deref(), state);
                outcome
            }
            D::ModuleDefinition(mut module) => {
                let line = self.line(module.span());
                let id = module.name().map(|id| id.name().to_string());
                let (state, outcome) = match self.compile_quote(&mut module) {
                    Compiled::Ok(module) => (ModState::Ready(module), Outcome::Pass),
                    Compiled::Unsupported { reason, imports } => {
                        (ModState::Unsupported(imports), Outcome::Skip(reason))
                    }
                    Compiled::Failed(e) => (ModState::Failed(line), Outcome::Fail(e)),
                };
                if let Some(id) = id {
                    self.definitions.insert(id, state.clone());
                }
                self.last_definition = Some(state);
                outcome
            }
            D::ModuleInstance {
                span,
                instance,
                module,
            } => {
                let line = self.line(span);
                let definition = match module {
                    Some(id) => self.definitions.get(id.name()).cloned(),
                    None => self.last_definition.clone(),
                };
                let id = instance.map(|id| id.name().to_string());
                self.set_instance(id.as_deref(), ModState::Failed(line));
                let (state, outcome) = match definition {
                    None => (
                        ModState::Failed(line),
                        Outcome::Fail("no such module definition".into()),
                    ),
                    Some(ModState::Ready(module)) => self.instantiate(&module, line),
                    Some(ModState::Unsupported(imports)) => {
                        self.taint(&imports);
                        let reason = "uses a skipped module definition".to_string();
                        (ModState::Unsupported(imports), Outcome::Skip(reason))
                    }
                    Some(ModState::Failed(def_line)) => (
                        ModState::Failed(line),
                        ModState::<()>::Failed(def_line).blocked("module definition"),
                    ),
                };
                self.set_instance(id.as_deref(), state);
                outcome
            }
            D::Register { name, module, .. } => self.register(name, module),
            D::Invoke(invoke) => match self.invoke(&invoke) {
                Ok(_) => Outcome::Pass,
                Err(ExecError::Outcome(o)) => o,
                Err(ExecError::Engine(e)) => Outcome::Fail(format!("invoke failed: {e}")),
            },
            D::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            D::AssertTrap { exec, message, .. } => {
                let result = self.exec(exec);
                expect_trap(result, message)
            }
            D::AssertExhaustion { call, message, .. } => {
                let result = self.invoke(&call);
                expect_trap(result, message)
            }
            D::AssertInvalid {
                module, message, ..
            } => self.assert_rejected(module, message, "invalid"),
            D::AssertMalformed {
                module, message, ..
            } => self.assert_rejected(module, message, "malformed"),
            D::AssertUnlinkable {
                module, message, ..
            } => self.assert_unlinkable(module, message),
            D::AssertInvalidCustom { .. }
            | D::AssertMalformedCustom { .. }
            | D::AssertException { .. }
            | D::AssertSuspension { .. }
            | D::Thread(_)
            | D::Wait { .. } => Outcome::Skip(format!("{name} directive")),
        }
    }

    /// Makes `state` the current module and, if named, the module `$id`.
    fn set_instance(&mut self, id: Option<&str>, state: ModState<Inst>) {
        if let Some(id) = id {
            self.instances.insert(id.to_string(), state.clone());
        }
        self.current = Some(state);
    }

    /// Encodes and compiles a module of the script.
    fn compile_quote(&mut self, module: &mut QuoteWat<'_>) -> Compiled {
        if matches!(
            module,
            QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..)
        ) {
            return Compiled::Unsupported {
                reason: COMPONENT.into(),
                imports: Vec::new(),
            };
        }
        match module.encode() {
            Ok(bytes) => self.compile(&bytes),
            Err(e) => Compiled::Failed(format!("cannot encode module: {}", e.message())),
        }
    }

    fn compile_wat(&mut self, module: &mut Wat<'_>) -> Compiled {
        if let Wat::Component(_) = module {
            return Compiled::Unsupported {
                reason: COMPONENT.into(),
                imports: Vec::new(),
            };
        }
        match module.encode() {
            Ok(bytes) => self.compile(&bytes),
            Err(e) => Compiled::Failed(format!("cannot encode module: {}", e.message())),
        }
    }

    fn compile(&mut self, bytes: &[u8]) -> Compiled {
        let compiled = if self.config.preimport_spectest_globals {
            let preimports = spectest::global_preimports(bytes);
            Module::with_preimports(&self.engine, bytes, &preimports)
        } else {
            Module::from_binary(&self.engine, bytes)
        };
        match compiled {
            Ok(module) => Compiled::Ok(module),
            Err(e) => match unsupported_reason(&e, bytes) {
                Some(reason) => Compiled::Unsupported {
                    reason,
                    imports: import_modules(bytes),
                },
                None => Compiled::Failed(format!("cannot compile module: {e}")),
            },
        }
    }

    /// Instantiates `module` through the linker: the state it leaves and the outcome.
    fn instantiate(&mut self, module: &Module, line: usize) -> (ModState<Inst>, Outcome) {
        match self.link(module) {
            Ok(inst) => (ModState::Ready(inst), Outcome::Pass),
            Err(ExecError::Outcome(Outcome::Skip(reason))) => {
                (ModState::Unsupported(Vec::new()), Outcome::Skip(reason))
            }
            Err(ExecError::Outcome(o)) => (ModState::Failed(line), o),
            Err(ExecError::Engine(e)) => (
                ModState::Failed(line),
                Outcome::Fail(format!("cannot instantiate module: {e}")),
            ),
        }
    }

    /// The `single` configuration: compiles `module` again as the one `single` stage of a
    /// staged module, with every import bound at compile time to what the linker defines,
    /// and instantiates the result (which re-exports the stage's exports).
    fn instantiate_single(&mut self, module: &Module) -> Result<Instance, Error> {
        let mut preimports = crate::Preimports::new();
        for (m, n, _) in module.imports() {
            let item = self.linker.get(m, n).ok_or_else(|| {
                Error::UnknownImport(Box::new(crate::error::ImportName::new(m, n)))
            })?;
            preimports.bind(m, n, crate::Preimport::Extern(item));
        }
        let staged = crate::StagedModule {
            stages: vec![crate::Stage {
                name: "stage".into(),
                kind: crate::StageKind::Single,
                module: module.bytes().to_vec(),
                offset: 0,
            }],
            custom_sections: Vec::new(),
        };
        let compiled = Module::from_staged_in(&mut self.store, &staged, &preimports)?;
        crate::Linker::new().instantiate(&mut self.store, &compiled)
    }

    /// Instantiates `module`; the new instance is tainted if it imports from one that is.
    fn link(&mut self, module: &Module) -> Result<Inst, ExecError> {
        let imports: Vec<String> = module.imports().map(|(m, _, _)| m.to_string()).collect();
        for import_module in &imports {
            if let Some(state) = self.blocked_registrations.get(import_module) {
                let outcome = state.blocked(&format!("the module registered as `{import_module}`"));
                if let Outcome::Skip(_) = outcome {
                    // Instantiating it would have run its initialisers on its imports.
                    self.taint(&imports);
                }
                return Err(outcome.into());
            }
        }
        let instance = if self.config.single_stage {
            self.instantiate_single(module)
        } else {
            self.linker.instantiate(&mut self.store, module)
        }
        .map_err(ExecError::Engine)?;
        let serial = self.next_serial;
        self.next_serial += 1;
        let uses_tainted = imports.iter().any(|m| {
            self.registered
                .get(m)
                .is_some_and(|s| self.tainted.contains(s))
        });
        if uses_tainted {
            self.tainted.insert(serial);
        }
        Ok(Inst { serial, instance })
    }

    /// Marks the instances registered under `import_modules` as tainted: an unsupported
    /// module that imports from them would have run its initialisers on them.
    fn taint(&mut self, import_modules: &[String]) {
        for name in import_modules {
            if let Some(serial) = self.registered.get(name) {
                self.tainted.insert(*serial);
            }
        }
    }

    fn register(&mut self, name: &str, module: Option<Id<'_>>) -> Outcome {
        let state = match self.module_state(module) {
            Ok(state) => state,
            Err(outcome) => return outcome,
        };
        match state {
            ModState::Ready(inst) => {
                self.blocked_registrations.remove(name);
                self.registered.insert(name.to_string(), inst.serial);
                self.linker.instance(&self.store, name, &inst.instance);
                Outcome::Pass
            }
            blocked => {
                let outcome = blocked.blocked("module");
                self.registered.remove(name);
                self.blocked_registrations.insert(name.to_string(), blocked);
                outcome
            }
        }
    }

    /// The state of module `$id`, or of the current module.
    fn module_state(&self, id: Option<Id<'_>>) -> Result<ModState<Inst>, Outcome> {
        let state = match id {
            Some(id) => self.instances.get(id.name()),
            None => self.current.as_ref(),
        };
        state.cloned().ok_or_else(|| {
            Outcome::Fail(match id {
                Some(id) => format!("no module `${}`", id.name()),
                None => "no module has been instantiated".into(),
            })
        })
    }

    /// The ready instance `$id` (or the current one); commands on a tainted one are skipped.
    fn instance(&self, id: Option<Id<'_>>) -> Result<Instance, Outcome> {
        match self.module_state(id)? {
            ModState::Ready(inst) if self.tainted.contains(&inst.serial) => Err(Outcome::Skip(
                "uses an instance that a skipped module may have changed".into(),
            )),
            ModState::Ready(inst) => Ok(inst.instance),
            blocked => Err(blocked.blocked("module")),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>, ExecError> {
        let instance = self.instance(invoke.module)?;
        let func = instance
            .get_func(&self.store, invoke.name)
            .ok_or_else(|| Outcome::Fail(format!("no exported function `{}`", invoke.name)))?;
        let args = invoke
            .args
            .iter()
            .map(values::arg)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|reason| Outcome::Skip(reason.to_string()))?;
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
        func.call(&mut self.store, &args, &mut results)
            .map_err(ExecError::Engine)?;
        Ok(results)
    }

    fn exec(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>, ExecError> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module)?;
                let g = instance
                    .get_global(&self.store, global)
                    .ok_or_else(|| Outcome::Fail(format!("no exported global `{global}`")))?;
                Ok(vec![g.get(&self.store)])
            }
            WastExecute::Wat(mut wat) => match self.compile_wat(&mut wat) {
                Compiled::Ok(module) => self.link(&module).map(|_| Vec::new()),
                Compiled::Unsupported { reason, imports } => {
                    self.taint(&imports);
                    Err(Outcome::Skip(reason).into())
                }
                Compiled::Failed(e) => Err(Outcome::Fail(e).into()),
            },
        }
    }

    fn assert_return(&mut self, exec: WastExecute<'_>, expected: &[WastRet<'_>]) -> Outcome {
        if let Some(reason) = values::unsupported_result(expected) {
            return Outcome::Skip(reason.to_string());
        }
        let vals = match self.exec(exec) {
            Ok(vals) => vals,
            Err(ExecError::Outcome(o)) => return o,
            Err(ExecError::Engine(e)) => return Outcome::Fail(format!("unexpected error: {e}")),
        };
        let shown_vals = || vals.iter().map(values::show).collect::<Vec<_>>().join(", ");
        let shown_expected = || {
            let shown: Vec<_> = expected.iter().map(values::show_expected).collect();
            shown.join(", ")
        };
        if vals.len() != expected.len() {
            return Outcome::Fail(format!(
                "expected [{}], got [{}]",
                shown_expected(),
                shown_vals()
            ));
        }
        for (val, e) in vals.iter().zip(expected) {
            match values::matches(val, e) {
                Ok(true) => {}
                Ok(false) => {
                    return Outcome::Fail(format!(
                        "expected [{}], got [{}]",
                        shown_expected(),
                        shown_vals()
                    ));
                }
                Err(reason) => return Outcome::Skip(reason.to_string()),
            }
        }
        Outcome::Pass
    }

    /// `assert_invalid` / `assert_malformed`: passes iff stagec rejects the module.
    fn assert_rejected(&mut self, mut module: QuoteWat<'_>, message: &str, what: &str) -> Outcome {
        if matches!(
            module,
            QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..)
        ) {
            return Outcome::Skip(COMPONENT.into());
        }
        let bytes = match module.to_test() {
            Ok(wast::QuoteWatTest::Binary(bytes) | wast::QuoteWatTest::Text(bytes)) => bytes,
            // The text parser already rejects it.
            Err(_) => return Outcome::Pass,
        };
        match Module::new(&self.engine, &bytes) {
            Ok(_) => Outcome::Fail(format!(
                "module was accepted, but it is {what} (expected error `{message}`)"
            )),
            Err(_) => Outcome::Pass,
        }
    }

    fn assert_unlinkable(&mut self, mut module: Wat<'_>, message: &str) -> Outcome {
        let module = match self.compile_wat(&mut module) {
            Compiled::Ok(module) => module,
            Compiled::Unsupported { reason, .. } => return Outcome::Skip(reason),
            Compiled::Failed(e) => return Outcome::Fail(e),
        };
        match self.link(&module) {
            Ok(_) => Outcome::Fail(format!(
                "module was linked, expected a link error `{message}`"
            )),
            Err(ExecError::Outcome(o)) => o,
            Err(ExecError::Engine(Error::UnknownImport(_) | Error::IncompatibleImport(_))) => {
                Outcome::Pass
            }
            Err(ExecError::Engine(e)) => {
                Outcome::Fail(format!("expected a link error `{message}`, got: {e}"))
            }
        }
    }
}

/// `assert_trap` / `assert_exhaustion`: passes iff the command trapped with `message`.
fn expect_trap(result: Result<Vec<Val>, ExecError>, message: &str) -> Outcome {
    match result {
        Ok(vals) => {
            let shown: Vec<_> = vals.iter().map(values::show).collect();
            Outcome::Fail(format!(
                "expected trap `{message}`, got [{}]",
                shown.join(", ")
            ))
        }
        Err(ExecError::Outcome(o)) => o,
        Err(ExecError::Engine(e)) => match e.as_trap() {
            Some(trap) if trap_matches(trap, message) => Outcome::Pass,
            Some(trap) => Outcome::Fail(format!("expected trap `{message}`, got `{trap}`")),
            None => Outcome::Fail(format!("expected trap `{message}`, got error: {e}")),
        },
    }
}

/// Whether `trap` is the one a script expects: its message contains the expected text, or
/// the expected text is the trap kind's spec message with details appended (the reference
/// interpreter writes e.g. "uninitialized element 2").
fn trap_matches(trap: &crate::Trap, expected: &str) -> bool {
    trap.to_string().contains(expected)
        || trap
            .kind()
            .is_some_and(|kind| expected.starts_with(kind.message()))
}

/// The module names `bytes` imports from (best effort: stops at the first parse error).
fn import_modules(bytes: &[u8]) -> Vec<String> {
    let mut modules = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::ImportSection(reader)) => {
                for import in reader.into_imports() {
                    match import {
                        Ok(import) => modules.push(import.module.to_string()),
                        Err(_) => return modules,
                    }
                }
            }
            Ok(Payload::CodeSectionStart { .. }) | Err(_) => break,
            Ok(_) => {}
        }
    }
    modules
}

/// Why a module that stagec rejected with `error` is unsupported rather than wrong: stagec
/// says so, or `bytes` is valid WebAssembly only with features stagec does not support.
fn unsupported_reason(error: &Error, bytes: &[u8]) -> Option<String> {
    if error.is_unsupported() {
        let message = error.to_string();
        let message = message.split(" (at offset").next().unwrap_or(&message);
        return Some(format!("module: {message}"));
    }
    let plain = Validator::new_with_features(stagec_frontend::FEATURES).validate_all(bytes);
    match plain {
        Err(e)
            if Validator::new_with_features(WasmFeatures::all())
                .validate_all(bytes)
                .is_ok() =>
        {
            Some(format!("module: {}", e.message()))
        }
        _ => None,
    }
}

fn directive_name(directive: &WastDirective<'_>) -> &'static str {
    use WastDirective as D;
    match directive {
        D::Module(_) => "module",
        D::ModuleDefinition(_) => "module definition",
        D::ModuleInstance { .. } => "module instance",
        D::AssertMalformed { .. } => "assert_malformed",
        D::AssertInvalid { .. } => "assert_invalid",
        D::AssertInvalidCustom { .. } => "assert_invalid_custom",
        D::Register { .. } => "register",
        D::Invoke(_) => "invoke",
        D::AssertTrap { .. } => "assert_trap",
        D::AssertReturn { .. } => "assert_return",
        D::AssertExhaustion { .. } => "assert_exhaustion",
        D::AssertUnlinkable { .. } => "assert_unlinkable",
        D::AssertException { .. } => "assert_exception",
        D::AssertSuspension { .. } => "assert_suspension",
        D::Thread(_) => "thread",
        D::Wait { .. } => "wait",
        D::AssertMalformedCustom { .. } => "assert_malformed_custom",
    }
}

/// Number of commands in a directive (a `thread` counts itself and its directives).
fn count_commands(directive: &WastDirective<'_>) -> usize {
    match directive {
        WastDirective::Thread(thread) => {
            1 + thread.directives.iter().map(count_commands).sum::<usize>()
        }
        _ => 1,
    }
}

/// 1-based line and column of `span`.
fn linecol(text: &str, span: Span) -> (usize, usize) {
    let (line, column) = span.linecol_in(text);
    (line + 1, column + 1)
}

fn one_line(message: &str) -> String {
    if message.contains('\n') {
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        message.to_string()
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
