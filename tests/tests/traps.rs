//! Traps never kill the host: every kind comes back as a typed error with the spec's
//! message, many times over in one process, and the store stays usable afterwards.

use stagec::{
    Config, Engine, Error, Func, FuncType, Instance, Linker, Module, Store, TrapKind, Val, ValType,
};

/// Stack of the threads these tests run wasm on.
const THREAD_STACK: usize = 16 << 20;

const TRAPS_WAT: &str = r#"
(module
  (type $ret_i32 (func (result i32)))
  (memory 1)
  (table 4 funcref)
  (elem (i32.const 1) $wrong_type)
  (func $wrong_type (param i32))
  (func (export "div_s") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "unreachable") (unreachable))
  (func (export "load") (param i32) (result i32)
    (i32.load (local.get 0)))
  (func (export "store64") (param i32)
    (i64.store (local.get 0) (i64.const -1)))
  (func (export "trunc") (param f32) (result i32)
    (i32.trunc_f32_s (local.get 0)))
  (func (export "call_indirect") (param i32) (result i32)
    (call_indirect (type $ret_i32) (local.get 0)))
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
)
"#;

/// Runs `f` on a thread with a big stack (wasm runs on the caller's stack).
fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(THREAD_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("test thread panicked");
}

fn setup(wat: &str) -> (Store, Instance) {
    let engine = Engine::new(Config::default()).expect("engine");
    let module = Module::new(&engine, wat).expect("module compiles");
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    (store, instance)
}

use stagec_tests::call_export as call;

fn expect_trap(result: Result<Vec<Val>, Error>, kind: TrapKind, what: &str) {
    let error = match result {
        Ok(vals) => panic!("{what}: expected trap {kind}, returned {vals:?}"),
        Err(e) => e,
    };
    let trap = error
        .as_trap()
        .unwrap_or_else(|| panic!("{what}: expected trap {kind}, got error {error}"));
    assert_eq!(trap.kind(), Some(kind), "{what}: {trap}");
    assert!(
        trap.to_string().contains(kind.message()),
        "{what}: `{trap}` lacks `{}`",
        kind.message()
    );
    assert!(
        trap.wasm_offset().is_some(),
        "{what}: no wasm offset in `{trap}`"
    );
}

#[test]
fn ten_thousand_traps_then_a_normal_call() {
    on_big_stack(|| {
        let (mut store, instance) = setup(TRAPS_WAT);
        let cases: [(&str, Vec<Val>, TrapKind); 9] = [
            (
                "div_s",
                vec![Val::I32(1), Val::I32(0)],
                TrapKind::IntegerDivisionByZero,
            ),
            (
                "div_s",
                vec![Val::I32(i32::MIN), Val::I32(-1)],
                TrapKind::IntegerOverflow,
            ),
            ("unreachable", vec![], TrapKind::Unreachable),
            ("load", vec![Val::I32(65536)], TrapKind::MemoryOutOfBounds),
            (
                "store64",
                vec![Val::I32(65530)],
                TrapKind::MemoryOutOfBounds,
            ),
            (
                "trunc",
                vec![Val::from(f32::NAN)],
                TrapKind::BadConversionToInteger,
            ),
            (
                "call_indirect",
                vec![Val::I32(0)],
                TrapKind::UninitializedElement,
            ),
            ("call_indirect", vec![Val::I32(1)], TrapKind::BadSignature),
            (
                "call_indirect",
                vec![Val::I32(4)],
                TrapKind::UndefinedElement,
            ),
        ];
        for i in 0..10_000 {
            let (name, args, kind) = &cases[i % cases.len()];
            let result = call(&mut store, &instance, name, args);
            expect_trap(result, *kind, &format!("iteration {i}: {name}"));
        }
        let sum = call(&mut store, &instance, "add", &[Val::I32(2), Val::I32(3)]).unwrap();
        assert_eq!(sum[0].i32(), Some(5));
        // The failed 8-byte store at 65530 must not have written its in-bounds part.
        let loaded = call(&mut store, &instance, "load", &[Val::I32(65528)]).unwrap();
        assert_eq!(loaded[0].i32(), Some(0));
    });
}

#[test]
fn unbounded_recursion_is_stack_exhaustion() {
    on_big_stack(|| {
        let (mut store, instance) = setup(TRAPS_WAT);
        for round in 0..3 {
            let result = call(&mut store, &instance, "recurse", &[Val::I32(0)]);
            expect_trap(result, TrapKind::StackOverflow, &format!("round {round}"));
            let sum = call(&mut store, &instance, "add", &[Val::I32(40), Val::I32(2)]).unwrap();
            assert_eq!(sum[0].i32(), Some(42), "store usable after round {round}");
        }
    });
}

/// A module calling the host import `host.f` from its export `run`.
const CALLS_HOST_WAT: &str = r#"
(module
  (import "host" "f" (func $f (param i32) (result i32)))
  (func (export "run") (param i32) (result i32)
    (i32.add (call $f (local.get 0)) (i32.const 1)))
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
)
"#;

fn with_host(
    f: impl Fn(&mut stagec::Caller<'_>, &[Val], &mut [Val]) -> stagec::Result<()>
    + Send
    + Sync
    + 'static,
) -> (Store, Instance) {
    let engine = Engine::new(Config::default()).expect("engine");
    let module = Module::new(&engine, CALLS_HOST_WAT).expect("module compiles");
    let mut store = Store::new(&engine);
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    let func = Func::new(&mut store, ty, f).expect("host function");
    let mut linker = Linker::new();
    linker.define("host", "f", func);
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    (store, instance)
}

#[test]
fn host_function_results_and_errors() {
    on_big_stack(|| {
        let (mut store, instance) = with_host(|_, params, results| {
            let x = params[0].i32().unwrap();
            if x < 0 {
                return Err(Error::host(format!("negative input {x}")));
            }
            results[0] = Val::I32(x * 2);
            Ok(())
        });
        let ok = call(&mut store, &instance, "run", &[Val::I32(20)]).unwrap();
        assert_eq!(ok[0].i32(), Some(41));

        let err = call(&mut store, &instance, "run", &[Val::I32(-3)]).unwrap_err();
        let trap = err.as_trap().unwrap_or_else(|| panic!("not a trap: {err}"));
        assert_eq!(trap.kind(), None, "a host error is not a wasm trap kind");
        assert!(err.to_string().contains("negative input -3"), "{err}");
        // The chain of sources leads from the trap to the host function's own error.
        let mut sources = Vec::new();
        let mut next = std::error::Error::source(&err);
        while let Some(source) = next {
            sources.push(source.to_string());
            next = source.source();
        }
        assert_eq!(sources.len(), 3, "{sources:?}");
        assert_eq!(sources[0], err.to_string(), "the trap");
        assert_eq!(sources[2], "negative input -3", "the host function's error");

        let again = call(&mut store, &instance, "run", &[Val::I32(1)]).unwrap();
        assert_eq!(again[0].i32(), Some(3));
    });
}

/// A host function's typed error comes back out of the trap it raised, as its own type.
#[test]
fn host_error_is_given_back_typed() {
    #[derive(Debug, PartialEq)]
    struct Negative(i32);
    impl std::fmt::Display for Negative {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "negative {}", self.0)
        }
    }
    impl std::error::Error for Negative {}
    on_big_stack(|| {
        let (mut store, instance) = with_host(|_, params, results| {
            let x = params[0].i32().unwrap();
            if x < 0 {
                return Err(Error::host(Negative(x)));
            }
            if x == 0 {
                // Not made with `Error::host`: no typed error to give back.
                return Err(Error::CompilationDenied);
            }
            results[0] = Val::I32(x);
            Ok(())
        });
        let err = call(&mut store, &instance, "run", &[Val::I32(-5)]).unwrap_err();
        let host = err.into_host_error().expect("a host error");
        assert_eq!(*host.downcast::<Negative>().expect("typed"), Negative(-5));

        let err = call(&mut store, &instance, "run", &[Val::I32(0)]).unwrap_err();
        let err = err.into_host_error().expect_err("no Error::host");
        assert!(err.as_trap().is_some(), "given back unchanged: {err}");
        assert!(err.to_string().contains("compilation from bytes"), "{err}");
    });
}

#[test]
fn host_function_panic_is_an_error() {
    on_big_stack(|| {
        let (mut store, instance) = with_host(|_, params, _| {
            panic!("host exploded on {}", params[0].i32().unwrap());
        });
        for _ in 0..3 {
            let err = call(&mut store, &instance, "run", &[Val::I32(7)]).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("panicked"), "{text}");
            assert!(text.contains("host exploded on 7"), "{text}");
        }
        let sum = call(&mut store, &instance, "add", &[Val::I32(1), Val::I32(1)]).unwrap();
        assert_eq!(sum[0].i32(), Some(2));
    });
}
