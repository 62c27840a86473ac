//! End-to-end tests of the library API: linking all four kinds of imports, host
//! functions, globals, tables, memories, and traps surfacing as typed errors.

use stagec::*;

fn engine() -> Engine {
    Engine::new(Config::default()).unwrap()
}

#[test]
fn links_all_import_kinds_and_calls_host() {
    let engine = engine();
    let mut store = Store::new(&engine);
    let double = Func::new(
        &mut store,
        FuncType::new([ValType::I32], [ValType::I32]),
        |_, params, results| {
            results[0] = Val::I32(params[0].i32().unwrap() * 2);
            Ok(())
        },
    )
    .unwrap();
    let g = Global::new(
        &mut store,
        GlobalType {
            ty: ValType::I64,
            mutable: true,
        },
        Val::I64(5),
    )
    .unwrap();
    let mem = Memory::new(
        &mut store,
        MemoryType {
            limits: Limits {
                min: 1,
                max: Some(4),
            },
            index: stagec::IndexType::I32,
        },
    )
    .unwrap();
    let table = Table::new(
        &mut store,
        TableType {
            element: ValType::FuncRef,
            limits: Limits { min: 4, max: None },
            index: stagec::IndexType::I32,
        },
        Val::FuncRef(None),
    )
    .unwrap();
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "double" (func $double (param i32) (result i32)))
            (import "env" "g" (global $g (mut i64)))
            (import "env" "mem" (memory 1 4))
            (import "env" "table" (table 4 funcref))
            (type $ii (func (param i32) (result i32)))
            (elem (i32.const 1) $inc)
            (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
            (func (export "run") (param i32) (result i32)
              (global.set $g (i64.add (global.get $g) (i64.const 1)))
              (i32.store (i32.const 8) (call $double (local.get 0)))
              (call_indirect (type $ii) (i32.load (i32.const 8)) (i32.const 1)))
            (func (export "grow") (result i32) (memory.grow (i32.const 1)))
            (func (export "pair") (result i32 i64 f32 f64)
              (i32.const -1) (i64.const -2) (f32.const 1.5) (f64.const 2.25))
            (func (export "indirect") (param i32) (result i32)
              (call_indirect (type $ii) (i32.const 0) (local.get 0))))"#,
    )
    .unwrap();
    let mut linker = Linker::new();
    linker
        .define("env", "double", double)
        .define("env", "g", g)
        .define("env", "mem", mem)
        .define("env", "table", table);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_func(&store, "run").unwrap();
    let mut out = [Val::I32(0)];
    run.call(&mut store, &[Val::I32(20)], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(41));
    assert_eq!(g.get(&store).i64(), Some(6));
    assert_eq!(&mem.data(&store)[8..12], &40i32.to_le_bytes());

    let grow = instance.get_func(&store, "grow").unwrap();
    grow.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(1));
    assert_eq!(mem.size(&store), 2);

    let pair = instance.get_func(&store, "pair").unwrap();
    let mut four = [Val::I32(0), Val::I64(0), Val::F32(0), Val::F64(0)];
    pair.call(&mut store, &[], &mut four).unwrap();
    assert_eq!(four[0].i32(), Some(-1));
    assert_eq!(four[1].i64(), Some(-2));
    assert_eq!(four[2].f32(), Some(1.5));
    assert_eq!(four[3].f64(), Some(2.25));

    let indirect = instance.get_func(&store, "indirect").unwrap();
    let err = indirect
        .call(&mut store, &[Val::I32(0)], &mut out)
        .unwrap_err();
    assert_eq!(
        err.as_trap().and_then(|t| t.kind()),
        Some(TrapKind::UninitializedElement)
    );
    let err = indirect
        .call(&mut store, &[Val::I32(9)], &mut out)
        .unwrap_err();
    assert_eq!(
        err.as_trap().and_then(|t| t.kind()),
        Some(TrapKind::UndefinedElement)
    );
    // A host function placed in the table is callable indirectly.
    table
        .set(&mut store, 2, Val::FuncRef(Some(double)))
        .unwrap();
    indirect.call(&mut store, &[Val::I32(2)], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(0));
}

#[test]
fn traps_carry_kind_and_offset() {
    let engine = engine();
    let mut store = Store::new(&engine);
    let module = Module::new(
        &engine,
        r#"(module (memory 1)
            (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
            (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#,
    )
    .unwrap();
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let div = instance.get_func(&store, "div").unwrap();
    let load = instance.get_func(&store, "load").unwrap();
    let mut out = [Val::I32(0)];
    let err = div
        .call(&mut store, &[Val::I32(1), Val::I32(0)], &mut out)
        .unwrap_err();
    let trap = err.as_trap().unwrap();
    assert_eq!(trap.kind(), Some(TrapKind::IntegerDivisionByZero));
    assert!(trap.wasm_offset().is_some());
    assert!(err.to_string().contains("integer divide by zero"));
    let err = div
        .call(&mut store, &[Val::I32(i32::MIN), Val::I32(-1)], &mut out)
        .unwrap_err();
    assert_eq!(
        err.as_trap().unwrap().kind(),
        Some(TrapKind::IntegerOverflow)
    );
    for addr in [65533, 65536, -1] {
        let err = load
            .call(&mut store, &[Val::I32(addr)], &mut out)
            .unwrap_err();
        assert_eq!(
            err.as_trap().unwrap().kind(),
            Some(TrapKind::MemoryOutOfBounds),
            "address {addr}"
        );
    }
    load.call(&mut store, &[Val::I32(65532)], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(0));
}

#[test]
fn missing_and_mismatched_imports_are_named() {
    let engine = engine();
    let mut store = Store::new(&engine);
    let module = Module::new(&engine, r#"(module (import "env" "f" (func (param i32))))"#).unwrap();
    let err = Linker::new().instantiate(&mut store, &module).unwrap_err();
    assert!(err.to_string().contains("unknown import"), "{err}");
    assert!(err.to_string().contains("`env`.`f`"), "{err}");
    let wrong = Func::new(&mut store, FuncType::new([], []), |_, _, _| Ok(())).unwrap();
    let mut linker = Linker::new();
    linker.define("env", "f", wrong);
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(
        err.to_string().contains("incompatible import type"),
        "{err}"
    );
}

#[test]
fn malformed_and_invalid_modules_report_offsets() {
    let engine = engine();
    let err = Module::new(&engine, b"\0asm\x01\0\0\0\x01\x05").unwrap_err();
    assert!(err.to_string().contains("offset 0x"), "{err}");
    let err = Module::new(&engine, r#"(module (func (result i32) (i64.const 1)))"#).unwrap_err();
    assert!(err.to_string().contains("type mismatch"), "{err}");
    assert!(err.to_string().contains("offset 0x"), "{err}");
}

/// `memory.copy` with a small constant length is inlined by codegen: bounds are checked
/// before any byte moves, overlapping ranges copy correctly, and zero-length copies are
/// checked against the end of memory.
#[test]
fn small_constant_memory_copy() {
    let engine = engine();
    let mut store = Store::new(&engine);
    let module = Module::new(
        &engine,
        r#"(module (memory (export "m") 1)
            (data (i32.const 0) "0123456789abcdefghijklmnopqrstuvwxyz")
            (func (export "fwd") (param i32 i32) (memory.copy (local.get 0) (local.get 1) (i32.const 13)))
            (func (export "big") (param i32 i32) (memory.copy (local.get 0) (local.get 1) (i32.const 128)))
            (func (export "zero") (param i32 i32) (memory.copy (local.get 0) (local.get 1) (i32.const 0))))"#,
    )
    .unwrap();
    let i = Linker::new().instantiate(&mut store, &module).unwrap();
    let mem = i.get_memory(&store, "m").unwrap();
    let call = |store: &mut Store, name: &str, a: i32, b: i32| {
        i.get_func(store, name)
            .unwrap()
            .call(store, &[Val::I32(a), Val::I32(b)], &mut [])
    };
    call(&mut store, "fwd", 2, 0).unwrap(); // overlapping, destination after source
    assert_eq!(&mem.data(&store)[..16], b"010123456789abcf");
    call(&mut store, "fwd", 0, 3).unwrap(); // overlapping, destination before source
    assert_eq!(&mem.data(&store)[..16], b"123456789abcfbcf");
    let before = mem.data(&store).to_vec();
    for (d, s) in [(65536 - 12, 0), (0, 65536 - 12), (-1, 0)] {
        let err = call(&mut store, "fwd", d, s).unwrap_err();
        assert_eq!(
            err.as_trap().unwrap().kind(),
            Some(TrapKind::MemoryOutOfBounds)
        );
    }
    let err = call(&mut store, "big", 65536 - 127, 0).unwrap_err();
    assert_eq!(
        err.as_trap().unwrap().kind(),
        Some(TrapKind::MemoryOutOfBounds)
    );
    assert!(
        mem.data(&store) == before.as_slice(),
        "a trapping copy wrote memory"
    );
    call(&mut store, "fwd", 65536 - 13, 65536 - 13).unwrap();
    call(&mut store, "zero", 65536, 65536).unwrap();
    let err = call(&mut store, "zero", 65537, 0).unwrap_err();
    assert_eq!(
        err.as_trap().unwrap().kind(),
        Some(TrapKind::MemoryOutOfBounds)
    );
}

#[test]
fn a_host_grown_table_is_seen_by_code_bound_to_it() {
    let engine = engine();
    let mut store = Store::new(&engine);
    let table = Table::new(
        &mut store,
        TableType {
            element: ValType::FuncRef,
            limits: Limits {
                min: 1,
                max: Some(3),
            },
            index: stagec::IndexType::I32,
        },
        Val::FuncRef(None),
    )
    .unwrap();
    let wat = r#"(module
        (import "env" "table" (table 1 funcref))
        (type $r (func (result i32)))
        (func (export "size") (result i32) (table.size 0))
        (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0))))"#;
    let seven = Module::new(
        &engine,
        r#"(module (func (export "f") (result i32) (i32.const 7)))"#,
    )
    .unwrap();
    let seven = Instance::new(&mut store, &seven, &[]).unwrap();
    let f = seven.get_func(&store, "f").unwrap();
    // As a runtime import, and bound at compile time (a fixed address).
    let generic = Module::new(&engine, wat).unwrap();
    let generic = Instance::new(&mut store, &generic, &[table.into()]).unwrap();
    let mut pre = stagec::Preimports::new();
    pre.bind("env", "table", stagec::Preimport::Extern(table.into()));
    let bound = Module::with_preimports_in(&mut store, wat, &pre).unwrap();
    let bound = Instance::new(&mut store, &bound, &[]).unwrap();
    assert_eq!(table.grow(&mut store, 2, Val::FuncRef(Some(f))).unwrap(), 1);
    assert_eq!(table.size(&store), 3);
    for instance in [generic, bound] {
        let mut out = [Val::I32(0)];
        instance
            .get_func(&store, "size")
            .unwrap()
            .call(&mut store, &[], &mut out)
            .unwrap();
        assert_eq!(out[0].i32(), Some(3));
        instance
            .get_func(&store, "call")
            .unwrap()
            .call(&mut store, &[Val::I32(2)], &mut out)
            .unwrap();
        assert_eq!(out[0].i32(), Some(7));
    }
    let err = table.grow(&mut store, 1, Val::FuncRef(None)).unwrap_err();
    assert!(err.to_string().contains("table cannot grow"), "{err}");
    assert!(
        table.grow(&mut store, 1, Val::I32(0)).is_err(),
        "a value of the wrong type"
    );
    assert_eq!(table.size(&store), 3);
}

#[test]
fn host_functions_of_a_new_signature_made_on_many_threads_at_once_all_run() {
    // Each round's signature is new to the engine, so every thread asks for its host
    // adapter at the same moment; each must keep working after the others got theirs.
    let engine = engine();
    for round in 0..20usize {
        let ty = FuncType::new(vec![ValType::F64; 9 + round], [ValType::I64]);
        let threads = 4;
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (engine, ty, barrier) = (engine.clone(), ty.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = Store::new(&engine);
                    barrier.wait();
                    let f = Func::new(&mut store, ty.clone(), move |_, params, results| {
                        results[0] = Val::I64(params.len() as i64 * 100 + t as i64);
                        Ok(())
                    })
                    .unwrap();
                    // Once every thread has its function, map more code (the adapter of
                    // another new signature per thread), which would reuse the pages of
                    // an adapter dropped meanwhile.
                    barrier.wait();
                    let other = FuncType::new(vec![ValType::I32; 40 + 8 * round + t], []);
                    Func::new(&mut store, other, |_, _, _| Ok(())).unwrap();
                    let params = vec![Val::F64(1.0f64.to_bits()); ty.params.len()];
                    let mut out = [Val::I64(0)];
                    f.call(&mut store, &params, &mut out).unwrap();
                    out[0].i64()
                })
            })
            .collect();
        for (t, h) in handles.into_iter().enumerate() {
            let expected = (9 + round) as i64 * 100 + t as i64;
            assert_eq!(h.join().unwrap(), Some(expected));
        }
    }
}
