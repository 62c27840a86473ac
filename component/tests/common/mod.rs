//! Shared by the fixture, differential and generated-component tests: the fixture header
//! format, the host functions every test linker defines, and running a list of calls on
//! stagec and on wasmtime 48's component model with engine-neutral outcomes.
//!
//! Fixture header lines (`;;` comments before the component):
//! - `;; compiled: N`: the component has N static modules, and loading it compiles N
//!   modules (the engine's cache misses);
//! - `;; instances: N`: N core instances are instantiated;
//! - `;; inspect: TEXT`: the plan's text contains TEXT;
//! - `;; invoke NAME ARG... => RESULT`: a call, in order; an ARG or RESULT is `TYPE:VALUE`
//!   (`s32:-1`, `char:65` by code point, `bool:true`), RESULT is `()`, `trap [TEXT]` (the
//!   error chain contains TEXT) or `poisoned`;
//! - `;; log => N...`: the values the host function `log` received so far;
//! - `;; error: TEXT`: loading fails with an error whose message contains TEXT;
//! - `;; instantiate-error: TEXT`: instantiating fails so.

#![allow(dead_code)]

pub mod generate;

use stagec_component::{Error, ScalarType, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One step of a fixture.
#[derive(Clone, Debug)]
pub enum Step {
    Invoke {
        name: String,
        args: Vec<Value>,
        expect: Expect,
    },
    Log(Vec<u32>),
}

/// What a call should give.
#[derive(Clone, Debug)]
pub enum Expect {
    Returns(Option<Value>),
    Trap(String),
    Poisoned,
}

/// A parsed fixture.
#[derive(Clone, Debug, Default)]
pub struct Fixture {
    pub name: String,
    pub text: String,
    pub compiled: Option<usize>,
    pub instances: Option<usize>,
    pub inspect: Vec<String>,
    pub steps: Vec<Step>,
    pub error: Option<String>,
    pub instantiate_error: Option<String>,
}

pub fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The fixtures of `dir` (sorted by name).
pub fn load_fixtures(dir: &Path) -> Vec<Fixture> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("fixture directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("fixture");
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            parse_fixture(&name, &text)
        })
        .collect()
}

pub fn parse_value(text: &str) -> Value {
    try_parse_value(text).unwrap_or_else(|| panic!("bad value `{text}` (TYPE:VALUE)"))
}

fn try_parse_value(text: &str) -> Option<Value> {
    let (ty, v) = text.split_once(':')?;
    Some(match ty {
        "bool" => Value::Bool(v.parse().ok()?),
        "s8" => Value::S8(v.parse().ok()?),
        "u8" => Value::U8(v.parse().ok()?),
        "s16" => Value::S16(v.parse().ok()?),
        "u16" => Value::U16(v.parse().ok()?),
        "s32" => Value::S32(v.parse().ok()?),
        "u32" => Value::U32(v.parse().ok()?),
        "s64" => Value::S64(v.parse().ok()?),
        "u64" => Value::U64(v.parse().ok()?),
        "f32" => Value::F32(v.parse().ok()?),
        "f64" => Value::F64(v.parse().ok()?),
        "char" => Value::Char(char::from_u32(v.parse().ok()?)?),
        _ => return None,
    })
}

pub fn parse_fixture(name: &str, text: &str) -> Fixture {
    let mut f = Fixture {
        name: name.to_string(),
        text: text.to_string(),
        ..Fixture::default()
    };
    for line in text.lines() {
        let Some(line) = line.strip_prefix(";; ") else {
            continue;
        };
        if let Some(n) = line.strip_prefix("compiled: ") {
            f.compiled = Some(n.trim().parse().expect("compiled count"));
        } else if let Some(n) = line.strip_prefix("instances: ") {
            f.instances = Some(n.trim().parse().expect("instance count"));
        } else if let Some(t) = line.strip_prefix("inspect: ") {
            f.inspect.push(t.to_string());
        } else if let Some(t) = line.strip_prefix("error: ") {
            f.error = Some(t.to_string());
        } else if let Some(t) = line.strip_prefix("instantiate-error: ") {
            f.instantiate_error = Some(t.to_string());
        } else if let Some(t) = line.strip_prefix("log => ") {
            f.steps.push(Step::Log(
                t.split_whitespace()
                    .map(|v| v.parse().expect("log value"))
                    .collect(),
            ));
        } else if let Some(t) = line.strip_prefix("invoke ") {
            let (call, result) = t.split_once(" => ").expect("invoke ... => ...");
            let mut words = call.split_whitespace();
            let name = words.next().expect("export name").to_string();
            let args = words.map(parse_value).collect();
            let expect = match result.trim() {
                "()" => Expect::Returns(None),
                "poisoned" => Expect::Poisoned,
                r if r.starts_with("trap") => Expect::Trap(r["trap".len()..].trim().to_string()),
                r => Expect::Returns(Some(parse_value(r))),
            };
            f.steps.push(Step::Invoke { name, args, expect });
        }
    }
    f
}

// ---------------------------------------------------------------------------------------
// Host functions
// ---------------------------------------------------------------------------------------

/// The host functions every test linker defines, by name and type:
/// `double(x: s32) -> s32`, `log(x: u32)` (appended to the log), `next() -> u32` (a
/// counter), `fail()` (a host error), and `echo-T(x: T) -> T` for every scalar type T.
pub fn host_functions() -> Vec<(String, Vec<ScalarType>, Option<ScalarType>)> {
    let mut funcs = vec![
        (
            "double".to_string(),
            vec![ScalarType::S32],
            Some(ScalarType::S32),
        ),
        ("log".to_string(), vec![ScalarType::U32], None),
        ("next".to_string(), vec![], Some(ScalarType::U32)),
        ("fail".to_string(), vec![], None),
    ];
    for ty in ScalarType::ALL {
        funcs.push((format!("echo-{ty}"), vec![ty], Some(ty)));
    }
    funcs
}

/// The state host functions share on one engine.
#[derive(Default)]
pub struct HostState {
    pub log: Vec<u32>,
    pub counter: u32,
}

/// The behaviour of host function `name`.
pub fn host_call(
    state: &Mutex<HostState>,
    name: &str,
    args: &[Value],
) -> Result<Option<Value>, String> {
    let mut s = state.lock().unwrap();
    match (name, args) {
        ("double", [Value::S32(x)]) => Ok(Some(Value::S32(x.wrapping_mul(2)))),
        ("log", [Value::U32(x)]) => {
            s.log.push(*x);
            Ok(None)
        }
        ("next", []) => {
            s.counter += 1;
            Ok(Some(Value::U32(s.counter)))
        }
        ("fail", []) => Err("the host says no".to_string()),
        (echo, [v]) if echo.starts_with("echo-") => Ok(Some(*v)),
        _ => Err(format!("host function {name} called with {args:?}")),
    }
}

/// A stagec linker defining every host function, sharing `state`.
pub fn stagec_linker(state: &Arc<Mutex<HostState>>) -> stagec_component::Linker {
    let mut linker = stagec_component::Linker::new();
    for (name, _, _) in host_functions() {
        let state = state.clone();
        let n = name.clone();
        linker.func(&name, move |args, results| {
            let r = host_call(&state, &n, args)?;
            if let (Some(v), Some(slot)) = (r, results.first_mut()) {
                *slot = v;
            }
            Ok(())
        });
    }
    linker
}

// ---------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------

/// An engine-neutral outcome of a step.
#[derive(Clone, Debug)]
pub enum Outcome {
    Returned(Option<Value>),
    /// A trap: its class (`TrapClass`-like: "unreachable", "memory", "stack", ...,
    /// "other" for host errors and canonical-ABI traps) and message.
    Trapped(String, String),
    Poisoned,
    Log(Vec<u32>),
}

impl Outcome {
    /// Equality up to NaN payloads and trap messages.
    pub fn same(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Returned(Some(a)), Outcome::Returned(Some(b))) => same_value(a, b),
            (Outcome::Returned(None), Outcome::Returned(None)) => true,
            (Outcome::Trapped(a, _), Outcome::Trapped(b, _)) => a == b,
            (Outcome::Poisoned, Outcome::Poisoned) => true,
            (Outcome::Log(a), Outcome::Log(b)) => a == b,
            _ => false,
        }
    }
}

pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::F32(x), Value::F32(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (Value::F64(x), Value::F64(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

/// The messages of an error and its sources, joined.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn stagec_outcome(r: Result<Option<Value>, Error>) -> Outcome {
    use stagec::TrapKind as K;
    match r {
        Ok(v) => Outcome::Returned(v),
        Err(Error::Poisoned) => Outcome::Poisoned,
        Err(e) => {
            let class = match e.trap_kind() {
                Some(K::StackOverflow) => "stack",
                Some(K::MemoryOutOfBounds) => "memory",
                Some(K::TableOutOfBounds | K::UndefinedElement) => "table",
                Some(K::UninitializedElement) => "null",
                Some(K::BadSignature) => "signature",
                Some(K::IntegerOverflow) => "overflow",
                Some(K::IntegerDivisionByZero) => "divide",
                Some(K::BadConversionToInteger) => "conversion",
                Some(K::Unreachable) => "unreachable",
                _ => "other",
            };
            Outcome::Trapped(class.to_string(), error_chain(&e))
        }
    }
}

/// A run: the instantiation's outcome (`Err` with a message when it failed), then one
/// outcome per step.
pub type Run = Result<Vec<Outcome>, String>;

/// Runs `steps` on a fresh instance of `component` in a fresh stagec store. After a call
/// finds the instance poisoned, the rest runs on a new instance in a new store (so one
/// trap does not end the comparison).
pub fn run_stagec(
    engine: &stagec::Engine,
    component: &stagec_component::Component,
    steps: &[Step],
) -> Run {
    let state = Arc::new(Mutex::new(HostState::default()));
    let linker = stagec_linker(&state);
    let mut store = stagec::Store::new(engine);
    let mut instance = linker
        .instantiate(&mut store, component)
        .map_err(|e| error_chain(&e))?;
    let mut outcomes = Vec::new();
    for step in steps {
        outcomes.push(match step {
            Step::Invoke { name, args, .. } => {
                stagec_outcome(instance.call(&mut store, name, args))
            }
            Step::Log(_) => Outcome::Log(state.lock().unwrap().log.clone()),
        });
        if matches!(outcomes.last(), Some(Outcome::Poisoned)) {
            store = stagec::Store::new(engine);
            instance = linker
                .instantiate(&mut store, component)
                .map_err(|e| error_chain(&e))?;
        }
    }
    Ok(outcomes)
}

// ---------------------------------------------------------------------------------------
// wasmtime
// ---------------------------------------------------------------------------------------

pub fn to_wasmtime(v: &Value) -> wasmtime::component::Val {
    use wasmtime::component::Val as W;
    match *v {
        Value::Bool(x) => W::Bool(x),
        Value::S8(x) => W::S8(x),
        Value::U8(x) => W::U8(x),
        Value::S16(x) => W::S16(x),
        Value::U16(x) => W::U16(x),
        Value::S32(x) => W::S32(x),
        Value::U32(x) => W::U32(x),
        Value::S64(x) => W::S64(x),
        Value::U64(x) => W::U64(x),
        Value::F32(x) => W::Float32(x),
        Value::F64(x) => W::Float64(x),
        Value::Char(x) => W::Char(x),
    }
}

pub fn from_wasmtime(v: &wasmtime::component::Val) -> Value {
    use wasmtime::component::Val as W;
    match *v {
        W::Bool(x) => Value::Bool(x),
        W::S8(x) => Value::S8(x),
        W::U8(x) => Value::U8(x),
        W::S16(x) => Value::S16(x),
        W::U16(x) => Value::U16(x),
        W::S32(x) => Value::S32(x),
        W::U32(x) => Value::U32(x),
        W::S64(x) => Value::S64(x),
        W::U64(x) => Value::U64(x),
        W::Float32(x) => Value::F32(x),
        W::Float64(x) => Value::F64(x),
        W::Char(x) => Value::Char(x),
        ref other => panic!("not a scalar: {other:?}"),
    }
}

/// wasmtime with its component model, configured like stagec (no NaN canonicalization).
pub fn wasmtime_engine() -> wasmtime::Engine {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    config.cranelift_nan_canonicalization(false);
    config.max_wasm_stack(1 << 20);
    wasmtime::Engine::new(&config).expect("wasmtime engine")
}

fn wasmtime_linker(
    engine: &wasmtime::Engine,
    state: &Arc<Mutex<HostState>>,
) -> wasmtime::component::Linker<()> {
    let mut linker = wasmtime::component::Linker::new(engine);
    for (name, _, _) in host_functions() {
        let state = state.clone();
        let n = name.clone();
        linker
            .root()
            .func_new(&name, move |_store, _ty, params, results| {
                let args: Vec<Value> = params.iter().map(from_wasmtime).collect();
                let r = host_call(&state, &n, &args).map_err(|e| wasmtime::format_err!("{e}"))?;
                if let (Some(v), Some(slot)) = (r, results.first_mut()) {
                    *slot = to_wasmtime(&v);
                }
                Ok(())
            })
            .expect("define host function");
    }
    linker
}

fn wasmtime_outcome(e: &wasmtime::Error) -> Outcome {
    use wasmtime::Trap as T;
    let class = match e.downcast_ref::<T>() {
        Some(T::CannotEnterComponent) => return Outcome::Poisoned,
        Some(T::StackOverflow) => "stack",
        Some(T::MemoryOutOfBounds) => "memory",
        Some(T::TableOutOfBounds) => "table",
        Some(T::IndirectCallToNull) => "null",
        Some(T::BadSignature) => "signature",
        Some(T::IntegerOverflow) => "overflow",
        Some(T::IntegerDivisionByZero) => "divide",
        Some(T::BadConversionToInteger) => "conversion",
        Some(T::UnreachableCodeReached) => "unreachable",
        _ => "other",
    };
    Outcome::Trapped(class.to_string(), format!("{e:?}"))
}

/// Runs `steps` on a fresh instance of `component` in a fresh wasmtime store, like
/// [`run_stagec`].
pub fn run_wasmtime(
    engine: &wasmtime::Engine,
    component: &wasmtime::component::Component,
    steps: &[Step],
) -> Run {
    let state = Arc::new(Mutex::new(HostState::default()));
    let linker = wasmtime_linker(engine, &state);
    let mut store = wasmtime::Store::new(engine, ());
    let mut instance = linker
        .instantiate(&mut store, component)
        .map_err(|e| format!("{e:?}"))?;
    let mut outcomes = Vec::new();
    for step in steps {
        outcomes.push(match step {
            Step::Invoke { name, args, .. } => match instance.get_func(&mut store, name.as_str()) {
                None => Outcome::Trapped("other".into(), format!("no export {name}")),
                Some(func) => {
                    let params: Vec<_> = args.iter().map(to_wasmtime).collect();
                    let count = func.ty(&store).results().len();
                    let mut results = vec![wasmtime::component::Val::Bool(false); count];
                    match func.call(&mut store, &params, &mut results) {
                        Ok(()) => Outcome::Returned(results.first().map(from_wasmtime)),
                        Err(e) => wasmtime_outcome(&e),
                    }
                }
            },
            Step::Log(_) => Outcome::Log(state.lock().unwrap().log.clone()),
        });
        if matches!(outcomes.last(), Some(Outcome::Poisoned)) {
            store = wasmtime::Store::new(engine, ());
            instance = linker
                .instantiate(&mut store, component)
                .map_err(|e| format!("{e:?}"))?;
        }
    }
    Ok(outcomes)
}

/// Compares two runs; the differences, described.
pub fn compare(stagec: &Run, wasmtime: &Run) -> Vec<String> {
    match (stagec, wasmtime) {
        (Err(_), Err(_)) => Vec::new(),
        (Ok(a), Ok(b)) => a
            .iter()
            .zip(b)
            .enumerate()
            .filter(|(_, (x, y))| !x.same(y))
            .map(|(i, (x, y))| format!("step {i}: stagec {x:?}, wasmtime {y:?}"))
            .collect(),
        (a, b) => vec![format!("instantiation: stagec {a:?}, wasmtime {b:?}")],
    }
}
