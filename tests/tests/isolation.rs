//! Isolation: wasm code reaches nothing outside its own linear memory and tables, and
//! never sees a host value it was not given.
//!
//! - Memory: every load and store width at addresses and static offsets up to and near
//!   4 GiB (the effective address is 33 bits wide) either matches a byte-exact model of the
//!   memory or traps with "out of bounds memory access", leaves the memory unchanged, and
//!   leaves a neighbouring instance's memory alone; after `memory.grow`, again. The same
//!   for bulk operations, and for addresses built from a preimported base that
//!   specialization folds into displacements (generic and specialized builds must agree
//!   with the model).
//! - Tables: `call_indirect`, `table.get/set/fill/copy/init` and `table.grow` at and past
//!   the bounds, up to index 0xffff_ffff, with a preimported (fixed-address) table too.
//! - Host values: uninitialised locals are zero even when the stack was dirtied first,
//!   fresh and grown memory is zero, i32 arguments arrive without stale upper bits,
//!   externref payloads round-trip unread, function references of one store are refused
//!   by another.

use stagec::{
    Config, Engine, Error, Extern, ExternRef, Func, FuncType, Global, GlobalType, Instance, Module,
    Preimport, Preimports, Store, TableType, TrapKind, Val, ValType,
};

const THREAD_STACK: usize = 64 << 20;
const PAGE: u64 = 65536;

fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(THREAD_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("test thread panicked");
}

fn engine() -> Engine {
    Engine::new(Config::default()).expect("engine")
}

use stagec_tests::call_export as call;

fn trap_kind(r: &Result<Vec<Val>, Error>) -> Option<TrapKind> {
    r.as_ref()
        .err()
        .and_then(|e| e.as_trap())
        .and_then(|t| t.kind())
}

/// Static offsets tried: small, around one page, and up to the 4 GiB limit.
const OFFSETS: &[u32] = &[
    0,
    1,
    4,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_0000,
    0xffff_fff8,
    0xffff_ffff,
];

/// Dynamic addresses tried.
const ADDRS: &[u32] = &[
    0,
    1,
    0xfff8,
    0xfffc,
    0xffff,
    0x1_0000,
    0x1_fff8,
    0x2_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_0000,
    0xffff_fff8,
    0xffff_fffc,
    0xffff_ffff,
];

/// Loads: (name, access size, WAT of the access producing an i64).
const LOADS: &[(&str, u64, &str)] = &[
    (
        "l8",
        1,
        "(i64.extend_i32_u (i32.load8_u offset=OFF (local.get 0)))",
    ),
    (
        "l16",
        2,
        "(i64.extend_i32_u (i32.load16_u offset=OFF (local.get 0)))",
    ),
    (
        "l32",
        4,
        "(i64.extend_i32_u (i32.load offset=OFF (local.get 0)))",
    ),
    ("l64", 8, "(i64.load offset=OFF (local.get 0))"),
    (
        "lf32",
        4,
        "(i64.extend_i32_u (i32.reinterpret_f32 (f32.load offset=OFF (local.get 0))))",
    ),
    (
        "lf64",
        8,
        "(i64.reinterpret_f64 (f64.load offset=OFF (local.get 0)))",
    ),
];

/// Stores of the low `size` bytes of an i64: (name, size, WAT).
const STORES: &[(&str, u64, &str)] = &[
    (
        "s8",
        1,
        "(i64.store8 offset=OFF (local.get 0) (local.get 1))",
    ),
    (
        "s16",
        2,
        "(i64.store16 offset=OFF (local.get 0) (local.get 1))",
    ),
    (
        "s32",
        4,
        "(i64.store32 offset=OFF (local.get 0) (local.get 1))",
    ),
    (
        "s64",
        8,
        "(i64.store offset=OFF (local.get 0) (local.get 1))",
    ),
    (
        "sf64",
        8,
        "(f64.store offset=OFF (local.get 0) (f64.reinterpret_i64 (local.get 1)))",
    ),
];

fn memory_module() -> String {
    let mut wat = String::from("(module (memory (export \"mem\") 1 4)\n");
    for off in OFFSETS {
        for (name, _, body) in LOADS {
            wat.push_str(&format!(
                "(func (export \"{name}_{off}\") (param i32) (result i64) {})\n",
                body.replace("OFF", &off.to_string())
            ));
        }
        for (name, _, body) in STORES {
            wat.push_str(&format!(
                "(func (export \"{name}_{off}\") (param i32 i64) {})\n",
                body.replace("OFF", &off.to_string())
            ));
        }
    }
    wat.push_str(
        r#"(func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
           (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
           (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
           (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
           (data $d "0123456789abcdef"))"#,
    );
    wat
}

fn le(bytes: &[u8]) -> u64 {
    let mut v = [0u8; 8];
    v[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(v)
}

/// Every load and store at every (address, offset) against the model `shadow`.
fn check_accesses(store: &mut Store, instance: &Instance, shadow: &mut [u8]) -> usize {
    let mem = instance.get_memory(store, "mem").expect("memory");
    let mut checked = 0;
    for off in OFFSETS {
        for addr in ADDRS {
            let ea = *addr as u64 + *off as u64;
            for (name, size, _) in LOADS {
                let r = call(
                    store,
                    instance,
                    &format!("{name}_{off}"),
                    &[Val::I32(*addr as i32)],
                );
                let what = format!("{name} offset={off:#x} at {addr:#x}");
                if ea + size <= shadow.len() as u64 {
                    let got = r.unwrap_or_else(|e| panic!("{what}: in bounds, got {e}"));
                    let want = le(&shadow[ea as usize..(ea + size) as usize]);
                    assert_eq!(got[0].i64(), Some(want as i64), "{what}");
                } else {
                    assert_eq!(
                        trap_kind(&r),
                        Some(TrapKind::MemoryOutOfBounds),
                        "{what}: {r:?}"
                    );
                }
                checked += 1;
            }
            for (name, size, _) in STORES {
                let value = 0x0102_0304_0506_0708u64 ^ (ea.wrapping_mul(0x9e37_79b9));
                let r = call(
                    store,
                    instance,
                    &format!("{name}_{off}"),
                    &[Val::I32(*addr as i32), Val::I64(value as i64)],
                );
                let what = format!("{name} offset={off:#x} at {addr:#x}");
                if ea + size <= shadow.len() as u64 {
                    r.unwrap_or_else(|e| panic!("{what}: in bounds, got {e}"));
                    shadow[ea as usize..(ea + size) as usize]
                        .copy_from_slice(&value.to_le_bytes()[..*size as usize]);
                } else {
                    assert_eq!(
                        trap_kind(&r),
                        Some(TrapKind::MemoryOutOfBounds),
                        "{what}: {r:?}"
                    );
                }
                checked += 1;
            }
        }
        // A trapping store writes nothing, not even its in-bounds part.
        assert!(
            mem.data(store) == &shadow[..],
            "memory differs from the model after offset {off:#x}"
        );
    }
    checked
}

#[test]
fn loads_and_stores_near_4gib_trap_or_match_the_model() {
    on_big_stack(|| {
        let engine = engine();
        let module = Module::new(&engine, memory_module()).expect("compiles");
        let mut store = Store::new(&engine);
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        // A neighbour whose memory must never change.
        let neighbour_module =
            Module::new(&engine, r#"(module (memory (export "mem") 1 1))"#).expect("compiles");
        let neighbour = Instance::new(&mut store, &neighbour_module, &[]).expect("instantiates");
        let nmem = neighbour.get_memory(&store, "mem").unwrap();
        nmem.data_mut(&mut store).fill(0xaa);

        let mem = instance.get_memory(&store, "mem").unwrap();
        for (i, b) in mem.data_mut(&mut store).iter_mut().enumerate() {
            *b = (i * 7 + 3) as u8;
        }
        let mut shadow = mem.data(&store).to_vec();
        let mut checked = check_accesses(&mut store, &instance, &mut shadow);

        // Grown pages are zero, and now in bounds.
        let old = call(&mut store, &instance, "grow", &[Val::I32(1)]).unwrap();
        assert_eq!(old[0].i32(), Some(1));
        assert!(
            mem.data(&store)[PAGE as usize..].iter().all(|b| *b == 0),
            "grown page is not zero"
        );
        shadow.resize(2 * PAGE as usize, 0);
        checked += check_accesses(&mut store, &instance, &mut shadow);
        // Past the maximum: -1, nothing changes.
        let r = call(&mut store, &instance, "grow", &[Val::I32(3)]).unwrap();
        assert_eq!(r[0].i32(), Some(-1));
        let r = call(&mut store, &instance, "grow", &[Val::I32(-1)]).unwrap();
        assert_eq!(r[0].i32(), Some(-1));
        assert_eq!(mem.size(&store), 2);

        // Bulk operations: out of bounds traps before writing anything.
        let len = shadow.len() as i64;
        let bulk: &[(&str, [i64; 3])] = &[
            ("fill", [len - 4, 0x55, 5]),
            ("fill", [0, 0x55, len + 1]),
            ("fill", [0xffff_ffff, 0x55, 1]),
            ("fill", [1, 0x55, 0xffff_ffff]),
            ("copy", [len - 2, 0, 3]),
            ("copy", [0, len - 2, 3]),
            ("copy", [0, 0xffff_fff0, 0x20]),
            ("copy", [0xffff_fff0, 0, 0x20]),
            ("init", [len - 2, 0, 4]),
            ("init", [0, 10, 7]),
            ("init", [0xffff_ffff, 0, 2]),
        ];
        for (name, args) in bulk {
            let args: Vec<Val> = args.iter().map(|a| Val::I32(*a as i32)).collect();
            let r = call(&mut store, &instance, name, &args);
            assert_eq!(
                trap_kind(&r),
                Some(TrapKind::MemoryOutOfBounds),
                "{name}{args:?}: {r:?}"
            );
            assert!(
                mem.data(&store) == &shadow[..],
                "{name}{args:?} wrote before trapping"
            );
            checked += 1;
        }
        // In bounds at the very end: fine.
        call(
            &mut store,
            &instance,
            "fill",
            &[Val::I32(len as i32 - 4), Val::I32(0x55), Val::I32(4)],
        )
        .unwrap();
        shadow[len as usize - 4..].fill(0x55);
        call(
            &mut store,
            &instance,
            "init",
            &[Val::I32(len as i32 - 16), Val::I32(0), Val::I32(16)],
        )
        .unwrap();
        shadow[len as usize - 16..].copy_from_slice(b"0123456789abcdef");
        assert!(mem.data(&store) == &shadow[..]);

        assert_eq!(nmem.size(&store), 1);
        assert!(
            nmem.data(&store).iter().all(|b| *b == 0xaa),
            "the neighbour's memory changed"
        );
        println!("isolation: {checked} memory accesses checked against the model");
        // Every width at every (address, offset), before and after growing, and each bulk
        // operation.
        assert_eq!(
            checked,
            2 * OFFSETS.len() * ADDRS.len() * (LOADS.len() + STORES.len()) + bulk.len(),
            "memory accesses checked"
        );
    });
}

/// Addresses built from a preimported base: constant addresses and `base + x` fold into
/// displacements when specialized; both builds must agree with the model.
#[test]
fn preimported_bases_near_4gib_fold_soundly() {
    on_big_stack(|| {
        let engine = engine();
        let consts: &[u32] = &[0, 4, 0xfff8, 0x1_0000, 0x7fff_ffff, 0xffff_ffff];
        let offsets: &[u32] = &[0, 8, 0xffff, 0x8000_0000, 0xffff_fff0];
        let mut wat = String::from(
            "(module (import \"env\" \"base\" (global $base i32)) (memory (export \"mem\") 1 1)\n",
        );
        for off in offsets {
            wat.push_str(&format!(
                "(func (export \"dyn_{off}\") (param i32) (result i64) \
                   (i64.load offset={off} (i32.add (global.get $base) (local.get 0))))\n\
                 (func (export \"store_{off}\") (param i32) \
                   (i64.store offset={off} (i32.add (global.get $base) (local.get 0)) (i64.const -1)))\n\
                 (func (export \"abs_{off}\") (result i64) (i64.load offset={off} (global.get $base)))\n"
            ));
            for c in consts {
                wat.push_str(&format!(
                    "(func (export \"k_{off}_{c}\") (result i32) \
                       (i32.load8_u offset={off} (i32.add (global.get $base) (i32.const {c}))))\n"
                ));
            }
        }
        wat.push(')');
        let bases: &[u32] = &[
            0,
            8,
            0xfff0,
            0xfff8,
            0x1_0000,
            0x7fff_fff8,
            0x8000_0000,
            0xffff_0000,
            0xffff_fff8,
            0xffff_ffff,
        ];
        let mut checked = 0;
        for base in bases {
            for specialize in [false, true] {
                let mut store = Store::new(&engine);
                let mut pre = Preimports::new();
                pre.value("env", "base", Val::I32(*base as i32));
                let (module, imports): (Module, Vec<Extern>) = if specialize {
                    (
                        Module::with_preimports(&engine, &wat, &pre).expect("compiles"),
                        vec![],
                    )
                } else {
                    let g = Global::new(
                        &mut store,
                        GlobalType {
                            ty: ValType::I32,
                            mutable: false,
                        },
                        Val::I32(*base as i32),
                    )
                    .unwrap();
                    (
                        Module::new(&engine, &wat).expect("compiles"),
                        vec![g.into()],
                    )
                };
                let instance = Instance::new(&mut store, &module, &imports).expect("instantiates");
                let mem = instance.get_memory(&store, "mem").unwrap();
                for (i, b) in mem.data_mut(&mut store).iter_mut().enumerate() {
                    *b = (i * 13 + 1) as u8;
                }
                let mut shadow = mem.data(&store).to_vec();
                let size = shadow.len() as u64;
                let label = if specialize { "specialized" } else { "generic" };
                for off in offsets {
                    for x in ADDRS {
                        let ea = (base.wrapping_add(*x)) as u64 + *off as u64;
                        let what = format!("{label} base={base:#x} dyn offset={off:#x} x={x:#x}");
                        let r = call(
                            &mut store,
                            &instance,
                            &format!("dyn_{off}"),
                            &[Val::I32(*x as i32)],
                        );
                        if ea + 8 <= size {
                            let want = le(&shadow[ea as usize..ea as usize + 8]) as i64;
                            assert_eq!(r.unwrap()[0].i64(), Some(want), "{what}");
                        } else {
                            assert_eq!(
                                trap_kind(&r),
                                Some(TrapKind::MemoryOutOfBounds),
                                "{what}: {r:?}"
                            );
                        }
                        let r = call(
                            &mut store,
                            &instance,
                            &format!("store_{off}"),
                            &[Val::I32(*x as i32)],
                        );
                        if ea + 8 <= size {
                            r.unwrap_or_else(|e| panic!("{what} store: {e}"));
                            shadow[ea as usize..ea as usize + 8].fill(0xff);
                        } else {
                            assert_eq!(
                                trap_kind(&r),
                                Some(TrapKind::MemoryOutOfBounds),
                                "{what} store: {r:?}"
                            );
                        }
                        checked += 2;
                    }
                    let ea = *base as u64 + *off as u64;
                    let r = call(&mut store, &instance, &format!("abs_{off}"), &[]);
                    let what = format!("{label} base={base:#x} abs offset={off:#x}");
                    if ea + 8 <= size {
                        let want = le(&shadow[ea as usize..ea as usize + 8]) as i64;
                        assert_eq!(r.unwrap()[0].i64(), Some(want), "{what}");
                    } else {
                        assert_eq!(
                            trap_kind(&r),
                            Some(TrapKind::MemoryOutOfBounds),
                            "{what}: {r:?}"
                        );
                    }
                    for c in consts {
                        let ea = base.wrapping_add(*c) as u64 + *off as u64;
                        let r = call(&mut store, &instance, &format!("k_{off}_{c}"), &[]);
                        let what = format!("{label} base={base:#x} const {c:#x} offset={off:#x}");
                        if ea < size {
                            assert_eq!(
                                r.unwrap()[0].i32(),
                                Some(shadow[ea as usize] as i32),
                                "{what}"
                            );
                        } else {
                            assert_eq!(
                                trap_kind(&r),
                                Some(TrapKind::MemoryOutOfBounds),
                                "{what}: {r:?}"
                            );
                        }
                        checked += 1;
                    }
                    checked += 1;
                }
                assert!(
                    mem.data(&store) == &shadow[..],
                    "{label} base={base:#x}: memory differs from the model"
                );
            }
        }
        println!("isolation: {checked} accesses from preimported bases checked");
        // 10 bases × 2 builds × 5 offsets × (2 per address + 1 absolute + 6 constants).
        assert_eq!(
            checked,
            10 * 2 * 5 * (2 * ADDRS.len() + 1 + 6),
            "accesses from preimported bases checked"
        );
    });
}

const TABLE_WAT: &str = r#"
(module
  (type $i (func (result i32)))
  (type $v (func))
  (import "env" "t" (table $imported 2 10 funcref))
  (table $t (export "t") 4 6 funcref)
  (table $e (export "e") 3 externref)
  (func $one (type $i) (i32.const 1))
  (func $two (type $i) (i32.const 2))
  (func $void (type $v))
  (elem (table $t) (i32.const 0) func $one $two $void)
  (elem $seg func $one $two)
  (func (export "call") (param i32) (result i32) (call_indirect $t (type $i) (local.get 0)))
  (func (export "call_imported") (param i32) (result i32) (call_indirect $imported (type $i) (local.get 0)))
  (func (export "set_imported") (param i32) (table.set $imported (local.get 0) (ref.func $two)))
  (func (export "get_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "set") (param i32) (table.set $t (local.get 0) (ref.func $one)))
  (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.func $two) (local.get 1)))
  (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (table.init $t $seg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "size") (result i32) (table.size $t))
  (func (export "ext_get") (param i32) (result externref) (table.get $e (local.get 0)))
  (func (export "ext_set") (param i32 externref) (table.set $e (local.get 0) (local.get 1)))
  (func (export "ext_null") (param i32) (result i32) (ref.is_null (table.get $e (local.get 0))))
)"#;

const BIG: &[u32] = &[0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff];

fn table_checks(
    store: &mut Store,
    instance: &Instance,
    imported: &stagec::Table,
    label: &str,
) -> usize {
    let mut checked = 0;
    let mut expect =
        |r: Result<Vec<Val>, Error>, want: Result<Option<i32>, TrapKind>, what: String| {
            match want {
                Ok(v) => {
                    let got = r.unwrap_or_else(|e| panic!("{label} {what}: {e}"));
                    if let Some(v) = v {
                        assert_eq!(got[0].i32(), Some(v), "{label} {what}");
                    }
                }
                Err(kind) => assert_eq!(trap_kind(&r), Some(kind), "{label} {what}: {r:?}"),
            }
            checked += 1;
        };
    expect(
        call(store, instance, "call", &[Val::I32(0)]),
        Ok(Some(1)),
        "call 0".into(),
    );
    expect(
        call(store, instance, "call", &[Val::I32(1)]),
        Ok(Some(2)),
        "call 1".into(),
    );
    expect(
        call(store, instance, "call", &[Val::I32(2)]),
        Err(TrapKind::BadSignature),
        "call 2".into(),
    );
    expect(
        call(store, instance, "call", &[Val::I32(3)]),
        Err(TrapKind::UninitializedElement),
        "call 3".into(),
    );
    for i in [4u32, 5, 6].iter().chain(BIG) {
        let arg = [Val::I32(*i as i32)];
        expect(
            call(store, instance, "call", &arg),
            Err(TrapKind::UndefinedElement),
            format!("call {i:#x}"),
        );
        expect(
            call(store, instance, "get_null", &arg),
            Err(TrapKind::TableOutOfBounds),
            format!("get {i:#x}"),
        );
        expect(
            call(store, instance, "set", &arg),
            Err(TrapKind::TableOutOfBounds),
            format!("set {i:#x}"),
        );
        expect(
            call(store, instance, "ext_get", &arg),
            Err(TrapKind::TableOutOfBounds),
            format!("ext_get {i:#x}"),
        );
    }
    for i in [2u32, 3].iter().chain(BIG) {
        let arg = [Val::I32(*i as i32)];
        expect(
            call(store, instance, "call_imported", &arg),
            if *i < 2 {
                Ok(None)
            } else {
                Err(TrapKind::UndefinedElement)
            },
            format!("call_imported {i:#x}"),
        );
        expect(
            call(store, instance, "set_imported", &arg),
            Err(TrapKind::TableOutOfBounds),
            format!("set_imported {i:#x}"),
        );
    }
    expect(
        call(store, instance, "call_imported", &[Val::I32(0)]),
        Err(TrapKind::UninitializedElement),
        "call_imported 0".into(),
    );
    expect(
        call(store, instance, "set_imported", &[Val::I32(1)]),
        Ok(None),
        "set_imported 1".into(),
    );
    expect(
        call(store, instance, "call_imported", &[Val::I32(1)]),
        Ok(Some(2)),
        "call_imported 1".into(),
    );
    assert!(
        imported
            .get(store, 1)
            .is_some_and(|v| matches!(v, Val::FuncRef(Some(_))))
    );
    // Bulk table operations out of bounds trap before changing anything.
    let snapshot = |store: &Store| -> Vec<bool> {
        let t = instance.get_table(store, "t").unwrap();
        (0..t.size(store))
            .map(|i| matches!(t.get(store, i), Some(Val::FuncRef(Some(_)))))
            .collect()
    };
    let before = snapshot(store);
    let oob: &[(&str, &[u32])] = &[
        ("fill", &[3, 2]),
        ("fill", &[0, 5]),
        ("fill", &[0xffff_ffff, 1]),
        ("fill", &[1, 0xffff_ffff]),
        ("copy", &[3, 0, 2]),
        ("copy", &[0, 3, 2]),
        ("copy", &[0, 0xffff_fffe, 4]),
        ("init", &[3, 0, 2]),
        ("init", &[0, 1, 2]),
        ("init", &[0xffff_ffff, 0, 1]),
    ];
    for (name, args) in oob {
        let args: Vec<Val> = args.iter().map(|a| Val::I32(*a as i32)).collect();
        expect(
            call(store, instance, name, &args),
            Err(TrapKind::TableOutOfBounds),
            format!("{name}{args:?}"),
        );
        assert_eq!(
            snapshot(store),
            before,
            "{label} {name}{args:?} changed the table before trapping"
        );
    }
    // Growing past the maximum fails without changing the size.
    expect(
        call(store, instance, "grow", &[Val::I32(3)]),
        Ok(Some(-1)),
        "grow 3".into(),
    );
    expect(
        call(store, instance, "grow", &[Val::I32(-1)]),
        Ok(Some(-1)),
        "grow -1".into(),
    );
    expect(
        call(store, instance, "size", &[]),
        Ok(Some(4)),
        "size".into(),
    );
    expect(
        call(store, instance, "grow", &[Val::I32(2)]),
        Ok(Some(4)),
        "grow 2".into(),
    );
    expect(
        call(store, instance, "call", &[Val::I32(5)]),
        Err(TrapKind::UninitializedElement),
        "call 5 (grown)".into(),
    );
    expect(
        call(store, instance, "call", &[Val::I32(6)]),
        Err(TrapKind::UndefinedElement),
        "call 6 (grown)".into(),
    );
    expect(
        call(store, instance, "fill", &[Val::I32(4), Val::I32(2)]),
        Ok(None),
        "fill 4 2".into(),
    );
    expect(
        call(store, instance, "call", &[Val::I32(5)]),
        Ok(Some(2)),
        "call 5 (filled)".into(),
    );
    // Externref payloads round-trip unread; a fresh table is all null.
    for i in 0..3 {
        expect(
            call(store, instance, "ext_null", &[Val::I32(i)]),
            Ok(Some(1)),
            format!("ext_null {i}"),
        );
    }
    let payload = ExternRef(0xdead_beef_0000_0001);
    call(
        store,
        instance,
        "ext_set",
        &[Val::I32(2), Val::ExternRef(Some(payload))],
    )
    .unwrap();
    let got = call(store, instance, "ext_get", &[Val::I32(2)]).unwrap();
    assert!(
        matches!(got[0], Val::ExternRef(Some(p)) if p == payload),
        "{label}: {got:?}"
    );
    expect(
        call(store, instance, "ext_null", &[Val::I32(2)]),
        Ok(Some(0)),
        "ext_null 2".into(),
    );
    checked
}

#[test]
fn table_indices_are_bounds_checked() {
    on_big_stack(|| {
        let engine = engine();
        let mut checked = 0;
        for specialize in [false, true] {
            let mut store = Store::new(&engine);
            let imported = stagec::Table::new(
                &mut store,
                TableType {
                    element: ValType::FuncRef,
                    limits: stagec::Limits {
                        min: 2,
                        max: Some(10),
                    },
                    index: stagec::IndexType::I32,
                },
                Val::FuncRef(None),
            )
            .unwrap();
            let (module, imports): (Module, Vec<Extern>) = if specialize {
                let mut pre = Preimports::new();
                pre.bind("env", "t", Preimport::Extern(imported.into()));
                (
                    Module::with_preimports_in(&mut store, TABLE_WAT, &pre).expect("compiles"),
                    vec![],
                )
            } else {
                (
                    Module::new(&engine, TABLE_WAT).expect("compiles"),
                    vec![imported.into()],
                )
            };
            let instance = Instance::new(&mut store, &module, &imports).expect("instantiates");
            let label = if specialize { "specialized" } else { "generic" };
            checked += table_checks(&mut store, &instance, &imported, label);
        }
        println!("isolation: {checked} table operations checked");
        assert_eq!(checked, 138, "table operations checked");
    });
}

#[test]
fn uninitialised_locals_and_fresh_memory_are_zero() {
    on_big_stack(|| {
        let engine = engine();
        // `dirty` fills a deep stack with non-zero values; `clean` then reads 200
        // uninitialised locals of every type at a similar depth.
        let mut wat = String::from("(module (memory (export \"mem\") 1 3)\n");
        let dirty_locals: String = (0..200).map(|_| "(local i64)").collect();
        // Every local is live across the recursive call, so they are spilled to the stack.
        let dirty_sets: String = (0..200)
            .map(|i| {
                format!(
                    "(local.set {} (i64.mul (i64.extend_i32_u (local.get 0)) (i64.const -{})))",
                    i + 1,
                    i + 1
                )
            })
            .collect();
        let mut dirty_sum = String::from("(i64.const 1)");
        for i in 0..200 {
            dirty_sum = format!("(i64.add {dirty_sum} (local.get {}))", i + 1);
        }
        wat.push_str(&format!(
            "(func $dirty (param i32) (result i64) {dirty_locals} {dirty_sets}
               (if (result i64) (local.get 0)
                 (then (i64.add (call $dirty (i32.sub (local.get 0) (i32.const 1))) {dirty_sum}))
                 (else (i64.const 0))))\n"
        ));
        let kinds = ["i32", "i64", "f32", "f64", "funcref", "externref"];
        let mut clean_locals = String::new();
        let mut clean_body = String::from("(i64.const 0)");
        for i in 0..204 {
            let ty = kinds[i % kinds.len()];
            clean_locals.push_str(&format!("(local {ty})"));
            let idx = i + 1;
            let nonzero = match ty {
                "i32" => format!("(i32.ne (local.get {idx}) (i32.const 0))"),
                "i64" => format!("(i64.ne (local.get {idx}) (i64.const 0))"),
                "f32" => format!("(i32.ne (i32.reinterpret_f32 (local.get {idx})) (i32.const 0))"),
                "f64" => format!("(i64.ne (i64.reinterpret_f64 (local.get {idx})) (i64.const 0))"),
                _ => format!("(i32.eqz (ref.is_null (local.get {idx})))"),
            };
            clean_body = format!("(i64.add {clean_body} (i64.extend_i32_u {nonzero}))");
        }
        wat.push_str(&format!(
            "(func $clean (param i32) (result i64) {clean_locals}
               (if (result i64) (local.get 0)
                 (then (i64.add (call $clean (i32.sub (local.get 0) (i32.const 1))) {clean_body}))
                 (else {clean_body})))\n
             (func (export \"dirty\") (param i32) (result i64) (call $dirty (local.get 0)))
             (func (export \"clean\") (param i32) (result i64) (call $clean (local.get 0)))
             (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))
             (func (export \"nonzero_bytes\") (result i32) (local $i i32) (local $n i32)
               (block $done (loop $l
                 (br_if $done (i32.ge_u (local.get $i) (i32.mul (memory.size) (i32.const 65536))))
                 (local.set $n (i32.add (local.get $n) (i32.ne (i32.load8_u (local.get $i)) (i32.const 0))))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br $l)))
               (local.get $n))
             (func (export \"zext\") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))
             (func (export \"sext\") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))
             (func (export \"ident\") (param externref) (result externref) (local.get 0))
             (func (export \"is_null\") (param externref) (result i32) (ref.is_null (local.get 0))))"
        ));
        let module = Module::new(&engine, &wat).expect("compiles");
        for round in 0..3 {
            let mut store = Store::new(&engine);
            let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
            let zero = call(&mut store, &instance, "nonzero_bytes", &[]).unwrap();
            assert_eq!(
                zero[0].i32(),
                Some(0),
                "round {round}: fresh memory is not zero"
            );
            let mem = instance.get_memory(&store, "mem").unwrap();
            mem.data_mut(&mut store).fill(0x77);
            call(&mut store, &instance, "dirty", &[Val::I32(50)]).unwrap();
            let dirty = call(&mut store, &instance, "clean", &[Val::I32(50)]).unwrap();
            assert_eq!(
                dirty[0].i64(),
                Some(0),
                "round {round}: uninitialised locals are not zero"
            );
            call(&mut store, &instance, "grow", &[Val::I32(2)]).unwrap();
            let nz = call(&mut store, &instance, "nonzero_bytes", &[]).unwrap();
            assert_eq!(
                nz[0].i32(),
                Some(65536),
                "round {round}: grown memory is not zero"
            );
            // i32 arguments arrive without upper bits, after i64 traffic in the registers.
            for v in [-1i32, i32::MIN, 0x1234_5678, 0] {
                let z = call(&mut store, &instance, "zext", &[Val::I32(v)]).unwrap();
                assert_eq!(z[0].i64(), Some(v as u32 as i64));
                let s = call(&mut store, &instance, "sext", &[Val::I32(v)]).unwrap();
                assert_eq!(s[0].i64(), Some(v as i64));
            }
            for payload in [0u64, 1, 0x7fff_ffff_ffff_ffff, u64::MAX - 1] {
                let r = call(
                    &mut store,
                    &instance,
                    "ident",
                    &[Val::ExternRef(Some(ExternRef(payload)))],
                )
                .unwrap();
                assert!(
                    matches!(r[0], Val::ExternRef(Some(ExternRef(p))) if p == payload),
                    "{r:?}"
                );
                let n = call(
                    &mut store,
                    &instance,
                    "is_null",
                    &[Val::ExternRef(Some(ExternRef(payload)))],
                )
                .unwrap();
                assert_eq!(n[0].i32(), Some(0));
            }
            let r = call(&mut store, &instance, "ident", &[Val::ExternRef(None)]).unwrap();
            assert!(matches!(r[0], Val::ExternRef(None)));
        }
    });
}

#[test]
fn function_references_stay_in_their_store() {
    on_big_stack(|| {
        let engine = engine();
        let wat = r#"(module
            (table (export "t") 2 funcref)
            (func (export "take") (param funcref) (result i32) (ref.is_null (local.get 0))))"#;
        let module = Module::new(&engine, wat).expect("compiles");
        let mut a = Store::new(&engine);
        let mut b = Store::new(&engine);
        let ia = Instance::new(&mut a, &module, &[]).unwrap();
        let ib = Instance::new(&mut b, &module, &[]).unwrap();
        let host = Func::new(&mut a, FuncType::new([], []), |_, _, _| Ok(())).unwrap();
        // Passing a's function to b's wasm, or storing it in b's table, is refused.
        let take_b = ib.get_func(&b, "take").unwrap();
        let mut out = [Val::I32(0)];
        let err = take_b
            .call(&mut b, &[Val::FuncRef(Some(host))], &mut out)
            .expect_err("a foreign funcref must be refused");
        assert!(matches!(err, Error::Usage(_)), "{err}");
        let tb = ib.get_table(&b, "t").unwrap();
        assert!(tb.set(&mut b, 0, Val::FuncRef(Some(host))).is_err());
        // Within its own store it is an ordinary non-null reference.
        let take_a = ia.get_func(&a, "take").unwrap();
        take_a
            .call(&mut a, &[Val::FuncRef(Some(host))], &mut out)
            .unwrap();
        assert_eq!(out[0].i32(), Some(0));
    });
}
