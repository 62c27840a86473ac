//! Memories created from copy-on-write images and reused from the reservation pool: every
//! instance starts from exactly the module's initial contents, whatever earlier instances
//! of it (or of other modules) wrote, grew or trapped.

use stagec::*;

fn engine() -> Engine {
    Engine::new(Config::default()).unwrap()
}

const DATA: &str = r#"(module
  (memory (export "mem") 2 4)
  (data (i32.const 8) "hello")
  (data (i32.const 70000) "world")
  (data (i32.const 10) "LL")
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

const ZEROS: &str = r#"(module
  (memory (export "mem") 2 4)
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

fn call(store: &mut Store, instance: &Instance, name: &str, args: &[i32]) -> Option<i32> {
    let f = instance.get_func(store, name).unwrap();
    let args: Vec<Val> = args.iter().map(|&a| Val::I32(a)).collect();
    let mut out = vec![Val::I32(0); f.ty(store).results.len()];
    f.call(store, &args, &mut out).unwrap();
    out.first().and_then(|v| v.i32())
}

fn memory(store: &Store, instance: &Instance) -> Vec<u8> {
    instance
        .get_memory(store, "mem")
        .unwrap()
        .data(store)
        .to_vec()
}

fn expected_data() -> Vec<u8> {
    let mut m = vec![0u8; 2 * 65536];
    m[8..13].copy_from_slice(b"hello");
    m[70000..70005].copy_from_slice(b"world");
    m[10..12].copy_from_slice(b"LL");
    m
}

#[test]
fn every_instance_starts_from_the_initial_contents() {
    let engine = engine();
    let data = Module::new(&engine, DATA).unwrap();
    let zeros = Module::new(&engine, ZEROS).unwrap();
    for round in 0..50 {
        // Instances of both modules alternate, so reservations move between them.
        let mut store = Store::new(&engine);
        let d = Linker::new().instantiate(&mut store, &data).unwrap();
        assert_eq!(memory(&store, &d), expected_data(), "round {round}");
        let z = Linker::new().instantiate(&mut store, &zeros).unwrap();
        assert!(memory(&store, &z).iter().all(|&b| b == 0), "round {round}");
        // Dirty them: writes over the image, writes elsewhere, and growth now and then.
        for at in [8, 9, 4096, 70001, 131071] {
            call(&mut store, &d, "store", &[at, 0x5a]);
            call(&mut store, &z, "store", &[at, 0x5a]);
        }
        if round % 3 == 0 {
            assert_eq!(call(&mut store, &d, "grow", &[1]), Some(2));
            call(&mut store, &d, "store", &[140000, 7]);
        }
        if round % 4 == 1 {
            assert_eq!(call(&mut store, &z, "grow", &[2]), Some(2));
            call(&mut store, &z, "store", &[200000, 7]);
        }
        assert_eq!(call(&mut store, &d, "load", &[8]), Some(0x5a));
    }
}

#[test]
fn live_instances_do_not_share_pages() {
    let engine = engine();
    let data = Module::new(&engine, DATA).unwrap();
    let mut store = Store::new(&engine);
    let a = Linker::new().instantiate(&mut store, &data).unwrap();
    let b = Linker::new().instantiate(&mut store, &data).unwrap();
    call(&mut store, &a, "store", &[8, 1]);
    assert_eq!(call(&mut store, &b, "load", &[8]), Some(b'h' as i32));
    assert_eq!(call(&mut store, &a, "load", &[8]), Some(1));
}

#[test]
fn segments_that_trap_or_are_not_constant_still_follow_the_spec() {
    let engine = engine();
    // Out of bounds: instantiation traps (no image can be built).
    let oob = Module::new(
        &engine,
        r#"(module (memory 1) (data (i32.const 65534) "abc"))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine);
    let err = Linker::new().instantiate(&mut store, &oob).unwrap_err();
    assert_eq!(
        err.as_trap().and_then(|t| t.kind()),
        Some(TrapKind::MemoryOutOfBounds)
    );
    // An offset from an imported global: applied at instantiation.
    let imported = Module::new(
        &engine,
        r#"(module (import "env" "at" (global i32)) (memory (export "mem") 1)
                   (data (global.get 0) "xy"))"#,
    )
    .unwrap();
    for at in [0, 100, 65534] {
        let mut store = Store::new(&engine);
        let mut linker = Linker::new();
        let g = Global::new(
            &mut store,
            GlobalType {
                ty: ValType::I32,
                mutable: false,
            },
            Val::I32(at),
        )
        .unwrap();
        linker.define("env", "at", Extern::from(g));
        let i = linker.instantiate(&mut store, &imported).unwrap();
        let m = memory(&store, &i);
        assert_eq!(&m[at as usize..at as usize + 2], b"xy");
    }
    // Active segments are dropped after instantiation: memory.init of one traps on any
    // non-empty length, with or without an image.
    let dropped = Module::new(
        &engine,
        r#"(module (memory 1) (data (i32.const 0) "abc")
             (func (export "init") (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 1))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine);
    let i = Linker::new().instantiate(&mut store, &dropped).unwrap();
    let f = i.get_func(&store, "init").unwrap();
    let err = f.call(&mut store, &[], &mut []).unwrap_err();
    assert_eq!(
        err.as_trap().and_then(|t| t.kind()),
        Some(TrapKind::MemoryOutOfBounds)
    );
}
