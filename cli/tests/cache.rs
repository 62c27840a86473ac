//! The code cache through the `stagec` command line: concurrent processes compiling one
//! key leave one valid entry, `--timings` reports every phase and the cache outcome,
//! `cache ls|clear|stats`, `--cache-max`, and damaged artifact files are one-line errors.
//! The library's side of the cache is tested in engine/tests/cache.rs.

use stagec::{CacheConfig, CacheOutcome, Config, Engine, Module, Preimports, Val, cache_entries};
use std::path::{Path, PathBuf};

fn engine_with(cache: Option<&Path>) -> Engine {
    Engine::new(Config::default().with_cache(cache.map(CacheConfig::new))).unwrap()
}

/// A fresh, empty directory under the target's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The module the tests compile: `f(x) = x * env.k + 5`.
const SCALE: &str = include_str!("cache/scale.wat");

fn k(value: i32) -> Preimports {
    let mut pre = Preimports::new();
    pre.value("env", "k", Val::I32(value));
    pre
}

const STAGEC: &str = env!("CARGO_BIN_EXE_stagec");

fn stagec(args: &[&str]) -> std::process::Output {
    std::process::Command::new(STAGEC)
        .args(args)
        .env("XDG_CACHE_HOME", temp_dir("cli-default-cache"))
        .output()
        .expect("run stagec")
}

fn scale_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cache/scale.wat")
}

#[test]
fn concurrent_processes_compiling_one_key_leave_one_valid_entry() {
    let dir = temp_dir("concurrent");
    let cache = dir.join("cache");
    let file = scale_file();
    // Four processes at once, each compiling (nothing is cached yet) and writing.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let file = file.clone();
            let cache = cache.clone();
            std::thread::spawn(move || {
                std::process::Command::new(STAGEC)
                    .args(["run", file.to_str().unwrap(), "--preimport", "env.k=6"])
                    .args(["--cache-dir", cache.to_str().unwrap(), "--invoke", "f", "7"])
                    .output()
                    .unwrap()
            })
        })
        .collect();
    for h in handles {
        let out = h.join().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "47");
    }
    let entries = cache_entries(&cache).unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let stray: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .collect();
    assert!(stray.is_empty(), "temporary files left: {stray:?}");
    // The entry is valid: an engine on that cache hits it.
    let engine = engine_with(Some(&cache));
    let m = Module::with_preimports(&engine, SCALE, &k(6)).unwrap();
    assert_eq!(m.timings().cache, CacheOutcome::DiskHit);
}

#[test]
fn timings_report_every_phase_and_the_cache_outcome() {
    let dir = temp_dir("timings");
    let file = scale_file();
    let cache = dir.join("cache");
    let run = || {
        stagec(&[
            "run",
            file.to_str().unwrap(),
            "--preimport",
            "env.k=2",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--timings",
            "--invoke",
            "f",
            "1",
        ])
    };
    let first = run();
    let second = run();
    for (out, outcome) in [(&first, "miss: compiled"), (&second, "hit (disk)")] {
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "7");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for phase in [
            "parse/validate",
            "translate",
            "cranelift compile",
            "cache load",
            "instantiate",
            "execute",
        ] {
            assert!(stderr.contains(phase), "{phase} missing:\n{stderr}");
        }
        assert!(stderr.contains(outcome), "{stderr}");
    }
    // `cache ls` lists the one entry; `clear` empties it.
    let ls = stagec(&["cache", "ls", "--cache-dir", cache.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&ls.stdout).contains("1 entries"));
    let clear = stagec(&["cache", "clear", "--cache-dir", cache.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&clear.stdout).contains("removed 1 entries"));
    assert!(cache_entries(&cache).unwrap().is_empty());
}

#[test]
fn damaged_artifact_files_are_one_line_errors_naming_the_file() {
    let dir = temp_dir("cli-damaged");
    let file = scale_file();
    let artifact = dir.join("scale.stagec");
    let out = stagec(&[
        "compile",
        file.to_str().unwrap(),
        "--preimport",
        "env.k=2",
        "-o",
        artifact.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let good = std::fs::read(&artifact).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    for (what, bytes) in [
        ("truncated", &good[..good.len() - 7]),
        ("flipped", &flipped[..]),
    ] {
        std::fs::write(&artifact, bytes).unwrap();
        let out = stagec(&["run", artifact.to_str().unwrap(), "--invoke", "f", "1"]);
        assert_eq!(out.status.code(), Some(1), "{what}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(
            stderr.starts_with(&format!(
                "error: {}: invalid compiled artifact: ",
                artifact.display()
            )),
            "{what}: {stderr}"
        );
    }
}

#[test]
fn the_command_line_sets_the_cache_size_limit() {
    let dir = temp_dir("cli-limit");
    let cache = dir.join("cache");
    let file = scale_file();
    let stats = || {
        let out = stagec(&[
            "cache",
            "stats",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--cache-max",
            "2K",
        ]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for k in 0..3 {
        let out = stagec(&[
            "run",
            file.to_str().unwrap(),
            "--preimport",
            &format!("env.k={k}"),
            "--cache-dir",
            cache.to_str().unwrap(),
            "--cache-max",
            "10K",
            "--invoke",
            "f",
            "1",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The directory stays within 10 KiB: fewer than the three entries (each over 4 KiB,
    // its code on a page of its own) remain.
    let entries = cache_entries(&cache).unwrap();
    assert!(entries.iter().all(|e| e.size > 4096), "{entries:?}");
    assert!(
        entries.iter().map(|e| e.size).sum::<u64>() <= 10 * 1024,
        "{entries:?}"
    );
    assert!(!entries.is_empty() && entries.len() < 3, "{entries:?}");
    assert!(stats().contains("limit 2.0 KiB"), "{}", stats());
    let bad = stagec(&[
        "run",
        file.to_str().unwrap(),
        "--cache-max",
        "lots",
        "--preimport",
        "env.k=1",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--cache-max"));
}
