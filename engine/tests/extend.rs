//! Extension stages: a `single` stage appended to a live instance, sharing its data and
//! filling its tables, without recompiling or re-linking anything.

use stagec::*;

const MAIN: &str = r#"(module
  (type $op (func (param i32) (result i32)))
  (table (export "ops") 4 funcref)
  (memory (export "mem") 1)
  (global (export "calls") (mut i32) (i32.const 0))
  (data (i32.const 0) "\07\00\00\00")
  ;; the value the specialized code is built for, known only at run time
  (func (export "wanted") (result i32) (i32.load (i32.const 0)))
  (func (export "apply") (param $slot i32) (param $x i32) (result i32)
    (call_indirect (type $op) (local.get $x) (local.get $slot))))"#;

fn call(store: &mut Store, i: &Instance, name: &str, args: &[Val]) -> Result<Val> {
    let f = i.get_func(store, name).unwrap();
    let mut out = [Val::I32(0)];
    f.call(store, args, &mut out)?;
    Ok(out[0])
}

/// The JIT pattern: read a value from the running instance, generate a function
/// specialized for it, extend the instance with it, and call it through the instance's
/// own table.
#[test]
fn instance_extends_itself_with_specialized_code() {
    let engine = Engine::new(Config::default()).unwrap();
    let mut store = Store::new(&engine);
    let module = Module::new(&engine, MAIN).unwrap();
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let err = call(&mut store, &instance, "apply", &[Val::I32(1), Val::I32(6)]).unwrap_err();
    assert_eq!(
        err.as_trap().and_then(|t| t.kind()),
        Some(TrapKind::UninitializedElement)
    );

    let k = call(&mut store, &instance, "wanted", &[])
        .unwrap()
        .i32()
        .unwrap();
    let stage = format!(
        r#"(module
             (import "main" "ops" (table 4 funcref))
             (import "main" "calls" (global $calls (mut i32)))
             (import "main" "mem" (memory 1))
             (func $times_k (param i32) (result i32)
               (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
               (i32.store (i32.const 16) (local.get 0))
               (i32.mul (local.get 0) (i32.const {k})))
             (elem (table 0) (i32.const 1) func $times_k))"#
    );
    instance
        .extend(&mut store, &stage, &Preimports::new())
        .unwrap();

    let r = call(&mut store, &instance, "apply", &[Val::I32(1), Val::I32(6)]).unwrap();
    assert_eq!(r.i32(), Some(42));
    let calls = instance.get_global(&store, "calls").unwrap();
    assert_eq!(
        calls.get(&store).i32(),
        Some(1),
        "the extension shares the globals"
    );
    let mem = instance.get_memory(&store, "mem").unwrap();
    assert_eq!(
        &mem.data(&store)[16..20],
        &6i32.to_le_bytes(),
        "and the memory"
    );
}

#[test]
fn extension_refers_to_earlier_stages_by_name() {
    let engine = Engine::new(Config::default()).unwrap();
    let staged = stagec_frontend::parse_swat(
        r#"(staged
             (stage $cfg pre (module (global (export "scale") i32 (i32.const 3))))
             (stage $main multi (module
               (type $op (func (param i32) (result i32)))
               (table (export "ops") 1 funcref)
               (func (export "apply") (param i32) (result i32)
                 (call_indirect (type $op) (local.get 0) (i32.const 0))))))"#,
    )
    .unwrap();
    let module = Module::from_staged(&engine, &staged, &Preimports::new()).unwrap();
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let stage = r#"(module
        (import "cfg" "scale" (global $s i32))
        (import "main" "ops" (table 1 funcref))
        (func $f (param i32) (result i32) (i32.mul (local.get 0) (global.get $s)))
        (elem (table 0) (i32.const 0) func $f))"#;
    instance
        .extend(&mut store, stage, &Preimports::new())
        .unwrap();
    assert_eq!(
        call(&mut store, &instance, "apply", &[Val::I32(5)])
            .unwrap()
            .i32(),
        Some(15)
    );

    let bad = r#"(module (import "cfg" "nope" (global i32)))"#;
    let err = instance
        .extend(&mut store, bad, &Preimports::new())
        .unwrap_err();
    assert!(
        err.to_string().contains("stage `cfg` has no export `nope`"),
        "{err}"
    );
    let unbound = r#"(module (import "env" "x" (global i32)))"#;
    let err = instance
        .extend(&mut store, unbound, &Preimports::new())
        .unwrap_err();
    assert!(err.to_string().contains("`env`.`x`"), "{err}");
}

#[test]
fn a_module_bound_to_a_store_is_refused_elsewhere() {
    let engine = Engine::new(Config::default()).unwrap();
    let mut store = Store::new(&engine);
    let g = Global::new(
        &mut store,
        GlobalType {
            ty: ValType::I32,
            mutable: true,
        },
        Val::I32(1),
    )
    .unwrap();
    let mut pre = Preimports::new();
    pre.bind("env", "g", Preimport::Extern(Extern::Global(g)));
    let module = Module::with_preimports_in(
        &mut store,
        r#"(module (import "env" "g" (global $g (mut i32)))
             (func (export "bump") (global.set $g (i32.add (global.get $g) (i32.const 1)))))"#,
        &pre,
    )
    .unwrap();
    let i = Linker::new().instantiate(&mut store, &module).unwrap();
    let f = i.get_func(&store, "bump").unwrap();
    f.call(&mut store, &[], &mut []).unwrap();
    assert_eq!(g.get(&store).i32(), Some(2));
    let mut other = Store::new(&engine);
    assert!(Linker::new().instantiate(&mut other, &module).is_err());
}
