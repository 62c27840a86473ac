//! Known code with a runtime context (`Preimport::Code`): a function import known before
//! compilation to be a function of another module whose instance comes at instantiation.
//! The specialized importer gives the same results as the generic one, with each callee
//! instance's own state; instantiation refuses any other function; traps report the
//! callee's offsets; the cache key and serialized recipe carry the known code.

use stagec::error::{ImportMismatch, PreimportProblem};
use stagec::*;

fn engine() -> Engine {
    Engine::new(Config::default()).unwrap()
}

/// State (a counter) and a constant import, so that instances and constants differ.
const LIB: &str = r#"(module
  (import "cfg" "step" (global $step i32))
  (global $n (mut i32) (i32.const 0))
  (func $bump (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (global.get $step)))
    (global.get $n))
  (func $div (export "div") (param i32) (result i32)
    (i32.div_u (i32.const 100) (local.get 0)))
  (func (export "other") (result i32) (i32.const 7)))"#;

const APP: &str = r#"(module
  (import "lib" "bump" (func $bump (result i32)))
  (import "lib" "div" (func $div (param i32) (result i32)))
  (func (export "twice") (result i32) (drop (call $bump)) (call $bump))
  (func (export "div") (param i32) (result i32) (call $div (local.get 0))))"#;

const BUMP: u32 = 0;
const DIV: u32 = 1;

fn lib_constants(step: i32) -> Preimports {
    let mut p = Preimports::new();
    p.value("cfg", "step", Val::I32(step));
    p
}

/// App specialized on Lib's `bump` and `div` (Lib compiled with `step`).
fn known_app(engine: &Engine, step: i32, options: &CompileOptions) -> Module {
    let lib = lib_constants(step);
    let mut pre = Preimports::new();
    pre.code("lib", "bump", &KnownCode::new(LIB, &lib, BUMP).unwrap());
    pre.code("lib", "div", &KnownCode::new(LIB, &lib, DIV).unwrap());
    Module::with_preimports_options(engine, APP, &pre, options).unwrap()
}

/// Lib compiled with `step`, as its importers expect it.
fn lib_module(engine: &Engine, step: i32) -> Module {
    Module::with_preimports(engine, LIB, &lib_constants(step)).unwrap()
}

fn call(store: &mut Store, instance: &Instance, name: &str, args: &[Val]) -> Result<Vec<Val>> {
    let f = instance.get_func(store, name).unwrap();
    let ty = f.ty(store);
    let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
    f.call(store, args, &mut results)?;
    Ok(results)
}

fn instantiate_with(
    store: &mut Store,
    module: &Module,
    lib: &Instance,
) -> std::result::Result<Instance, Error> {
    let mut linker = Linker::new();
    linker.instance(store, "lib", lib);
    linker.instantiate(store, module)
}

#[test]
fn known_code_keeps_each_callee_instances_state() {
    let engine = engine();
    for threshold in [0, CompileOptions::default().inline_threshold] {
        let options = CompileOptions {
            inline_threshold: threshold,
            ..CompileOptions::default()
        };
        let app = known_app(&engine, 2, &options);
        // The import is still an import: it is supplied at instantiation.
        assert_eq!(app.imports().count(), 2);
        let generic = Module::new(&engine, APP).unwrap();
        let lib = lib_module(&engine, 2);
        let mut store = Store::new(&engine);
        let libs = [
            Instance::new(&mut store, &lib, &[]).unwrap(),
            Instance::new(&mut store, &lib, &[]).unwrap(),
        ];
        let a = instantiate_with(&mut store, &app, &libs[0]).unwrap();
        let b = instantiate_with(&mut store, &app, &libs[1]).unwrap();
        let g = instantiate_with(&mut store, &generic, &libs[1]).unwrap();
        let twice =
            |store: &mut Store, i: &Instance| call(store, i, "twice", &[]).unwrap()[0].i32();
        assert_eq!(twice(&mut store, &a), Some(4), "threshold {threshold}");
        assert_eq!(twice(&mut store, &a), Some(8));
        assert_eq!(twice(&mut store, &b), Some(4), "Lib's second instance");
        assert_eq!(twice(&mut store, &g), Some(8), "the generic App shares it");
        assert_eq!(twice(&mut store, &b), Some(12));
        assert_eq!(
            call(&mut store, &a, "div", &[Val::I32(7)]).unwrap()[0].i32(),
            Some(14)
        );
    }
}

#[test]
fn traps_in_known_code_report_the_callee_modules_offset() {
    let engine = engine();
    let generic = Module::new(&engine, APP).unwrap();
    let lib = lib_module(&engine, 1);
    let mut offsets = Vec::new();
    for module in [
        generic,
        known_app(&engine, 1, &CompileOptions::default()),
        known_app(
            &engine,
            1,
            &CompileOptions {
                inline_threshold: 0,
                ..CompileOptions::default()
            },
        ),
    ] {
        let mut store = Store::new(&engine);
        let l = Instance::new(&mut store, &lib, &[]).unwrap();
        let app = instantiate_with(&mut store, &module, &l).unwrap();
        let err = call(&mut store, &app, "div", &[Val::I32(0)]).unwrap_err();
        let trap = err.as_trap().expect("a trap");
        assert_eq!(trap.kind(), Some(TrapKind::IntegerDivisionByZero));
        offsets.push(trap.wasm_offset());
    }
    assert!(offsets[0].is_some());
    assert_eq!(offsets[0], offsets[1], "inlined: {offsets:?}");
    assert_eq!(offsets[0], offsets[2], "direct: {offsets:?}");
}

#[test]
fn instantiation_refuses_anything_but_the_known_function() {
    let engine = engine();
    let app = known_app(&engine, 2, &CompileOptions::default());
    let mut store = Store::new(&engine);
    let not_known = |result: std::result::Result<Instance, Error>| match result {
        Err(Error::IncompatibleImport(e)) => {
            assert!(
                matches!(e.reason, ImportMismatch::NotKnownCode { .. }),
                "{e}"
            );
            e.to_string()
        }
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("instantiated with a function that is not the known code"),
    };
    let lib = Instance::new(&mut store, &lib_module(&engine, 2), &[]).unwrap();
    let f = |name| lib.get_func(&store, name).unwrap();
    let (bump, div, other) = (f("bump"), f("div"), f("other"));

    // Another function of the same instance, of the right type.
    let swapped = Instance::new(&mut store, &app, &[other.into(), div.into()]);
    let message = not_known(swapped);
    assert!(message.contains("`lib`.`bump`"), "{message}");
    // A host function.
    let host = Func::new(&mut store, FuncType::new([], [ValType::I32]), |_, _, r| {
        r[0] = Val::I32(1);
        Ok(())
    })
    .unwrap();
    not_known(Instance::new(&mut store, &app, &[host.into(), div.into()]));
    // The same bytes compiled with another constant.
    let lib3 = Instance::new(&mut store, &lib_module(&engine, 3), &[]).unwrap();
    let bump3 = lib3.get_func(&store, "bump").unwrap();
    not_known(Instance::new(&mut store, &app, &[bump3.into(), div.into()]));
    // A re-export of the right function is the right function.
    let relay = Module::new(
        &engine,
        r#"(module (import "lib" "bump" (func $f (result i32))) (export "bump" (func $f)))"#,
    )
    .unwrap();
    let relay = Instance::new(&mut store, &relay, &[bump.into()]).unwrap();
    let relayed = relay.get_func(&store, "bump").unwrap();
    let ok = Instance::new(&mut store, &app, &[relayed.into(), div.into()]).unwrap();
    assert_eq!(
        call(&mut store, &ok, "twice", &[]).unwrap()[0].i32(),
        Some(4)
    );

    // Lib compiled without its constant bound: known code without constants matches it.
    let plain_lib = Module::new(
        &engine,
        r#"(module (global $n (mut i32) (i32.const 40))
             (func (export "get") (result i32) (global.get $n)))"#,
    )
    .unwrap();
    let plain_bytes = plain_lib.bytes().to_vec();
    let mut pre = Preimports::new();
    pre.code(
        "m",
        "get",
        &KnownCode::new(&plain_bytes, &Preimports::new(), 0).unwrap(),
    );
    let user = Module::with_preimports(
        &engine,
        r#"(module (import "m" "get" (func $g (result i32)))
             (func (export "run") (result i32) (i32.add (call $g) (i32.const 2))))"#,
        &pre,
    )
    .unwrap();
    let p = Instance::new(&mut store, &plain_lib, &[]).unwrap();
    let get = p.get_func(&store, "get").unwrap();
    let user = Instance::new(&mut store, &user, &[get.into()]).unwrap();
    assert_eq!(
        call(&mut store, &user, "run", &[]).unwrap()[0].i32(),
        Some(42)
    );
}

#[test]
fn bad_known_code_is_a_clear_error() {
    let engine = engine();
    let imported = KnownCode::new(APP, &Preimports::new(), 0).unwrap_err();
    assert!(
        imported.to_string().contains("not a defined function"),
        "{imported}"
    );
    let mut not_constant = Preimports::new();
    let provider = Provider::new(
        &engine,
        r#"(module (global (export "g") i32 (i32.const 1)))"#,
        Preimports::new(),
    )
    .unwrap();
    not_constant.export("cfg", "step", &provider, "g");
    let e = KnownCode::new(LIB, &not_constant, BUMP).unwrap_err();
    assert!(
        matches!(&e, Error::Preimport(p) if matches!(p.problem, PreimportProblem::KnownCodeBinding)),
        "{e}"
    );
    // The known function's type is not the import's.
    let mut pre = Preimports::new();
    pre.code(
        "lib",
        "bump",
        &KnownCode::new(LIB, &lib_constants(1), DIV).unwrap(),
    );
    pre.code(
        "lib",
        "div",
        &KnownCode::new(LIB, &lib_constants(1), DIV).unwrap(),
    );
    let e = Module::with_preimports(&engine, APP, &pre).unwrap_err();
    assert!(
        matches!(&e, Error::Preimport(p) if matches!(p.problem, PreimportProblem::Mismatch(ImportMismatch::FuncType { .. }))),
        "{e}"
    );
    // A provider cannot import known code: it is instantiated at compile time.
    let mut inner = Preimports::new();
    inner.code(
        "lib",
        "bump",
        &KnownCode::new(LIB, &lib_constants(1), BUMP).unwrap(),
    );
    inner.code(
        "lib",
        "div",
        &KnownCode::new(LIB, &lib_constants(1), DIV).unwrap(),
    );
    let provider = Provider::new(&engine, APP, inner).unwrap();
    let mut outer = Preimports::new();
    outer.export("p", "twice", &provider, "twice");
    let e = Module::with_preimports(
        &engine,
        r#"(module (import "p" "twice" (func (result i32))))"#,
        &outer,
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Preimport(p) if matches!(p.problem, PreimportProblem::KnownCodeInProvider)),
        "{e}"
    );
}

#[test]
fn the_cache_key_and_the_recipe_carry_the_known_code() {
    let engine = engine();
    let options = CompileOptions::default();
    let counts = |engine: &Engine| {
        let stats = engine.cache_stats();
        (stats.misses, stats.memory_hits)
    };
    let first = known_app(&engine, 2, &options);
    assert_eq!(counts(&engine), (1, 0));
    let again = known_app(&engine, 2, &options);
    assert_eq!(counts(&engine), (1, 1), "the same known code is a hit");
    drop(again);
    // Other constants of the known code's module, another function: other artifacts.
    let _three = known_app(&engine, 3, &options);
    assert_eq!(counts(&engine), (2, 1));
    let mut pre = Preimports::new();
    pre.code(
        "lib",
        "bump",
        &KnownCode::new(LIB, &lib_constants(2), 2).unwrap(),
    );
    pre.code(
        "lib",
        "div",
        &KnownCode::new(LIB, &lib_constants(2), DIV).unwrap(),
    );
    let _other_func = Module::with_preimports(&engine, APP, &pre).unwrap();
    assert_eq!(counts(&engine), (3, 1));

    // Serialized and loaded again, the known code is still checked and called directly.
    let bytes = first.serialize().unwrap();
    let loaded = Module::deserialize(&engine, &bytes).unwrap();
    let mut store = Store::new(&engine);
    let lib = Instance::new(&mut store, &lib_module(&engine, 2), &[]).unwrap();
    let app = instantiate_with(&mut store, &loaded, &lib).unwrap();
    assert_eq!(
        call(&mut store, &app, "twice", &[]).unwrap()[0].i32(),
        Some(4)
    );
    let other = lib.get_func(&store, "other").unwrap();
    let div = lib.get_func(&store, "div").unwrap();
    assert!(Instance::new(&mut store, &loaded, &[other.into(), div.into()]).is_err());
}

#[test]
fn explain_shows_the_direct_call() {
    let engine = engine();
    let mut pre = Preimports::new();
    pre.code(
        "lib",
        "bump",
        &KnownCode::new(LIB, &lib_constants(5), BUMP).unwrap(),
    );
    pre.code(
        "lib",
        "div",
        &KnownCode::new(LIB, &lib_constants(5), DIV).unwrap(),
    );
    let explained =
        Module::explain(&engine, APP, &pre, "twice", &CompileOptions::default()).unwrap();
    assert!(
        explained.generic.clif.contains("call_indirect"),
        "{}",
        explained.generic.clif
    );
    let clif = &explained.specialized.clif;
    assert!(
        !clif.contains("call_indirect") && !clif.contains(" call "),
        "{clif}"
    );
    // Lib's constant step (5) is folded into the inlined copy.
    assert!(clif.contains("iconst.i32 5"), "{clif}");
}

#[test]
fn export_positions_find_exports_without_names() {
    let engine = engine();
    let lib = lib_module(&engine, 1);
    let at = lib.export_index("div").unwrap();
    assert_eq!(at, 1);
    assert_eq!(lib.export_index("nothing"), None);
    let mut store = Store::new(&engine);
    let l = Instance::new(&mut store, &lib, &[]).unwrap();
    let by_index = l.export_at(&store, at).unwrap().into_func().unwrap();
    assert_eq!(Some(by_index), l.get_func(&store, "div"));
    assert!(l.export_at(&store, 3).is_none());
}

/// Known code is transitive: App knows Mid's `f`, which knows Lib's `bump`; the copy of
/// `f` in App's artifact calls the copy of `bump` directly (through Mid's import slot's
/// vmctx), and an instance of Mid compiled without that knowledge is refused.
#[test]
fn known_code_is_transitive() {
    const MID: &str = r#"(module
      (import "lib" "bump" (func $bump (result i32)))
      (func (export "f") (result i32) (i32.mul (call $bump) (i32.const 10))))"#;
    const TOP: &str = r#"(module
      (import "mid" "f" (func $f (result i32)))
      (func (export "run") (result i32) (i32.add (call $f) (i32.const 1))))"#;
    let engine = engine();
    let lib_code = KnownCode::new(LIB, &lib_constants(3), BUMP).unwrap();
    let mut mid_pre = Preimports::new();
    mid_pre.code("lib", "bump", &lib_code);
    let mut top_pre = Preimports::new();
    top_pre.code("mid", "f", &KnownCode::new(MID, &mid_pre, 1).unwrap());

    let explained =
        Module::explain(&engine, TOP, &top_pre, "run", &CompileOptions::default()).unwrap();
    let clif = &explained.specialized.clif;
    assert!(
        !clif.contains("call_indirect") && !clif.contains(" call "),
        "{clif}"
    );
    assert!(
        clif.contains("iconst.i32 3"),
        "Lib's constant folded two hops away: {clif}"
    );

    let lib = lib_module(&engine, 3);
    let mid = Module::with_preimports(&engine, MID, &mid_pre).unwrap();
    let top = Module::with_preimports(&engine, TOP, &top_pre).unwrap();
    let mut store = Store::new(&engine);
    let l = Instance::new(&mut store, &lib, &[]).unwrap();
    let bump = l.get_func(&store, "bump").unwrap();
    let m = Instance::new(&mut store, &mid, &[bump.into()]).unwrap();
    let f = m.get_func(&store, "f").unwrap();
    let t = Instance::new(&mut store, &top, &[f.into()]).unwrap();
    assert_eq!(call(&mut store, &t, "run", &[]).unwrap()[0].i32(), Some(31));
    assert_eq!(call(&mut store, &t, "run", &[]).unwrap()[0].i32(), Some(61));
    // Mid compiled generically (its import an ordinary one) is other code.
    let generic_mid = Module::new(&engine, MID).unwrap();
    let gm = Instance::new(&mut store, &generic_mid, &[bump.into()]).unwrap();
    let gf = gm.get_func(&store, "f").unwrap();
    assert!(matches!(
        Instance::new(&mut store, &top, &[gf.into()]),
        Err(Error::IncompatibleImport(e)) if matches!(e.reason, ImportMismatch::NotKnownCode { .. })
    ));
    // Serialized, the nested known code survives.
    let loaded = Module::deserialize(&engine, &top.serialize().unwrap()).unwrap();
    let t2 = Instance::new(&mut store, &loaded, &[f.into()]).unwrap();
    assert_eq!(
        call(&mut store, &t2, "run", &[]).unwrap()[0].i32(),
        Some(91)
    );
}
