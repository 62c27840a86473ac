//! Preimports: binding imports at compile time gives the same results as supplying them at
//! run time, and bad bindings are clear errors naming the import.

use stagec::*;

fn engine() -> Engine {
    Engine::new(Config::default()).unwrap()
}

/// Instantiates `module` compiled specialized on `pre`, and compiled generically with
/// `pre` linked at run time; returns both (store, instance) pairs.
fn both(engine: &Engine, wat: &str, pre: &Preimports) -> [(Store, Instance); 2] {
    let specialized = Module::with_preimports(engine, wat, pre).unwrap();
    let mut s1 = Store::new(engine);
    let i1 = Linker::new().instantiate(&mut s1, &specialized).unwrap();
    let generic = Module::new(engine, wat).unwrap();
    let mut s2 = Store::new(engine);
    let mut linker = Linker::new();
    pre.link(&mut s2, &mut linker).unwrap();
    let i2 = linker.instantiate(&mut s2, &generic).unwrap();
    [(s1, i1), (s2, i2)]
}

fn call(store: &mut Store, instance: &Instance, name: &str, args: &[Val]) -> Result<Vec<Val>> {
    let f = instance.get_func(store, name).unwrap();
    let ty = f.ty(store);
    let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
    f.call(store, args, &mut results)?;
    Ok(results)
}

fn outcome(r: Result<Vec<Val>>) -> String {
    match r {
        Ok(vals) => format!("{vals:?}"),
        Err(e) => format!("trap {:?}", e.as_trap().and_then(|t| t.kind())),
    }
}

const CONSTANTS: &str = r#"(module
  (import "env" "n" (global $n i32))
  (import "env" "scale" (global $scale f64))
  (import "env" "big" (global $big i64))
  (memory (export "mem") 1)
  (func (export "mul3") (result i32) (i32.mul (global.get $n) (i32.const 3)))
  (func (export "scaled") (param f64) (result f64) (f64.mul (local.get 0) (global.get $scale)))
  (func (export "branch") (param i32) (result i32)
    (if (result i32) (i32.gt_s (global.get $n) (i32.const 10))
      (then (i32.add (local.get 0) (i32.const 100)))
      (else (i32.sub (local.get 0) (i32.const 100)))))
  (func (export "table") (result i32)
    (block $b2 (block $b1 (block $b0
      (br_table $b0 $b1 $b2 (i32.and (global.get $n) (i32.const 3))))
      (return (i32.const 10)))
      (return (i32.const 11)))
    (i32.const 12))
  (func (export "store") (param i32)
    (i32.store (i32.add (global.get $n) (i32.const 4)) (local.get 0)))
  (func (export "load") (result i32) (i32.load (i32.add (global.get $n) (i32.const 4))))
  (func (export "div") (param i32) (result i32) (i32.div_s (local.get 0) (global.get $n)))
  (func (export "wide") (result i64) (i64.add (global.get $big) (i64.extend_i32_s (global.get $n)))))"#;

#[test]
fn constants_give_the_same_results_as_runtime_imports() {
    let engine = engine();
    for n in [0, 1, 7, 11, 12, -5, 65532, 65533, i32::MAX, i32::MIN] {
        let mut pre = Preimports::new();
        pre.value("env", "n", Val::I32(n))
            .value("env", "scale", Val::from(2.5f64))
            .value("env", "big", Val::I64(1 << 40));
        let [(mut s1, i1), (mut s2, i2)] = both(&engine, CONSTANTS, &pre);
        for (name, args) in [
            ("mul3", vec![]),
            ("scaled", vec![Val::from(4.0f64)]),
            ("branch", vec![Val::I32(5)]),
            ("table", vec![]),
            ("store", vec![Val::I32(0x1234_5678)]),
            ("load", vec![]),
            ("div", vec![Val::I32(1000)]),
            ("wide", vec![]),
        ] {
            let a = outcome(call(&mut s1, &i1, name, &args));
            let b = outcome(call(&mut s2, &i2, name, &args));
            assert_eq!(a, b, "n = {n}, function {name}");
        }
        let m1 = i1.get_memory(&s1, "mem").unwrap().data(&s1).to_vec();
        let m2 = i2.get_memory(&s2, "mem").unwrap().data(&s2).to_vec();
        assert!(m1 == m2, "memory differs for n = {n}");
    }
}

const PROVIDER: &str = r#"(module
  (import "cfg" "k" (global $k i32))
  (global $count (export "count") (mut i32) (i32.const 0))
  (memory (export "heap") 1)
  (func (export "hash") (param i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.mul (i32.xor (local.get 0) (global.get $k)) (i32.const 0x9e3779b1)))
  (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1))))"#;

const CONSUMER: &str = r#"(module
  (import "env" "hash" (func $hash (param i32) (result i32)))
  (import "env" "poke" (func $poke (param i32 i32)))
  (import "env" "count" (global $count (mut i32)))
  (import "env" "heap" (memory 1))
  (func (export "run") (param i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $hash (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
    (call $poke (i32.const 16) (local.get $acc))
    (local.get $acc))
  (func (export "calls") (result i32) (global.get $count))
  (func (export "peek") (result i32) (i32.load (i32.const 16))))"#;

#[test]
fn provider_functions_memories_and_globals() {
    let engine = engine();
    let mut cfg = Preimports::new();
    cfg.value("cfg", "k", Val::I32(0x55));
    let provider = Provider::new(&engine, PROVIDER, cfg).unwrap();
    let mut pre = Preimports::new();
    for name in ["hash", "poke", "count", "heap"] {
        pre.export("env", name, &provider, name);
    }
    let [(mut s1, i1), (mut s2, i2)] = both(&engine, CONSUMER, &pre);
    let a = call(&mut s1, &i1, "run", &[Val::I32(100)]).unwrap();
    let b = call(&mut s2, &i2, "run", &[Val::I32(100)]).unwrap();
    assert_eq!(a[0].i32(), b[0].i32());
    for (s, i) in [(&mut s1, &i1), (&mut s2, &i2)] {
        assert_eq!(call(s, i, "calls", &[]).unwrap()[0].i32(), Some(100));
        assert_eq!(call(s, i, "peek", &[]).unwrap()[0].i32(), a[0].i32());
    }
}

#[test]
fn provider_state_is_shared_by_every_instance_of_a_compilation() {
    let engine = engine();
    let mut cfg = Preimports::new();
    cfg.value("cfg", "k", Val::I32(1));
    let provider = Provider::new(&engine, PROVIDER, cfg).unwrap();
    let mut pre = Preimports::new();
    for name in ["hash", "poke", "count", "heap"] {
        pre.export("env", name, &provider, name);
    }
    let module = Module::with_preimports(&engine, CONSUMER, &pre).unwrap();
    let mut store = Store::new(&engine);
    let first = Linker::new().instantiate(&mut store, &module).unwrap();
    let second = Linker::new().instantiate(&mut store, &module).unwrap();
    call(&mut store, &first, "run", &[Val::I32(3)]).unwrap();
    assert_eq!(
        call(&mut store, &second, "calls", &[]).unwrap()[0].i32(),
        Some(3)
    );
}

#[test]
fn transitive_providers_are_specialized_too() {
    let engine = engine();
    let inner = Provider::new(
        &engine,
        r#"(module (import "c" "base" (global $b i32))
             (func (export "add_base") (param i32) (result i32) (i32.add (local.get 0) (global.get $b))))"#,
        {
            let mut p = Preimports::new();
            p.value("c", "base", Val::I32(1000));
            p
        },
    )
    .unwrap();
    let mut mid_pre = Preimports::new();
    mid_pre.export("lib", "add_base", &inner, "add_base");
    let middle = Provider::new(
        &engine,
        r#"(module (import "lib" "add_base" (func $a (param i32) (result i32)))
             (func (export "twice") (param i32) (result i32) (call $a (call $a (local.get 0)))))"#,
        mid_pre,
    )
    .unwrap();
    let mut pre = Preimports::new();
    pre.export("env", "twice", &middle, "twice");
    let wat = r#"(module (import "env" "twice" (func $t (param i32) (result i32)))
                   (func (export "f") (param i32) (result i32) (call $t (local.get 0))))"#;
    let [(mut s1, i1), (mut s2, i2)] = both(&engine, wat, &pre);
    assert_eq!(
        call(&mut s1, &i1, "f", &[Val::I32(5)]).unwrap()[0].i32(),
        Some(2005)
    );
    assert_eq!(
        call(&mut s2, &i2, "f", &[Val::I32(5)]).unwrap()[0].i32(),
        Some(2005)
    );
}

#[test]
fn unbound_imports_stay_runtime_imports() {
    let engine = engine();
    let wat = r#"(module (import "env" "a" (global $a i32)) (import "env" "b" (global $b i32))
                   (func (export "f") (result i32) (i32.sub (global.get $a) (global.get $b))))"#;
    let mut pre = Preimports::new();
    pre.value("env", "a", Val::I32(50));
    let module = Module::with_preimports(&engine, wat, &pre).unwrap();
    let imports: Vec<_> = module
        .imports()
        .map(|(m, n, _)| format!("{m}.{n}"))
        .collect();
    assert_eq!(imports, ["env.b"]);
    let mut store = Store::new(&engine);
    let b = Global::new(
        &mut store,
        GlobalType {
            ty: ValType::I32,
            mutable: false,
        },
        Val::I32(8),
    )
    .unwrap();
    let mut linker = Linker::new();
    linker.define("env", "b", b);
    let i = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(call(&mut store, &i, "f", &[]).unwrap()[0].i32(), Some(42));
}

#[test]
fn bad_bindings_name_the_import() {
    let engine = engine();
    let wat = r#"(module (import "env" "n" (global i32)) (import "env" "m" (global (mut i32)))
                   (import "env" "f" (func (param i32))))"#;
    let err = |pre: &Preimports| {
        Module::with_preimports(&engine, wat, pre)
            .unwrap_err()
            .to_string()
    };

    let mut p = Preimports::new();
    p.value("env", "nope", Val::I32(1));
    assert!(err(&p).contains("`env`.`nope`"), "{}", err(&p));

    let mut p = Preimports::new();
    p.value("env", "n", Val::F64(0));
    let e = err(&p);
    assert!(
        e.contains("`env`.`n`") && e.contains("i32") && e.contains("f64"),
        "{e}"
    );

    let mut p = Preimports::new();
    p.value("env", "m", Val::I32(1));
    assert!(
        err(&p).contains("mutable global import `env`.`m`"),
        "{}",
        err(&p)
    );

    let mut p = Preimports::new();
    p.value("env", "f", Val::I32(1));
    assert!(err(&p).contains("`env`.`f` is a function"), "{}", err(&p));

    let provider = Provider::new(
        &engine,
        r#"(module (func (export "g") (param i64)))"#,
        Preimports::new(),
    )
    .unwrap();
    let mut p = Preimports::new();
    p.export("env", "f", &provider, "missing");
    assert!(err(&p).contains("no export `missing`"), "{}", err(&p));
    let mut p = Preimports::new();
    p.export("env", "f", &provider, "g");
    let e = err(&p);
    assert!(e.contains("`env`.`f`") && e.contains("(param i64)"), "{e}");

    let needy = Provider::new(
        &engine,
        r#"(module (import "x" "y" (global i32)) (func (export "h") (param i32)))"#,
        Preimports::new(),
    )
    .unwrap();
    let mut p = Preimports::new();
    p.export("env", "f", &needy, "h");
    let e = err(&p);
    assert!(
        e.contains("`x`.`y`") && e.contains("not preimported"),
        "{e}"
    );
}

#[test]
fn immutable_provider_globals_become_constants() {
    let engine = engine();
    // The provider computes its exported global at instantiation (from its own preimport);
    // the consumer's specialized code sees the final value as a constant.
    let provider = Provider::new(
        &engine,
        r#"(module (import "cfg" "w" (global $w i32))
             (global (export "stride") i32 (global.get $w)))"#,
        {
            let mut p = Preimports::new();
            p.value("cfg", "w", Val::I32(24));
            p
        },
    )
    .unwrap();
    let mut pre = Preimports::new();
    pre.export("layout", "stride", &provider, "stride");
    let wat = r#"(module (import "layout" "stride" (global $s i32))
                   (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (global.get $s))))"#;
    let [(mut s1, i1), (mut s2, i2)] = both(&engine, wat, &pre);
    assert_eq!(
        call(&mut s1, &i1, "f", &[Val::I32(3)]).unwrap()[0].i32(),
        Some(72)
    );
    assert_eq!(
        call(&mut s2, &i2, "f", &[Val::I32(3)]).unwrap()[0].i32(),
        Some(72)
    );
    let explained = Module::explain(&engine, wat, &pre, "f", &CompileOptions::default()).unwrap();
    assert!(
        explained.specialized.clif.contains("24"),
        "{}",
        explained.specialized.clif
    );
    assert!(
        !explained.specialized.clif.contains("load.i32"),
        "{}",
        explained.specialized.clif
    );
    assert!(
        explained.generic.clif.contains("load.i32"),
        "{}",
        explained.generic.clif
    );
}

/// The body of CLIF `clif` (the blocks, without the declarations in front of them).
fn body(clif: &str) -> &str {
    clif.split_once("block0").map_or(clif, |(_, body)| body)
}

const VECTORS: &str = r#"(module
  (import "env" "v" (global $v v128))
  (memory (export "mem") 1)
  (func (export "add") (param v128) (result v128) (i32x4.add (local.get 0) (global.get $v)))
  (func (export "swizzle") (param v128) (result v128) (i8x16.swizzle (local.get 0) (global.get $v)))
  (func (export "lane") (result i32) (i8x16.extract_lane_s 5 (global.get $v)))
  (func (export "f64_lane") (result f64) (f64x2.extract_lane 1 (global.get $v)))
  (func (export "address") (result i32) (i32.load8_u (i16x8.extract_lane_u 0 (global.get $v))))
  (func (export "store") (v128.store offset=16 (i32.const 0) (global.get $v)))
  (func (export "any") (result i32) (v128.any_true (global.get $v))))"#;

#[test]
fn v128_constants_give_the_same_results_as_runtime_imports() {
    let engine = engine();
    let arg = Val::V128(0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100);
    let values = [
        0,
        u128::MAX,
        // Lane indices, some out of range (swizzle gives 0 for them).
        0x0011_2233_0102_0304_0f0e_0d0c_100f_0001,
        // f64 lanes: 1.5 and a NaN with a payload.
        0x7ff4_0000_0000_0001_3ff8_0000_0000_0000,
    ];
    for v in values {
        let mut pre = Preimports::new();
        pre.value("env", "v", Val::V128(v));
        let [(mut s1, i1), (mut s2, i2)] = both(&engine, VECTORS, &pre);
        for (name, args) in [
            ("add", vec![arg]),
            ("swizzle", vec![arg]),
            ("lane", vec![]),
            ("f64_lane", vec![]),
            ("address", vec![]),
            ("store", vec![]),
            ("any", vec![]),
        ] {
            let a = outcome(call(&mut s1, &i1, name, &args));
            let b = outcome(call(&mut s2, &i2, name, &args));
            assert_eq!(a, b, "v = {v:#x}, function {name}");
        }
        let m1 = i1.get_memory(&s1, "mem").unwrap().data(&s1).to_vec();
        let m2 = i2.get_memory(&s2, "mem").unwrap().data(&s2).to_vec();
        assert!(m1 == m2, "memory differs for v = {v:#x}");
        assert_eq!(u128::from_le_bytes(m1[16..32].try_into().unwrap()), v);
    }
    // The values themselves, for one constant.
    let mut pre = Preimports::new();
    pre.value(
        "env",
        "v",
        Val::parse("i32x4:1,-2,3,0x7fffffff", ValType::V128).unwrap(),
    );
    let [(mut s1, i1), _] = both(&engine, VECTORS, &pre);
    let sum = call(
        &mut s1,
        &i1,
        "add",
        &[Val::V128(0x1_0000_0001_0000_0001_0000_0001)],
    );
    assert_eq!(
        sum.unwrap()[0].v128(),
        Some(0x8000_0000_0000_0004_ffff_ffff_0000_0002)
    );
    assert_eq!(call(&mut s1, &i1, "lane", &[]).unwrap()[0].i32(), Some(-1));
}

#[test]
fn v128_preimports_are_vector_constants_in_code() {
    let engine = engine();
    let mut pre = Preimports::new();
    pre.value(
        "env",
        "v",
        Val::V128(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10),
    );
    let options = CompileOptions::default();
    // A lane of the constant is a scalar constant: no vector at all is left.
    let lane = Module::explain(&engine, VECTORS, &pre, "lane", &options).unwrap();
    let clif = &lane.specialized.clif;
    assert!(clif.contains("iconst.i32 11"), "{clif}");
    assert!(
        !body(clif).contains("i8x16") && !body(clif).contains("load"),
        "{clif}"
    );
    assert!(
        lane.generic.clif.contains("load.i8x16"),
        "{}",
        lane.generic.clif
    );
    // The constant as an operand is a `vconst`; the generic build loads the global.
    let add = Module::explain(&engine, VECTORS, &pre, "add", &options).unwrap();
    let clif = &add.specialized.clif;
    assert!(clif.contains("vconst.i32x4"), "{clif}");
    assert!(!body(clif).contains("load"), "{clif}");
    // Known swizzle indices: a shuffle.
    let swizzle = Module::explain(&engine, VECTORS, &pre, "swizzle", &options).unwrap();
    let clif = &swizzle.specialized.clif;
    assert!(
        clif.contains("shuffle") && !clif.contains("swizzle"),
        "{clif}"
    );
    assert!(
        swizzle.generic.clif.contains("swizzle"),
        "{}",
        swizzle.generic.clif
    );
}

#[test]
fn immutable_provider_v128_globals_become_constants() {
    let engine = engine();
    let provider = Provider::new(
        &engine,
        r#"(module (global (export "bias") v128 (v128.const i64x2 -1 0x1234)))"#,
        Preimports::new(),
    )
    .unwrap();
    let mut pre = Preimports::new();
    pre.export("env", "v", &provider, "bias");
    let [(mut s1, i1), (mut s2, i2)] = both(&engine, VECTORS, &pre);
    for (store, instance) in [(&mut s1, &i1), (&mut s2, &i2)] {
        let lane = call(store, instance, "f64_lane", &[]).unwrap();
        assert_eq!(lane[0].f64().map(f64::to_bits), Some(0x1234));
    }
    let explained = Module::explain(
        &engine,
        VECTORS,
        &pre,
        "f64_lane",
        &CompileOptions::default(),
    )
    .unwrap();
    let clif = &explained.specialized.clif;
    assert!(
        clif.contains("f64const") && !body(clif).contains("load"),
        "{clif}"
    );
}
