//! Bad `--preimport`/`--import` flags are one-line errors of the `stagec` binary, never a
//! panic, a signal or a hang. The flags are the corpus file `tests/malformed/preimports.txt`
//! of the workspace (its library-side twin is `tests/tests/malformed.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const STAGEC: &str = env!("CARGO_BIN_EXE_stagec");

/// How long one run may take (a debug build on a loaded 2-core machine).
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// The malformed-input corpus of the `stagec-tests` crate.
fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli lives in the workspace")
        .join("tests/malformed")
}

#[test]
fn bad_preimport_flags_are_one_line_errors() {
    let dir = corpus_dir();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-preimport-flags");
    std::fs::create_dir_all(&tmp).unwrap();
    let module = tmp.join("target.wat");
    std::fs::write(
        &module,
        r#"(module (import "env" "n" (global i32)) (func (export "main") (result i32) (global.get 0)))"#,
    )
    .unwrap();
    let cases = std::fs::read_to_string(dir.join("preimports.txt")).expect("preimports.txt");
    let cases: Vec<&str> = cases
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let mut failures = Vec::new();
    let mut tried = 0;
    for line in &cases {
        let (flag, expected) = line.split_once('\t').unwrap_or((line, ""));
        let expected = expected.trim();
        for option in ["--preimport", "--import"] {
            tried += 1;
            let mut child = Command::new(STAGEC)
                .arg("run")
                .arg(&module)
                .arg(format!("{option}={flag}"))
                .args(["--invoke", "main"])
                // Provider files named by flags are corpus files.
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn stagec");
            let started = Instant::now();
            let status = loop {
                if let Some(s) = child.try_wait().unwrap() {
                    break Some(s);
                }
                if started.elapsed() > RUN_TIMEOUT {
                    let _ = child.kill();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(5));
            };
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let what = format!("{option}={flag:?}");
            match status {
                None => failures.push(format!("{what}: hangs")),
                Some(s) if s.success() => failures.push(format!("{what}: accepted")),
                Some(s) if s.code().is_none() => {
                    failures.push(format!("{what}: killed by a signal: {stderr}"))
                }
                Some(_) => {
                    let lines: Vec<&str> = stderr.lines().collect();
                    if lines.len() != 1
                        || !lines[0].starts_with("error: ")
                        || !lines[0].contains(expected)
                    {
                        failures.push(format!(
                            "{what}: expected one `error: ...{expected}...` line, got {stderr:?}"
                        ));
                    }
                    if stderr.contains("panicked") {
                        failures.push(format!("{what}: panicked: {stderr}"));
                    }
                }
            }
        }
    }
    println!("bad preimport flags: {tried} tried");
    // Each of the 37 flags of preimports.txt as `--preimport` and as `--import`.
    assert_eq!(
        cases.len(),
        37,
        "flags in preimports.txt (update this count when the file changes)"
    );
    assert_eq!(tried, 2 * cases.len());
    assert!(
        failures.is_empty(),
        "{} flags misbehave:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
