//! Wasm backtraces: a trap carries the wasm frames active when it happened, innermost
//! first, each naming its function (index, name-section name) and the operator it was
//! executing: the trapping one in the innermost frame, the `call` in every other.

use stagec::{Config, Engine, Error, Func, FuncType, Linker, Module, Store, Val, WasmFrame};

const WAT: &str = r#"
(module
  (import "host" "fail" (func $fail))
  (func $leaf (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then (unreachable)))
    (if (i32.eq (local.get 0) (i32.const 1)) (then (call $fail)))
    (i32.div_s (i32.const 1) (i32.sub (local.get 0) (i32.const 2))))
  (func $middle (param i32) (result i32)
    (i32.add (i32.const 1) (call $leaf (local.get 0))))
  (func (export "outer") (param i32) (result i32)
    (call $middle (local.get 0)))
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (i32.const 1) (call $recurse (local.get 0)))))
"#;

fn instance(engine: &Engine, store: &mut Store) -> (stagec::Instance, Vec<u8>) {
    let bytes = wat::parse_str(WAT).expect("wat");
    let module = Module::new(engine, &bytes).expect("compile");
    let fail = Func::new(store, FuncType::new([], []), |_, _, _| {
        Err(Error::host("the host said no"))
    })
    .expect("host function");
    let mut linker = Linker::new();
    linker.define("host", "fail", fail);
    (
        linker.instantiate(store, &module).expect("instantiate"),
        bytes,
    )
}

fn trap_of(store: &mut Store, instance: &stagec::Instance, func: &str, arg: i32) -> Error {
    let f = instance.get_func(store, func).expect("export");
    f.call(store, &[Val::I32(arg)], &mut [Val::I32(0)])
        .expect_err("traps")
}

fn names(frames: &[WasmFrame]) -> Vec<(u32, Option<&str>)> {
    frames
        .iter()
        .map(|f| (f.func_index, f.func_name.as_deref()))
        .collect()
}

#[test]
fn traps_name_their_frames_and_operators() {
    let engine = Engine::new(Config::default()).expect("engine");
    let mut store = Store::new(&engine);
    let (instance, bytes) = instance(&engine, &mut store);
    // The text format names functions in the name section; the export has no name.
    let expected = [(1, Some("leaf")), (2, Some("middle")), (3, None)];
    // 0: unreachable (a conditional trap: Cranelift folds it into the branch of its `if`),
    // 1: the host function fails (a trap after the `call` returns), 2: division by zero.
    let opcodes = [0x04, 0x10, 0x6d];
    for (arg, trap_opcode) in opcodes.into_iter().enumerate() {
        let err = trap_of(&mut store, &instance, "outer", arg as i32);
        let trap = err.as_trap().expect("a trap");
        let backtrace = trap.backtrace();
        assert_eq!(
            names(&backtrace.frames),
            expected,
            "arg {arg}: {backtrace:?}"
        );
        assert_eq!(backtrace.omitted, 0);
        let offsets: Vec<usize> = backtrace
            .frames
            .iter()
            .map(|f| f.wasm_offset.expect("every frame knows its operator") as usize)
            .collect();
        assert_eq!(
            bytes[offsets[0]], trap_opcode,
            "arg {arg}: the trapping operator"
        );
        // The callers' frames are at their `call` operators, to the right function.
        assert_eq!(
            &bytes[offsets[1]..offsets[1] + 2],
            [0x10, 1],
            "middle calls leaf"
        );
        assert_eq!(
            &bytes[offsets[2]..offsets[2] + 2],
            [0x10, 2],
            "outer calls middle"
        );
        if trap_opcode != 0x10 {
            assert_eq!(trap.wasm_offset(), Some(offsets[0] as u32));
        } else {
            assert_eq!(bytes[offsets[0] + 1], 0, "leaf calls the import");
        }
    }
}

#[test]
fn a_precompiled_module_has_the_same_backtraces() {
    let engine = Engine::new(Config::default()).expect("engine");
    let mut store = Store::new(&engine);
    let (instance, bytes) = instance(&engine, &mut store);
    let compiled = Module::new(&engine, &bytes).expect("compile");
    let loaded = Module::deserialize(&engine, &compiled.serialize().expect("serialize"))
        .expect("deserialize");
    let mut loaded_store = Store::new(&engine);
    let fail = Func::new(&mut loaded_store, FuncType::new([], []), |_, _, _| {
        Err(Error::host("the host said no"))
    })
    .expect("host function");
    let mut linker = Linker::new();
    linker.define("host", "fail", fail);
    let loaded_instance = linker
        .instantiate(&mut loaded_store, &loaded)
        .expect("instantiate");
    for arg in 0..3 {
        let compiled_trap = trap_of(&mut store, &instance, "outer", arg);
        let loaded_trap = trap_of(&mut loaded_store, &loaded_instance, "outer", arg);
        let backtrace = |e: &Error| e.as_trap().expect("a trap").backtrace().clone();
        assert_eq!(backtrace(&compiled_trap), backtrace(&loaded_trap));
        assert_eq!(backtrace(&loaded_trap).frames.len(), 3);
    }
}

#[test]
fn a_stack_overflow_records_the_innermost_frames_and_counts_the_rest() {
    let config = Config::default().with_max_wasm_stack(256 << 10);
    let engine = Engine::new(config).expect("engine");
    let mut store = Store::new(&engine);
    let (instance, _) = instance(&engine, &mut store);
    for _ in 0..3 {
        let err = trap_of(&mut store, &instance, "recurse", 0);
        let backtrace = err.as_trap().expect("a trap").backtrace();
        assert_eq!(backtrace.frames.len(), stagec::MAX_BACKTRACE_FRAMES);
        assert!(backtrace.omitted > 0, "{}", backtrace.omitted);
        assert!(
            backtrace
                .frames
                .iter()
                .all(|f| f.func_index == 4 && f.func_name.as_deref() == Some("recurse"))
        );
    }
    // The store still runs, and a trap afterwards has its own short backtrace.
    let err = trap_of(&mut store, &instance, "outer", 0);
    assert_eq!(err.as_trap().expect("a trap").backtrace().frames.len(), 3);
}

#[test]
fn a_trap_outside_wasm_code_has_no_frames() {
    let engine = Engine::new(Config::default()).expect("engine");
    let mut store = Store::new(&engine);
    // An out-of-bounds data segment traps while the instance is initialized.
    let bytes =
        wat::parse_str(r#"(module (memory 1) (data (i32.const 65535) "ab"))"#).expect("wat");
    let module = Module::new(&engine, &bytes).expect("compile");
    let err = Linker::new()
        .instantiate(&mut store, &module)
        .expect_err("traps");
    let trap = err.as_trap().expect("a trap");
    assert!(trap.backtrace().frames.is_empty(), "{:?}", trap.backtrace());
}
