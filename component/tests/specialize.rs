//! Wiring edges specialized (`wiring.rs`): which imports become known code or constants
//! and why the others stay ordinary; the compiled code has direct calls and folded
//! constants; results and trap offsets equal `Specialize::Off`'s; each static module is
//! compiled once per distinct wiring, and the cache key includes the wiring.

use stagec_component::plan::ModuleIndex;
use stagec_component::{Component, ComponentOptions, Edge, Linker, Ordinary, Specialize, Value};

fn engine() -> stagec::Engine {
    stagec::Engine::new(stagec::Config::default()).expect("engine")
}

const OFF: ComponentOptions = ComponentOptions {
    specialize: Specialize::Off,
    compile: stagec::CompileOptions {
        inline_threshold: 100,
        interruptible: false,
        consume_fuel: false,
    },
};

/// Lib (instantiated once, with a counter and a constant `scale`), App instantiated three
/// times from it; App's `run` calls Lib's `step` and reads `scale`; `div` traps in Lib.
fn app_lib(scale: i32) -> String {
    format!(
        r#"(component
  (core module $Lib
    (global $n (mut i32) (i32.const 0))
    (global (export "scale") i32 (i32.const {scale}))
    (global (export "counter") (mut i32) (i32.const 0))
    (func (export "step") (param i32) (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (i32.add (local.get 0) (global.get $n)))
    (func (export "div") (param i32) (result i32)
      (i32.div_u (i32.const 1000) (local.get 0))))
  (core instance $lib (instantiate $Lib))
  (core module $App
    (import "lib" "step" (func $step (param i32) (result i32)))
    (import "lib" "div" (func $div (param i32) (result i32)))
    (import "lib" "scale" (global $scale i32))
    (import "lib" "counter" (global $counter (mut i32)))
    (func (export "run") (param i32) (result i32)
      (i32.mul (call $step (local.get 0)) (global.get $scale)))
    (func (export "div") (param i32) (result i32) (call $div (local.get 0))))
  (core instance $a (instantiate $App (with "lib" (instance $lib))))
  (core instance $b (instantiate $App (with "lib" (instance $lib))))
  (core instance $c (instantiate $App (with "lib" (instance $lib))))
  (func (export "a-run") (param "x" u32) (result u32) (canon lift (core func $a "run")))
  (func (export "b-run") (param "x" u32) (result u32) (canon lift (core func $b "run")))
  (func (export "div") (param "x" u32) (result u32) (canon lift (core func $c "div")))
)"#
    )
}

const APP: ModuleIndex = ModuleIndex(1);

#[test]
fn edges_say_what_is_specialized_and_why_not() {
    let engine = engine();
    let component = Component::from_binary(&engine, app_lib(3).as_bytes()).unwrap();
    let edges = component.edges(APP);
    assert!(
        matches!(
            edges[0],
            Edge::KnownCode {
                module: ModuleIndex(0),
                func: 0,
                ..
            }
        ),
        "{edges:?}"
    );
    assert!(
        matches!(edges[1], Edge::KnownCode { func: 1, .. }),
        "{edges:?}"
    );
    assert!(
        matches!(edges[2], Edge::Constant(stagec::Val::I32(3))),
        "{edges:?}"
    );
    assert!(
        matches!(edges[3], Edge::Ordinary(Ordinary::MutableGlobal)),
        "{edges:?}"
    );
    // The constant is not an import of the compiled module any more; the rest are.
    assert_eq!(component.modules()[1].imports().count(), 3);
    let text = component.explain_edges();
    assert!(text.contains("3 of 4 imports specialized"), "{text}");
    assert!(
        text.contains("\"lib\" \"scale\" (global i32): specialized: constant i32 3"),
        "{text}"
    );
    let inspect = component.inspect();
    assert!(
        inspect.contains("ordinary import (a mutable global); every instantiation (3) feeds"),
        "{inspect}"
    );

    let off = Component::from_binary_with(&engine, app_lib(3).as_bytes(), &OFF).unwrap();
    assert!(
        off.edges(APP)
            .iter()
            .all(|e| matches!(e, Edge::Ordinary(Ordinary::Off)))
    );
    assert!(off.explain_edges().contains("0 of 4 imports specialized"));
    assert_eq!(off.modules()[1].imports().count(), 4);
}

#[test]
fn other_reasons_keep_imports_ordinary() {
    let engine = engine();
    // A fan: one module instantiated from two different instances; a host import; a
    // memory; a global whose initializer is a reference; a large body.
    let big_body = "(drop (i32.const 1))".repeat(1000);
    let text = format!(
        r#"(component
  (import "double" (func $double (param "x" s32) (result s32)))
  (core func $d (canon lower (func $double)))
  (core module $Lib
    (memory (export "mem") 1)
    (global (export "sum") funcref (ref.null func))
    (func (export "f") (result i32) (i32.const 1))
    (func (export "big") (result i32) {big_body} (i32.const 2)))
  (core instance $l1 (instantiate $Lib))
  (core instance $l2 (instantiate $Lib))
  (core instance $host (export "double" (func $d)))
  (core module $User
    (import "lib" "f" (func (result i32)))
    (import "lib" "mem" (memory 1))
    (import "lib" "sum" (global funcref))
    (import "lib" "big" (func (result i32)))
    (import "host" "double" (func (param i32) (result i32))))
  (core instance (instantiate $User (with "lib" (instance $l1)) (with "host" (instance $host))))
  (core instance (instantiate $User (with "lib" (instance $l2)) (with "host" (instance $host))))
  (core module $Single
    (import "lib" "sum" (global funcref))
    (import "lib" "big" (func (result i32))))
  (core instance (instantiate $Single (with "lib" (instance $l1))))
  (core module $Never (import "lib" "f" (func (result i32))))
)"#
    );
    let component = Component::from_binary(&engine, text.as_bytes()).unwrap();
    let reasons = |m: u32| -> Vec<Option<Ordinary>> {
        component
            .edges(ModuleIndex(m))
            .iter()
            .map(|e| match e {
                Edge::Ordinary(r) => Some(*r),
                _ => None,
            })
            .collect()
    };
    use Ordinary::*;
    assert_eq!(
        reasons(1),
        [
            Some(InstantiationsDiffer),
            Some(PerInstanceObject(stagec_component::plan::CoreKind::Memory)),
            Some(NotConstant),
            Some(InstantiationsDiffer),
            Some(HostFunction),
        ]
    );
    let big = reasons(2);
    assert_eq!(big[0], Some(NotConstant));
    assert!(matches!(big[1], Some(LargeBody { bytes }) if bytes > stagec::KNOWN_CODE_MAX_BODY));
    assert_eq!(reasons(3), [Some(NeverInstantiated)]);
    // Still instantiable and callable: everything is supplied at runtime.
    let mut linker = Linker::new();
    linker.func("double", |args, results| {
        let Value::S32(x) = args[0] else {
            unreachable!()
        };
        results[0] = Value::S32(2 * x);
        Ok(())
    });
    let mut store = stagec::Store::new(&engine);
    linker.instantiate(&mut store, &component).unwrap();
}

#[test]
fn specialized_code_calls_directly_and_folds_constants() {
    let engine = engine();
    let component = Component::from_binary(&engine, app_lib(7).as_bytes()).unwrap();
    let explained = component.explain(&engine, APP, "run").unwrap();
    let (generic, specialized) = (&explained.generic.clif, &explained.specialized.clif);
    assert!(generic.contains("call_indirect"), "{generic}");
    assert!(!specialized.contains("call_indirect"), "{specialized}");
    // Lib's `step` is inlined (no call at all) and `scale` (7) is a constant.
    assert!(!specialized.contains(" call "), "{specialized}");
    assert!(specialized.contains("iconst.i32 7"), "{specialized}");
    let off = Component::from_binary_with(&engine, app_lib(7).as_bytes(), &OFF).unwrap();
    let same = off.explain(&engine, APP, "run").unwrap();
    assert_eq!(
        same.specialized.clif, same.generic.clif,
        "off: nothing bound"
    );
    assert!(component.explain(&engine, ModuleIndex(9), "run").is_err());
}

/// Calls every export a few times; the results and the trap's offset.
fn run(component: &Component) -> (Vec<Option<Value>>, Option<u32>) {
    let mut store = stagec::Store::new(component.modules()[0].engine());
    let instance = Linker::new().instantiate(&mut store, component).unwrap();
    let mut results = Vec::new();
    for x in 0..4 {
        for name in ["a-run", "b-run", "div"] {
            results.push(
                instance
                    .call(&mut store, name, &[Value::U32(x + 1)])
                    .unwrap(),
            );
        }
    }
    let err = instance
        .call(&mut store, "div", &[Value::U32(0)])
        .unwrap_err();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    let mut offset = None;
    while let Some(e) = source {
        if let Some(trap) = e.downcast_ref::<stagec::Error>().and_then(|e| e.as_trap()) {
            offset = trap.wasm_offset();
        }
        source = e.source();
    }
    (results, offset)
}

#[test]
fn results_and_trap_offsets_equal_the_generic_build() {
    let engine = engine();
    let text = app_lib(5);
    let specialized = Component::from_binary(&engine, text.as_bytes()).unwrap();
    let inlining_off = ComponentOptions {
        specialize: Specialize::On,
        compile: stagec::CompileOptions {
            inline_threshold: 0,
            ..Default::default()
        },
    };
    let direct = Component::from_binary_with(&engine, text.as_bytes(), &inlining_off).unwrap();
    let generic = Component::from_binary_with(&engine, text.as_bytes(), &OFF).unwrap();
    let (want, want_offset) = run(&generic);
    assert!(want_offset.is_some(), "the generic build reports an offset");
    // The shared counter of Lib is stepped by both App instances: a-run(1) = (1+1)*5.
    assert_eq!(want[0], Some(Value::U32(10)));
    assert_eq!(want[1], Some(Value::U32(15)));
    for (label, c) in [("inlined", &specialized), ("direct", &direct)] {
        let (got, offset) = run(c);
        assert_eq!(got, want, "{label}");
        assert_eq!(offset, want_offset, "{label}: the trap is at Lib's offset");
    }
}

#[test]
fn each_module_compiles_once_per_distinct_wiring() {
    let engine = engine();
    let misses = |engine: &stagec::Engine| engine.cache_stats().misses;
    let five = app_lib(5);
    let first = Component::from_binary(&engine, five.as_bytes()).unwrap();
    // Two static modules, App instantiated three times: two compilations.
    assert_eq!(first.plan().modules[1].instantiations.len(), 3);
    assert_eq!(misses(&engine), 2);
    let mut store = stagec::Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &first).unwrap();
    assert_eq!(instance.core_instances().len(), 4);
    assert_eq!(misses(&engine), 2, "instantiating compiles nothing");
    // The same component again: both artifacts come from the cache.
    let _again = Component::from_binary(&engine, five.as_bytes()).unwrap();
    assert_eq!(misses(&engine), 2);
    assert_eq!(engine.cache_stats().memory_hits, 2);
    // Lib with another constant: Lib's bytes differ, and App (same bytes) is wired to
    // another constant, so it is compiled again.
    let _six = Component::from_binary(&engine, app_lib(6).as_bytes()).unwrap();
    assert_eq!(misses(&engine), 4);
    // Unspecialized, App does not depend on the wiring: one App artifact for both.
    let _off5 = Component::from_binary_with(&engine, five.as_bytes(), &OFF).unwrap();
    assert_eq!(misses(&engine), 5, "the generic App is new, Lib is a hit");
    let _off6 = Component::from_binary_with(&engine, app_lib(6).as_bytes(), &OFF).unwrap();
    assert_eq!(
        misses(&engine),
        5,
        "the generic App is shared, whatever Lib's constant"
    );
}

/// Known code is transitive across the wiring: App → Mid → Lib, all inlined into App.
#[test]
fn a_call_chain_is_specialized_end_to_end() {
    let text = r#"(component
  (core module $Lib
    (global $n (mut i32) (i32.const 0))
    (global (export "k") i32 (i32.const 9))
    (func (export "step") (param i32) (result i32)
      (global.set $n (i32.add (global.get $n) (local.get 0)))
      (global.get $n)))
  (core instance $lib (instantiate $Lib))
  (core module $Mid
    (import "lib" "step" (func $step (param i32) (result i32)))
    (import "lib" "k" (global $k i32))
    (func (export "f") (param i32) (result i32)
      (i32.mul (call $step (local.get 0)) (global.get $k))))
  (core instance $mid (instantiate $Mid (with "lib" (instance $lib))))
  (core module $App
    (import "mid" "f" (func $f (param i32) (result i32)))
    (func (export "run") (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1))))
  (core instance $app (instantiate $App (with "mid" (instance $mid))))
  (func (export "run") (param "x" u32) (result u32) (canon lift (core func $app "run")))
)"#;
    let engine = engine();
    let component = Component::from_binary(&engine, text.as_bytes()).unwrap();
    let explained = component.explain(&engine, ModuleIndex(2), "run").unwrap();
    let clif = &explained.specialized.clif;
    assert!(
        !clif.contains("call_indirect") && !clif.contains(" call "),
        "{clif}"
    );
    assert!(
        clif.contains("iconst.i32 9"),
        "Lib's constant, two hops away: {clif}"
    );
    let generic = Component::from_binary_with(&engine, text.as_bytes(), &OFF).unwrap();
    for c in [&component, &generic] {
        let mut store = stagec::Store::new(&engine);
        let instance = Linker::new().instantiate(&mut store, c).unwrap();
        let mut call = |x| instance.call(&mut store, "run", &[Value::U32(x)]).unwrap();
        assert_eq!(call(2), Some(Value::U32(19)));
        assert_eq!(call(3), Some(Value::U32(46)));
    }
}
