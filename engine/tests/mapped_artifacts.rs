//! Serialized modules mapped in place: the code of `Module::deserialize_file` and of a disk
//! cache hit runs from a private mapping of the file itself (no copy), a module whose code
//! is mapped still runs after the file is replaced, and a damaged file is an error that
//! names it.

use stagec::*;
use std::path::{Path, PathBuf};

/// A module with two functions that call each other (an internal call relocation), a
/// preimported constant and a memory.
const MODULE: &str = r#"(module
  (import "env" "k" (global $k i32))
  (memory 1)
  (data (i32.const 16) "\05\00\00\00")
  (func $twice (param i32) (result i32) (i32.add (local.get 0) (local.get 0)))
  (func (export "f") (param i32) (result i32)
    (i32.add (call $twice (i32.mul (local.get 0) (global.get $k)))
             (i32.load (i32.const 16)))))"#;

fn k(value: i32) -> Preimports {
    let mut pre = Preimports::new();
    pre.value("env", "k", Val::I32(value));
    pre
}

fn run(module: &Module, arg: i32) -> i32 {
    let mut store = Store::new(module.engine());
    let instance = Linker::new().instantiate(&mut store, module).unwrap();
    let f = instance.get_func(&store, "f").unwrap();
    let mut out = [Val::I32(0)];
    f.call(&mut store, &[Val::I32(arg)], &mut out).unwrap();
    out[0].i32().unwrap()
}

/// A fresh, empty directory under the target's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mapped-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The mappings of this process of files under `dir`: (permissions, path), from
/// /proc/self/maps.
fn mappings_under(dir: &Path) -> Vec<(String, PathBuf)> {
    let dir = dir.canonicalize().unwrap();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let perms = fields.nth(1)?.to_string();
            let path = PathBuf::from(fields.nth(3)?);
            path.starts_with(&dir).then_some((perms, path))
        })
        .collect()
}

/// Whether some executable mapping of this process maps `file`.
fn executes_from(dir: &Path, file: &Path) -> bool {
    let file = file.canonicalize().unwrap();
    mappings_under(dir)
        .iter()
        .any(|(perms, path)| *path == file && perms.starts_with("r-x"))
}

#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "reads /proc/self/maps")]
fn deserialized_files_run_their_code_from_the_file() {
    let dir = temp_dir("file");
    let engine = Engine::new(Config::default()).unwrap();
    let bytes = Module::with_preimports(&engine, MODULE, &k(3))
        .unwrap()
        .serialize()
        .unwrap();
    let path = dir.join("f.stagec");
    std::fs::write(&path, &bytes).unwrap();

    let denying = Engine::new(Config::default().deny_compilation(true)).unwrap();
    let from_bytes = Module::deserialize(&denying, &bytes).unwrap();
    assert!(
        !executes_from(&dir, &path),
        "bytes in memory are copied, not mapped"
    );
    assert_eq!(run(&from_bytes, 2), 2 * 2 * 3 + 5);

    let mapped = Module::deserialize_file(&denying, &path).unwrap();
    assert!(
        executes_from(&dir, &path),
        "no executable mapping of {}: {:?}",
        path.display(),
        mappings_under(&dir)
    );
    assert_eq!(run(&mapped, 2), 17);
    // Writers replace files by renaming: the mapping keeps the old file's pages.
    let other = Module::with_preimports(&engine, MODULE, &k(10))
        .unwrap()
        .serialize()
        .unwrap();
    let next = dir.join("next.stagec");
    std::fs::write(&next, &other).unwrap();
    std::fs::rename(&next, &path).unwrap();
    assert_eq!(run(&mapped, 2), 17);
    assert_eq!(
        run(&Module::deserialize_file(&denying, &path).unwrap(), 2),
        45
    );
    drop(mapped);
    drop(from_bytes);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "reads /proc/self/maps")]
fn disk_cache_hits_run_their_code_from_the_entry() {
    let dir = temp_dir("cache");
    let engine = Engine::new(Config::default().with_cache(Some(CacheConfig::new(&dir)))).unwrap();
    let compiled = Module::with_preimports(&engine, MODULE, &k(4)).unwrap();
    assert_eq!(compiled.timings().cache, CacheOutcome::Miss);
    let entry = cache_entries(&dir).unwrap().remove(0).path;
    assert!(
        !executes_from(&dir, &entry),
        "a compilation's code is its own"
    );
    // A new engine hits the disk.
    let engine = Engine::new(Config::default().with_cache(Some(CacheConfig::new(&dir)))).unwrap();
    let hit = Module::with_preimports(&engine, MODULE, &k(4)).unwrap();
    assert_eq!(hit.timings().cache, CacheOutcome::DiskHit);
    assert!(
        executes_from(&dir, &entry),
        "no executable mapping of {}: {:?}",
        entry.display(),
        mappings_under(&dir)
    );
    assert_eq!(run(&hit, 1), 2 * 4 + 5);
    assert_eq!(run(&compiled, 1), 13);
    drop((hit, compiled));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damaged_files_are_errors_that_name_them() {
    let dir = temp_dir("damaged");
    let engine = Engine::new(Config::default()).unwrap();
    let bytes = Module::with_preimports(&engine, MODULE, &k(3))
        .unwrap()
        .serialize()
        .unwrap();
    let path = dir.join("damaged.stagec");
    let error = |contents: &[u8]| {
        std::fs::write(&path, contents).unwrap();
        match Module::deserialize_file(&engine, &path) {
            Ok(_) => panic!("a damaged file loaded"),
            Err(e) => e.to_string(),
        }
    };
    let name = path.display().to_string();
    // Truncated in the header, in the payload, in the code section (the last page).
    for len in [0, 30, bytes.len() / 3, bytes.len() - 1] {
        let e = error(&bytes[..len]);
        assert!(e.contains(&name), "{len}: {e}");
        assert!(
            e.contains("truncated") || e.contains("magic") || e.contains("header"),
            "{len}: {e}"
        );
    }
    // A flipped bit in the code (the file's last bytes) fails the checksum.
    let mut flipped = bytes.clone();
    let last = flipped.len() - 2;
    flipped[last] ^= 4;
    let e = error(&flipped);
    assert!(e.contains(&name) && e.contains("checksum"), "{e}");
    // Longer than the header says.
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 8]);
    let e = error(&longer);
    assert!(e.contains(&name), "{e}");
    // The intact file loads.
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        run(&Module::deserialize_file(&engine, &path).unwrap(), 2),
        17
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
