//! Host functions ending a program and reaching its memory: `Error::Exit` unwinds through
//! wasm frames to the outermost call and stays an exit (WASI's `proc_exit`), `Error::host`
//! carries any error through them as a trap (whose sources lead to it), and `Caller::data` / `Caller::data_mut` give
//! a host function the caller's memory.

use stagec::{
    Caller, Config, Engine, Error, Extern, Func, FuncType, Linker, Module, Store, Val, ValType,
};

const WAT: &str = r#"
(module
  (import "host" "act" (func $act (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "abc")
  (func $down (export "down") (param $depth i32) (param $what i32) (result i32)
    (if (result i32) (i32.eqz (local.get $depth))
      (then (call $act (local.get $what)))
      (else (i32.add (i32.const 1)
        (call $down (i32.sub (local.get $depth) (i32.const 1)) (local.get $what)))))))
"#;

#[derive(Debug)]
struct Custom;

impl std::fmt::Display for Custom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the custom host error")
    }
}

impl std::error::Error for Custom {}

/// `act(what)`: 0 returns the sum of the first three memory bytes after upper-casing them
/// in place; 1..=125 exits with that status; 200 fails with `Custom`; 300 reads a memory
/// of another store (a panic, reported as a trap).
fn act(
    foreign: stagec::Memory,
) -> impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> stagec::Result<()> {
    move |caller, params, results| {
        let Val::I32(what) = params[0] else {
            unreachable!()
        };
        let memory = caller
            .get_export("memory")
            .and_then(Extern::into_memory)
            .expect("memory");
        match what {
            0 => {
                caller.data_mut(&memory)[..3].make_ascii_uppercase();
                let sum: i32 = caller.data(&memory)[..3].iter().map(|b| *b as i32).sum();
                results[0] = Val::I32(sum);
                Ok(())
            }
            1..=125 => Err(Error::Exit(what)),
            200 => Err(Error::host(Custom)),
            _ => {
                let _ = caller.data(&foreign);
                Ok(())
            }
        }
    }
}

#[test]
fn exits_and_host_errors_unwind_and_the_store_stays_usable() {
    let engine = Engine::new(Config::default()).expect("engine");
    let module = Module::new(&engine, wat::parse_str(WAT).expect("wat")).expect("compile");
    let mut other = Store::new(&engine);
    let foreign = stagec::Memory::new(
        &mut other,
        stagec::MemoryType {
            limits: stagec::Limits { min: 1, max: None },
            index: stagec::IndexType::I32,
        },
    )
    .expect("memory");
    let mut store = Store::new(&engine);
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    let host = Func::new(&mut store, ty, act(foreign)).expect("host function");
    let mut linker = Linker::new();
    linker.define("host", "act", host);
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiate");
    let down = instance.get_func(&store, "down").expect("down");
    let call = |store: &mut Store, what: i32| {
        let mut result = [Val::I32(0)];
        down.call(store, &[Val::I32(20), Val::I32(what)], &mut result)
            .map(|()| match result[0] {
                Val::I32(v) => v,
                _ => unreachable!(),
            })
    };
    for round in 0..3 {
        // Through 20 wasm frames and back: a status, not a trap.
        let err = call(&mut store, 42).expect_err("exits");
        assert!(matches!(err, Error::Exit(42)), "round {round}: {err:?}");
        assert_eq!(err.exit_code(), Some(42));
        assert!(err.as_trap().is_none());
        // A host error is a trap that says what the host said.
        let err = call(&mut store, 200).expect_err("fails");
        assert!(err.as_trap().is_some(), "{err:?}");
        assert_eq!(err.exit_code(), None);
        assert_eq!(
            err.to_string(),
            "host function error: the custom host error"
        );
        let mut source = std::error::Error::source(&err);
        let mut found = false;
        while let Some(s) = source {
            found |= s.is::<Custom>();
            source = s.source();
        }
        assert!(found, "the host's error is a source of the trap: {err:?}");
        // The memory of another store is refused (a panic, caught, reported as a trap).
        let err = call(&mut store, 300).expect_err("panics");
        assert!(err.to_string().contains("does not belong to"), "{err}");
        // And the store still runs: the host function changed the caller's memory.
        assert_eq!(
            call(&mut store, 0).expect("runs"),
            20 + (b'A' + b'B' + b'C') as i32
        );
    }
    let memory = instance.get_memory(&store, "memory").expect("memory");
    assert_eq!(&memory.data(&store)[..3], b"ABC");
    // A host function called from the host has no calling instance, and its exit is an
    // exit all the same.
    let exit = Func::new(&mut store, FuncType::new([], []), |_, _, _| {
        Err(Error::Exit(7))
    })
    .expect("host function");
    let err = exit.call(&mut store, &[], &mut []).expect_err("exits");
    assert_eq!(err.exit_code(), Some(7));
}
