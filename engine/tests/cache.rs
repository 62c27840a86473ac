//! The code cache and precompiled artifacts: serialization round trips (plain, specialized
//! on constants and on a stateful provider, staged), a file is never trusted (truncated,
//! bit-flipped, wrong version, wrong target), the disk cache keys every input. The cache
//! through the command line (concurrent processes, timings, `stagec cache`) is tested in
//! cli/tests/cache.rs.

use stagec::*;
use std::path::{Path, PathBuf};

fn engine_with(cache: Option<&Path>) -> Engine {
    Engine::new(Config::default().with_cache(cache.map(CacheConfig::new))).unwrap()
}

fn denying() -> Engine {
    Engine::new(Config::default().deny_compilation(true)).unwrap()
}

fn call_i32(
    module: &Module,
    store: &mut Store,
    instance: &Instance,
    name: &str,
    args: &[Val],
) -> i32 {
    let _ = module;
    let f = instance.get_func(store, name).unwrap();
    let mut out = [Val::I32(0)];
    f.call(store, args, &mut out).unwrap();
    out[0].i32().unwrap()
}

fn run(module: &Module, name: &str, args: &[Val]) -> i32 {
    let mut store = Store::new(module.engine());
    let instance = Linker::new().instantiate(&mut store, module).unwrap();
    call_i32(module, &mut store, &instance, name, args)
}

/// A fresh, empty directory under the target's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const SCALE: &str = r#"(module
  (import "env" "k" (global $k i32))
  (memory 1)
  (data (i32.const 16) "\05\00\00\00")
  (func (export "f") (param i32) (result i32)
    (i32.add (i32.mul (local.get 0) (global.get $k)) (i32.load (i32.const 16)))))"#;

/// A provider with state: a counter in a mutable global and a table in memory.
const COUNTER: &str = r#"(module
  (global $n (mut i32) (i32.const 100))
  (memory 1)
  (data (i32.const 0) "\07")
  (func (export "next") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.load8_u (i32.const 0))))
    (global.get $n)))"#;

const USES_COUNTER: &str = r#"(module
  (import "p" "next" (func $next (result i32)))
  (func (export "f") (param i32) (result i32)
    (i32.add (call $next) (local.get 0))))"#;

fn k(value: i32) -> Preimports {
    let mut pre = Preimports::new();
    pre.value("env", "k", Val::I32(value));
    pre
}

#[test]
fn serialized_modules_run_without_the_compiler() {
    let engine = engine_with(None);
    // Plain.
    let plain = Module::new(&engine, r#"(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))"#).unwrap();
    let loaded = Module::deserialize(&denying(), &plain.serialize().unwrap()).unwrap();
    assert_eq!(run(&loaded, "f", &[Val::I32(14)]), 42);
    assert_eq!(loaded.timings().cache, CacheOutcome::Artifact);
    // Constants.
    let scaled = Module::with_preimports(&engine, SCALE, &k(10)).unwrap();
    let loaded = Module::deserialize(&denying(), &scaled.serialize().unwrap()).unwrap();
    assert_eq!(run(&loaded, "f", &[Val::I32(4)]), 45);
    assert_eq!(loaded.imports().count(), 0);
    // A stateful provider compiled in: its state is re-created, the code relocated to it.
    let mut pre = Preimports::new();
    let provider = Provider::new(&engine, COUNTER, Preimports::new()).unwrap();
    pre.export("p", "next", &provider, "next");
    let with_provider = Module::with_preimports(&engine, USES_COUNTER, &pre).unwrap();
    let bytes = with_provider.serialize().unwrap();
    let loaded = Module::deserialize(&denying(), &bytes).unwrap();
    let mut store = Store::new(loaded.engine());
    let instance = Linker::new().instantiate(&mut store, &loaded).unwrap();
    assert_eq!(
        call_i32(&loaded, &mut store, &instance, "f", &[Val::I32(1)]),
        108
    );
    assert_eq!(
        call_i32(&loaded, &mut store, &instance, "f", &[Val::I32(1)]),
        115
    );
    // The original's state is its own.
    assert_eq!(run(&with_provider, "f", &[Val::I32(0)]), 107);
    // Loading twice gives two independent states (each load is its own compilation).
    let again = Module::deserialize(&denying(), &bytes).unwrap();
    assert_eq!(run(&again, "f", &[Val::I32(0)]), 107);
}

#[test]
fn serialized_staged_modules_keep_their_stages() {
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/staged/layout.swat"),
    )
    .unwrap();
    let staged = parse_swat(&source).unwrap();
    let engine = engine_with(None);
    let mut pre = Preimports::new();
    pre.value("cfg", "hdr", Val::I32(8));
    let module = Module::from_staged(&engine, &staged, &pre).unwrap();
    let loaded = Module::deserialize(&denying(), &module.serialize().unwrap()).unwrap();
    let mut store = Store::new(loaded.engine());
    let instance = Linker::new().instantiate(&mut store, &loaded).unwrap();
    let set = instance.get_func(&store, "set").unwrap();
    set.call(&mut store, &[Val::I32(3), Val::I32(4)], &mut [])
        .unwrap();
    assert_eq!(call_i32(&loaded, &mut store, &instance, "sum", &[]), 7);
    assert_eq!(call_i32(&loaded, &mut store, &instance, "off_y", &[]), 12);
}

fn artifact_error(engine: &Engine, bytes: &[u8]) -> String {
    match Module::deserialize(engine, bytes) {
        Ok(_) => panic!("a damaged artifact loaded"),
        Err(e @ Error::Artifact(_)) => e.to_string(),
        Err(e) => panic!("expected an artifact error, got {e}"),
    }
}

/// Replaces the first occurrence of `from` in `bytes` with `to` (same length).
fn patch(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn damaged_artifacts_are_clear_errors() {
    let engine = engine_with(None);
    let bytes = Module::with_preimports(&engine, SCALE, &k(3))
        .unwrap()
        .serialize()
        .unwrap();
    assert!(is_artifact(&bytes));
    // Truncated anywhere: header, payload, last byte.
    for len in [0, 4, 8, 20, 60, bytes.len() / 2, bytes.len() - 1] {
        let e = artifact_error(&engine, &bytes[..len]);
        assert!(
            e.contains("magic") || e.contains("truncated") || e.contains("header"),
            "{len}: {e}"
        );
    }
    // Every single-bit flip of the payload is caught by the checksum; flips in the header
    // by the field they hit.
    let step = (bytes.len() / 97).max(1);
    for at in (0..bytes.len()).step_by(step) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x10;
        artifact_error(&engine, &flipped);
    }
    // Another engine version or target.
    let version = patch(&bytes, b"stagec 0.", b"stagec 9.");
    assert!(artifact_error(&engine, &version).contains("made by stagec 9."));
    let triple = target_lexicon_triple();
    let other = triple
        .replace("x86_64", "ppc_64")
        .replace("aarch64", "ppc_6_4");
    let target = patch(&bytes, triple.as_bytes(), other.as_bytes());
    assert!(artifact_error(&engine, &target).contains("compiled for"));
    // Not an artifact at all.
    assert!(artifact_error(&engine, b"\0asm\x01\0\0\0").contains("magic"));
}

/// The host triple as the engine writes it.
fn target_lexicon_triple() -> String {
    if cfg!(target_arch = "x86_64") {
        "x86_64".into()
    } else {
        "aarch64".into()
    }
}

#[test]
fn the_disk_cache_keys_every_preimport_value() {
    let dir = temp_dir("keys");
    let engine = engine_with(Some(&dir));
    for value in 0..100 {
        let m = Module::with_preimports(&engine, SCALE, &k(value)).unwrap();
        assert_eq!(m.timings().cache, CacheOutcome::Miss);
        assert_eq!(run(&m, "f", &[Val::I32(2)]), 2 * value + 5);
    }
    assert_eq!(cache_entries(&dir).unwrap().len(), 100);
    // A second engine (a new process, as far as the cache knows) hits all 100.
    let engine = engine_with(Some(&dir));
    for value in 0..100 {
        let m = Module::with_preimports(&engine, SCALE, &k(value)).unwrap();
        assert_eq!(m.timings().cache, CacheOutcome::DiskHit, "value {value}");
        assert_eq!(run(&m, "f", &[Val::I32(2)]), 2 * value + 5);
    }
    let stats = engine.cache_stats();
    assert_eq!((stats.disk_hits, stats.misses), (100, 0));
    // The same inputs in one engine: one shared module.
    let again = Module::with_preimports(&engine, SCALE, &k(7)).unwrap();
    let _ = again;
    let once_more = Module::with_preimports(&engine, SCALE, &k(7)).unwrap();
    assert_eq!(run(&once_more, "f", &[Val::I32(1)]), 12);
    assert!(engine.cache_stats().memory_hits >= 1);
    // Other options are other keys.
    let other = Module::with_preimports_options(
        &engine,
        SCALE,
        &k(7),
        &CompileOptions {
            inline_threshold: 0,
            ..CompileOptions::default()
        },
    )
    .unwrap();
    assert_eq!(other.timings().cache, CacheOutcome::Miss);
    assert_eq!(clear_cache(&dir).unwrap(), 101);
    assert!(cache_entries(&dir).unwrap().is_empty());
}

#[test]
fn corrupt_cache_entries_are_discarded_and_rebuilt() {
    let dir = temp_dir("corrupt");
    let engine = engine_with(Some(&dir));
    Module::with_preimports(&engine, SCALE, &k(9)).unwrap();
    let entry = cache_entries(&dir).unwrap().remove(0);
    let good = std::fs::read(&entry.path).unwrap();
    let damages: Vec<Vec<u8>> = vec![
        good[..good.len() / 3].to_vec(),
        {
            let mut b = good.clone();
            let last = b.len() - 3;
            b[last] ^= 1;
            b
        },
        patch(&good, b"stagec 0.", b"stagec 9."),
        Vec::new(),
    ];
    for (i, damaged) in damages.iter().enumerate() {
        std::fs::write(&entry.path, damaged).unwrap();
        let engine = engine_with(Some(&dir));
        let m = Module::with_preimports(&engine, SCALE, &k(9)).unwrap();
        assert_eq!(m.timings().cache, CacheOutcome::Miss, "damage {i}");
        assert_eq!(engine.cache_stats().discarded, 1, "damage {i}");
        assert_eq!(run(&m, "f", &[Val::I32(1)]), 14);
        // Rebuilt: the next engine hits.
        let engine = engine_with(Some(&dir));
        let m = Module::with_preimports(&engine, SCALE, &k(9)).unwrap();
        assert_eq!(m.timings().cache, CacheOutcome::DiskHit, "damage {i}");
    }
}

#[test]
fn the_cache_evicts_least_recently_used_entries() {
    let dir = temp_dir("lru");
    let engine = engine_with(Some(&dir));
    Module::with_preimports(&engine, SCALE, &k(0)).unwrap();
    let size = cache_entries(&dir).unwrap()[0].size;
    // Room for three entries.
    let config = CacheConfig {
        dir: dir.clone(),
        max_bytes: size * 3 + size / 2,
    };
    let engine = Engine::new(Config::default().with_cache(Some(config))).unwrap();
    for value in 1..6 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        Module::with_preimports(&engine, SCALE, &k(value)).unwrap();
    }
    let entries = cache_entries(&dir).unwrap();
    assert_eq!(entries.len(), 3);
    // The newest three remain: 3, 4, 5 hit in a fresh engine; 0 does not.
    let config = CacheConfig {
        dir: dir.clone(),
        max_bytes: u64::MAX,
    };
    let fresh = Engine::new(Config::default().with_cache(Some(config))).unwrap();
    for value in 3..6 {
        let m = Module::with_preimports(&fresh, SCALE, &k(value)).unwrap();
        assert_eq!(m.timings().cache, CacheOutcome::DiskHit, "value {value}");
    }
    let m = Module::with_preimports(&fresh, SCALE, &k(0)).unwrap();
    assert_eq!(m.timings().cache, CacheOutcome::Miss);
}

#[test]
fn modules_bound_to_live_objects_are_compiled_but_not_cached() {
    let dir = temp_dir("live");
    let engine = engine_with(Some(&dir));
    let mut store = Store::new(&engine);
    let global = Global::new(
        &mut store,
        GlobalType {
            ty: ValType::I32,
            mutable: true,
        },
        Val::I32(5),
    )
    .unwrap();
    let mut pre = Preimports::new();
    pre.bind("env", "g", Preimport::Extern(global.into()));
    let m = Module::with_preimports_in(
        &mut store,
        r#"(module (import "env" "g" (global $g (mut i32))) (func (export "f") (result i32) (global.get $g)))"#,
        &pre,
    )
    .unwrap();
    assert_eq!(m.timings().cache, CacheOutcome::Uncacheable);
    assert!(m.serialize().is_err());
    assert!(cache_entries(&dir).unwrap().is_empty());
}

#[test]
fn a_memory_hit_gives_each_compilation_its_own_compile_time_state() {
    let engine = engine_with(None);
    let provider = Provider::new(&engine, COUNTER, Preimports::new()).unwrap();
    let mut pre = Preimports::new();
    pre.export("p", "next", &provider, "next");
    let first = Module::with_preimports(&engine, USES_COUNTER, &pre).unwrap();
    let second = Module::with_preimports(&engine, USES_COUNTER, &pre).unwrap();
    assert_eq!(first.timings().cache, CacheOutcome::Miss);
    assert_eq!(second.timings().cache, CacheOutcome::MemoryHit);
    // The provider's counter is per compilation: both start at 100.
    assert_eq!(run(&first, "f", &[Val::I32(0)]), 107);
    assert_eq!(run(&first, "f", &[Val::I32(0)]), 114);
    assert_eq!(run(&second, "f", &[Val::I32(0)]), 107);
    // Modules without compile-time state are shared as they are.
    let a = Module::with_preimports(&engine, SCALE, &k(1)).unwrap();
    let b = Module::with_preimports(&engine, SCALE, &k(1)).unwrap();
    assert_eq!(b.timings().cache, a.timings().cache);
    assert_eq!(engine.cache_stats().memory_hits, 2);
}

/// A pre stage whose start function fills a table and counts its work in a mutable
/// global (frozen into a constant for the multi stage), a single stage with state.
const STAGED_WORK: &str = r#"(staged
  (stage $pre pre (module
    (memory (export "table") 1)
    (global $sum (export "sum") (mut i32) (i32.const 0))
    (func $fill (local $i i32)
      (loop $l
        (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.mul (local.get $i) (local.get $i)))
        (global.set $sum (i32.add (global.get $sum) (i32.mul (local.get $i) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))
      (drop (memory.grow (i32.const 1))))
    (start $fill)))
  (stage $rt single (module
    (global $calls (export "calls") (mut i32) (i32.const 0))
    (func (export "tick") (result i32)
      (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
      (global.get $calls))))
  (stage $main multi (module
    (import "pre" "table" (memory 1))
    (import "pre" "sum" (global $sum i32))
    (import "rt" "tick" (func $tick (result i32)))
    (func (export "square") (param i32) (result i32)
      (i32.load (i32.shl (local.get 0) (i32.const 2))))
    (func (export "sum") (result i32) (global.get $sum))
    (func (export "pages") (result i32) (memory.size))
    (func (export "tick") (result i32) (call $tick)))))"#;

#[test]
fn loading_restores_compile_time_state_without_running_start_functions() {
    let engine = engine_with(None);
    let staged = parse_swat(STAGED_WORK).unwrap();
    let module = Module::from_staged(&engine, &staged, &Preimports::new()).unwrap();
    let expected_sum = (0..1000i32).fold(0i32, |s, i| s.wrapping_add(i * i));
    let check = |m: &Module| {
        assert_eq!(run(m, "square", &[Val::I32(999)]), 998_001);
        assert_eq!(run(m, "sum", &[]), expected_sum);
        assert_eq!(
            run(m, "pages", &[]),
            2,
            "the pre stage's memory.grow is restored"
        );
        let mut store = Store::new(m.engine());
        let i = Linker::new().instantiate(&mut store, m).unwrap();
        assert_eq!(call_i32(m, &mut store, &i, "tick", &[]), 1);
        assert_eq!(call_i32(m, &mut store, &i, "tick", &[]), 2);
    };
    check(&module);
    assert!(!module.timings().state_restored);
    let loaded = Module::deserialize(&denying(), &module.serialize().unwrap()).unwrap();
    assert!(loaded.timings().state_restored);
    check(&loaded);
    // The single stage's state is the loaded compilation's own.
    check(&Module::deserialize(&denying(), &module.serialize().unwrap()).unwrap());
}

#[test]
fn state_with_tables_is_recreated_by_running_start_functions() {
    // A provider with a table: its start function's writes to it cannot be snapshotted,
    // so loading runs the start function again (with the same result).
    let provider = r#"(module
      (table (export "t") 2 funcref)
      (global $g (mut i32) (i32.const 1))
      (func $seven (result i32) (i32.const 7))
      (func (export "get") (result i32) (global.get $g))
      (elem declare func $seven)
      (func $init (table.set (i32.const 1) (ref.func $seven)) (global.set $g (i32.const 41)))
      (start $init))"#;
    let consumer = r#"(module
      (import "p" "get" (func $get (result i32)))
      (func (export "f") (param i32) (result i32) (i32.add (call $get) (local.get 0))))"#;
    let engine = engine_with(None);
    let p = Provider::new(&engine, provider, Preimports::new()).unwrap();
    let mut pre = Preimports::new();
    pre.export("p", "get", &p, "get");
    let module = Module::with_preimports(&engine, consumer, &pre).unwrap();
    assert_eq!(run(&module, "f", &[Val::I32(1)]), 42);
    let loaded = Module::deserialize(&denying(), &module.serialize().unwrap()).unwrap();
    assert!(!loaded.timings().state_restored);
    assert_eq!(run(&loaded, "f", &[Val::I32(1)]), 42);
}

/// Lane 0 plus lane 3 of a preimported `v128`, as `i32x4`.
const LANES: &str = r#"(module
  (import "env" "v" (global $v v128))
  (func (export "f") (result i32)
    (i32.add (i32x4.extract_lane 0 (global.get $v)) (i32x4.extract_lane 3 (global.get $v)))))"#;

fn v(bits: u128) -> Preimports {
    let mut pre = Preimports::new();
    pre.value("env", "v", Val::V128(bits));
    pre
}

#[test]
fn the_cache_keys_and_serializes_v128_preimports() {
    let dir = temp_dir("v128");
    let engine = engine_with(Some(&dir));
    // Values that differ in one half only: lane 0 is in the low 64 bits, lane 3 in the high.
    let values = [0u128, 5, 7 << 96, (7 << 96) | 5];
    for bits in values {
        let m = Module::with_preimports(&engine, LANES, &v(bits)).unwrap();
        assert_eq!(m.timings().cache, CacheOutcome::Miss, "{bits:#x}");
        let expected = (bits as i32).wrapping_add((bits >> 96) as i32);
        assert_eq!(run(&m, "f", &[]), expected);
        // The artifact carries the value in its recipe and runs without the compiler.
        let loaded = Module::deserialize(&denying(), &m.serialize().unwrap()).unwrap();
        assert_eq!(run(&loaded, "f", &[]), expected);
    }
    assert_eq!(cache_entries(&dir).unwrap().len(), values.len());
    let engine = engine_with(Some(&dir));
    for bits in values {
        let m = Module::with_preimports(&engine, LANES, &v(bits)).unwrap();
        assert_eq!(m.timings().cache, CacheOutcome::DiskHit, "{bits:#x}");
        assert_eq!(
            run(&m, "f", &[]),
            (bits as i32).wrapping_add((bits >> 96) as i32)
        );
    }
    assert_eq!(clear_cache(&dir).unwrap(), values.len());
}

/// A pre stage computing a `v128` in its start function: one global frozen into a constant
/// for the multi stage, one mutable global imported as state.
const STAGED_VECTORS: &str = r#"(staged
  (stage $pre pre (module
    (global $k (export "k") (mut v128) (v128.const i32x4 0 0 0 0))
    (global $acc (export "acc") (mut v128) (v128.const i32x4 0 0 0 0))
    (func $init
      (global.set $k (i32x4.mul (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 10 10 10)))
      (global.set $acc (i64x2.splat (i64.const 0x1_0000_0002))))
    (start $init)))
  (stage $main multi (module
    (import "pre" "k" (global $k v128))
    (import "pre" "acc" (global $acc (mut v128)))
    (func (export "k3") (result i32) (i32x4.extract_lane 3 (global.get $k)))
    (func (export "bump") (result i32)
      (global.set $acc (i32x4.add (global.get $acc) (global.get $k)))
      (i32x4.extract_lane 3 (global.get $acc))))))"#;

#[test]
fn staged_v128_state_survives_serialization() {
    let engine = engine_with(None);
    let staged = parse_swat(STAGED_VECTORS).unwrap();
    let module = Module::from_staged(&engine, &staged, &Preimports::new()).unwrap();
    let check = |m: &Module| {
        assert_eq!(run(m, "k3", &[]), 40);
        // lane 3 of acc is 1 (the high half of the i64 lane), plus 40 per bump.
        let mut store = Store::new(m.engine());
        let i = Linker::new().instantiate(&mut store, m).unwrap();
        assert_eq!(call_i32(m, &mut store, &i, "bump", &[]), 41);
        assert_eq!(call_i32(m, &mut store, &i, "bump", &[]), 81);
    };
    let bytes = module.serialize().unwrap();
    check(&module);
    let loaded = Module::deserialize(&denying(), &bytes).unwrap();
    assert!(loaded.timings().state_restored);
    check(&loaded);
}
