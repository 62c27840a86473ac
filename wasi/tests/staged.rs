//! Staged modules and WASI (docs/staged-modules.md): only the `multi` stage may import
//! WASI (its imports are bound at instantiation, to the host functions); a `pre` or
//! `single` stage that imports WASI is refused with an error naming the stage and import.

use stagec::{Config, Engine, Linker, Module, Preimports, Store, parse_swat};
use stagec_wasi::WasiCtxBuilder;

/// A pre stage computes a greeting's length and offset at compile time; the multi stage
/// writes the greeting with WASI's fd_write at run time.
const GREETER: &str = r#"
(staged
  (stage $layout pre (module
    (global (export "len") (mut i32) (i32.const 0))
    (func $init (global.set 0 (i32.add (i32.const 10) (i32.const 5))))
    (start $init)))
  (stage $main multi (module
    (import "layout" "len" (global $len i32))
    (import "wasi_snapshot_preview1" "fd_write"
      (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 64) "hello, staged!\n")
    (func (export "_start")
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (global.get $len))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))))
"#;

#[test]
fn the_multi_stage_of_a_staged_module_uses_wasi() {
    let engine = Engine::new(Config::default()).expect("engine");
    let staged = parse_swat(GREETER).expect("swat");
    let module = Module::from_staged(&engine, &staged, &Preimports::new()).expect("compile");
    let imports: Vec<String> = module
        .imports()
        .map(|(m, n, _)| format!("{m}.{n}"))
        .collect();
    assert_eq!(imports, ["wasi_snapshot_preview1.fd_write"]);
    let wasi = WasiCtxBuilder::new("greeter")
        .capture_stdout()
        .build()
        .expect("ctx");
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    wasi.add_to_linker(&mut linker, &mut store).expect("wasi");
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiate");
    assert_eq!(
        stagec_wasi::run_command(&mut store, &instance).expect("runs"),
        0
    );
    assert_eq!(
        wasi.captured_stdout().expect("captured"),
        b"hello, staged!\n"
    );
}

#[test]
fn pre_and_single_stages_may_not_import_wasi() {
    let engine = Engine::new(Config::default()).expect("engine");
    for (kind, function, ty) in [
        (
            "pre",
            "path_open",
            "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)",
        ),
        ("pre", "clock_time_get", "(param i32 i64 i32) (result i32)"),
        ("single", "random_get", "(param i32 i32) (result i32)"),
    ] {
        let text = format!(
            r#"(staged
              (stage $cfg {kind} (module
                (import "wasi_snapshot_preview1" "{function}" (func {ty}))
                (memory (export "memory") 1)))
              (stage $main multi (module (import "cfg" "memory" (memory 1)))))"#
        );
        let staged = parse_swat(&text).expect("swat");
        let err = Module::from_staged(&engine, &staged, &Preimports::new())
            .expect_err("WASI in a compile-time stage");
        let message = err.to_string();
        let expected = format!(
            "stage `cfg` ({kind}): imports `wasi_snapshot_preview1`.`{function}`: WASI is not \
             available at compile time"
        );
        assert!(message.starts_with(&expected), "{message}");
    }
}
